"""The knowledge cache: written once per content version, read back instead of rebuilt, rebuilt when a
knowledge file changes, and never in the way when it is broken or cannot be written."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from reasoner import knowledge as module
from reasoner import resources
from reasoner.errors import KnowledgeError
from reasoner.knowledge import Knowledge
from reasoner.vocab import NEC


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the data folders, and an empty cache folder of its own."""
    for name in ("ontology", "kg", "queries"):
        shutil.copytree(resources.data_root() / name, tmp_path / "data" / name)
    monkeypatch.setenv("NECESSITY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "data"


def fresh(root: Path) -> Knowledge:
    """The knowledge of ``root`` as a new process loads it: from the cache on disk, or built."""
    return Knowledge.load(root)


def cache_files(root: Path) -> list[Path]:
    """The cache files written for the copy at ``root``."""
    return sorted((root.parent / "cache").glob("knowledge-*.pickle"))


@pytest.mark.slow  # builds the whole knowledge from scratch (40 s with the knowledge of issue 19); CI runs it
def test_the_first_load_writes_the_cache_and_the_next_reads_it(copy, monkeypatch):
    built = fresh(copy)
    [written] = cache_files(copy)
    assert built.version in written.name
    monkeypatch.setattr(Knowledge, "build", classmethod(lambda cls, root: pytest.fail("rebuilt although cached")))
    read = fresh(copy)
    assert read.version == built.version
    assert set(read.asserted) == set(built.asserted) and read.rules == built.rules
    assert len(read.hierarchy) == 98505


@pytest.mark.slow  # builds the knowledge (seconds) more than once
def test_a_change_under_kg_makes_a_new_cache_with_the_change(copy):
    before = fresh(copy)
    rule = copy / "kg" / "guidelines" / "aabb-2015-platelet-transfusion.ttl"
    assert rule.is_file()
    rule.write_text(rule.read_text() + "\nrec:aabb-2015-r2 rdfs:comment \"changed\" .\n")
    after = fresh(copy)
    assert after.version != before.version
    assert len(cache_files(copy)) == 2
    assert len(after.asserted) == len(before.asserted) + 1


@pytest.mark.slow  # builds the knowledge of a copy and closes it again with owlrl (CI runs it)
def test_the_closed_knowledge_holds_what_owlrl_entails_from_it_alone(copy):
    knowledge = fresh(copy)
    # scm-sco: a recommendation's class is below its superclasses; the reference closure made it explicit.
    assert any(p == NEC.Recommendation or o == NEC.Recommendation for _, p, o in knowledge.entailed)
    assert not set(knowledge.entailed) & set(knowledge.asserted)


@pytest.mark.slow  # builds the knowledge (seconds) more than once
def test_an_unreadable_cache_is_rebuilt(copy, caplog):
    built = fresh(copy)
    [written] = cache_files(copy)
    written.write_bytes(b"not a pickle")
    assert fresh(copy).version == built.version
    assert "ignoring the unreadable knowledge cache" in caplog.text
    assert isinstance(pickle.loads(written.read_bytes()), Knowledge)


@pytest.mark.slow  # builds the knowledge (seconds) more than once
def test_a_cache_folder_that_cannot_be_written_only_costs_time(copy, monkeypatch, caplog):
    blocker = copy.parent / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("NECESSITY_CACHE_DIR", str(blocker / "cache"))
    assert fresh(copy).version
    assert "could not write the knowledge cache" in caplog.text


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("NECESSITY_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert module.cache_dir() == tmp_path / "necessity"
    monkeypatch.setenv("NECESSITY_CACHE_DIR", str(tmp_path / "mine"))
    assert module.cache_dir() == tmp_path / "mine"


@pytest.mark.slow  # builds the knowledge of a copy (seconds; CI runs it)
def test_a_cache_others_could_have_written_is_never_read(copy, monkeypatch, caplog):
    # unpickling runs code: a cache file (or folder) writable by others is rebuilt, not read
    fresh(copy)
    [written] = cache_files(copy)
    assert written.stat().st_mode & 0o777 == 0o600
    written.chmod(0o666)
    monkeypatch.setattr(Knowledge, "build", classmethod(lambda cls, root: "rebuilt"))
    monkeypatch.setattr(module, "_write_cache", lambda path, built: None)
    assert fresh(copy) == "rebuilt"
    assert "writable by others" in caplog.text


@pytest.mark.slow  # builds the knowledge (seconds) more than once
def test_knowledge_the_fast_engine_cannot_reason_with_still_works_with_the_reference(copy):
    path = copy / "kg" / "criteria" / "patient.ttl"
    path.write_text(path.read_text() + "\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                    "crit:only-iv a nec:Criterion ; rdfs:label \"only IV\" ; "
                    "nec:subject nec:Patient ; owl:equivalentClass [ a owl:Restriction ; "
                    "owl:onProperty nec:hasDrugExposure ; owl:allValuesFrom nec:DrugExposure ] .\n")
    knowledge = fresh(copy)
    assert knowledge.rules is None and "owl:allValuesFrom (cls-avf)" in (knowledge.refusal or "")
    assert knowledge.tables.units.canonical and len(knowledge.hierarchy) == 98505
    with pytest.raises(KnowledgeError, match="cls-avf.*--engine reference"):
        knowledge.fast_rules()


@pytest.mark.slow  # builds the knowledge (seconds) more than once
def test_the_knowledge_read_back_decides_as_the_knowledge_built(copy):
    built = fresh(copy)
    read = fresh(copy)
    assert read is not built and read.closed == built.closed and read.queries == built.queries
    assert read.engine("fast").rules == built.engine("fast").rules
