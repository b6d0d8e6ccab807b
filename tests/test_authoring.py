"""Authoring: docs/authoring.md's worked example is the repository's (each Turtle block of the guide is
in kg/guidelines/asco-2015-wbc-growth-factors.ttl, its JSON block is a case's expected file), and
``necessity new guideline`` writes a skeleton whose every gap ``necessity check`` names."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from reasoner import resources
from reasoner.authoring import new_guideline
from reasoner.check import check_knowledge
from reasoner.errors import NecessityError

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "kg" / "guidelines" / "asco-2015-wbc-growth-factors.ttl"
CASES = ROOT / "kg" / "tests" / "asco-2015-wbc-growth-factors"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE, flags=re.DOTALL)


def squeezed(text: str) -> str:
    return " ".join(text.split())


def test_every_turtle_block_of_the_guide_is_in_the_example_file():
    found = blocks("turtle")
    assert len(found) == 4  # the citation, the guideline, the question with its criterion, the recommendation
    example = squeezed(EXAMPLE.read_text(encoding="utf-8"))
    assert [b for b in found if squeezed(b) not in example] == []


def test_the_guides_expected_file_is_a_case_of_the_example():
    (shown,) = blocks("json")
    assert json.loads(shown) == json.loads((CASES / "risk-15-refuted.expected.json").read_text(encoding="utf-8"))


def test_the_guide_counts_the_example_cases_right():
    cases = sorted(CASES.glob("*.expected.json"))
    assert f"{len(cases)} passed, 0 failed" in GUIDE


@pytest.fixture
def skeleton_root(tmp_path: Path) -> Path:
    """A data folder with the templates and empty knowledge (new_guideline reads nothing else)."""
    shutil.copytree(resources.data_root() / "ontology", tmp_path / "ontology")
    (tmp_path / "kg").mkdir()
    (tmp_path / "queries").mkdir()
    return tmp_path


def test_new_guideline_writes_a_skeleton_with_the_name_in_it(skeleton_root):
    written = new_guideline(skeleton_root, "ash-2021-example-thing")
    assert [p.relative_to(skeleton_root).as_posix() for p in written] == [
        "kg/guidelines/ash-2021-example-thing.ttl", "kg/tests/ash-2021-example-thing/example.json",
        "kg/tests/ash-2021-example-thing/example.expected.json"]
    turtle = written[0].read_text(encoding="utf-8")
    assert "gl:ash-2021-example-thing a nec:Guideline" in turtle and "${" not in turtle
    assert len(Graph().parse(data=turtle, format="turtle")) > 20
    expected = json.loads(written[2].read_text(encoding="utf-8"))
    assert "crit:ash-2021-example-thing-criterion" in expected["lines"]["TODO"]["criteria"]
    assert json.loads(written[1].read_text(encoding="utf-8"))["resourceType"] == "Bundle"


@pytest.mark.parametrize("name", ["ASH-2021", "ash_2021_thing", "ash", "-ash-2021", "ash-2021-", "../ash-2021"])
def test_a_name_not_of_the_form_is_refused(skeleton_root, name):
    with pytest.raises(NecessityError, match="lower case with hyphens"):
        new_guideline(skeleton_root, name)
    assert not list((skeleton_root / "kg").rglob("*"))


def test_an_existing_file_is_never_overwritten_and_nothing_is_written(skeleton_root):
    case = skeleton_root / "kg" / "tests" / "ash-2021-example-thing" / "example.json"
    case.parent.mkdir(parents=True)
    case.write_text("{}", encoding="utf-8")
    with pytest.raises(NecessityError, match="exists already; nothing written"):
        new_guideline(skeleton_root, "ash-2021-example-thing")
    assert case.read_text(encoding="utf-8") == "{}"
    assert not (skeleton_root / "kg" / "guidelines").exists()


def test_a_folder_that_is_not_a_copy_of_the_repository_is_refused(tmp_path):
    with pytest.raises(NecessityError, match="no ontology/, kg/, queries/ here"):
        new_guideline(tmp_path, "ash-2021-example-thing")


def test_the_command_writes_it_and_refuses_a_second_time(skeleton_root, run_cli):
    first = run_cli("new", "guideline", "ash-2021-example-thing", "--data", str(skeleton_root))
    assert first.exit_code == 0 and "wrote " in first.output
    second = run_cli("new", "guideline", "ash-2021-example-thing", "--data", str(skeleton_root))
    assert second.exit_code == 2 and "exists already" in second.output


@pytest.mark.slow
def test_check_names_every_gap_of_the_skeleton_and_nothing_else(tmp_path, monkeypatch):
    for folder in ("ontology", "kg", "queries"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.setenv("NECESSITY_CACHE_DIR", str(tmp_path / "cache"))
    new_guideline(tmp_path, "ash-2021-example-thing")
    problems = check_knowledge(tmp_path)
    new_file = "kg/guidelines/ash-2021-example-thing.ttl"
    elsewhere = [p for p in problems if not p.where.startswith(new_file + ":")]
    assert {p.where for p in elsewhere} <= {"hcpcs:TODO", "loinc:TODO"}, elsewhere
    lines = (tmp_path / new_file).read_text(encoding="utf-8").splitlines()
    todo = {p.where for p in problems if p.message == "a TODO is left: fill it in (docs/authoring.md)"}
    assert todo == {f"{new_file}:{n}" for n, line in enumerate(lines, 1) if "TODO" in line}
    assert "a guideline needs nec:effectiveFrom (when it took effect)" in {p.message for p in problems}
