"""Golden files: the JSON determination of every example request, compared whole but for the knowledge base
version (a hash of the knowledge files, which any edit of the knowledge changes), written and compared as
``<knowledge base version>``; a test of its own checks the real one. Regenerate with
``pytest tests/test_golden.py --update-golden`` and read the diff before committing it."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pytest

from reasoner import resources
from reasoner.cli.options import knowledge as installed
from reasoner.knowledge import content_version
from reasoner.pipeline import review
from reasoner.render.json import render_json

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "examples").glob("*.json"))
VERSION_PLACEHOLDER = "<knowledge base version>"


def normalized(text: str) -> str:
    """A JSON determination with its knowledge base version replaced by a placeholder, laid out as render_json does."""
    document = json.loads(text)
    document["knowledge_base_version"] = VERSION_PLACEHOLDER
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden(case, update_golden, monkeypatch):
    monkeypatch.chdir(ROOT)
    actual = normalized(render_json(review(case.relative_to(ROOT), installed())))
    golden = ROOT / "tests" / "golden" / f"{case.stem}.json"
    if update_golden:
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}: run pytest --update-golden and read it"
    expected = normalized(golden.read_text(encoding="utf-8"))
    assert actual == expected, "\n".join(difflib.unified_diff(expected.splitlines(), actual.splitlines(), lineterm=""))


def test_the_golden_output_carries_the_real_knowledge_base_version(monkeypatch):
    """What the golden files leave out: the output names the knowledge it used, 12 hex digits of its content hash."""
    monkeypatch.chdir(ROOT)
    version = json.loads(render_json(review(CASES[0].relative_to(ROOT), installed())))["knowledge_base_version"]
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    assert version == content_version(resources.data_root())


def test_normalizing_leaves_only_the_version_out():
    """Two outputs that differ only in the version compare equal; any other difference still shows."""
    golden = (ROOT / "tests" / "golden" / f"{CASES[0].stem}.json").read_text(encoding="utf-8")
    document = json.loads(golden)
    other = dict(document, knowledge_base_version="0123456789ab")
    assert normalized(json.dumps(other)) == normalized(golden)
    assert normalized(json.dumps(dict(other, engine="another"))) != normalized(golden)


def codes_with_policy() -> set[str]:
    """Notations of the codes a recommendation supports or opposes, or a coding rule governs."""
    query = """PREFIX nec: <https://necessity.example/ns#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?n WHERE { { ?r nec:supportsCode|nec:opposesCode ?c }
                                   UNION { ?r nec:appliesTo ?c ; nec:requirement ?q }
        ?code rdfs:subClassOf* ?c ; skos:notation ?n . FILTER(isIRI(?c)) }"""
    return {str(row.n) for row in installed().graph.query(query)}


IN_SCOPE = {"36560", "36561", "76937", "77001", "99151", "99152", "99153", "J0690", "J2001", "J2250", "J3010",
            "P9035", "P9037", "85007", "85025", "85027", "85610", "86900", "86901", "C1788", "C1894"}


def test_every_code_in_scope_has_a_policy():
    """The input contract's codes in scope (and 85025, which an NCCI rule names) each have a recommendation or rule."""
    assert IN_SCOPE <= codes_with_policy()


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_expected_statuses_of_the_examples(case):
    """The statuses and warnings the example's own *.expected.json allows, for every line it lists."""
    spec = json.loads((case.parent / "expected" / f"{case.stem}.expected.json").read_text())
    found = {d.code: d for c in review(case, installed()).claims for d in c.determinations}
    covered = spec["expect"]
    assert set(covered) <= codes_with_policy()
    for code, allowed in covered.items():
        assert found[code].status in allowed, code
        assert found[code].status != "justified" or found[code].citations
    for code, wanted in spec.get("expectWarnings", {}).items():
        if code in covered:
            assert set(wanted) <= {w.kind for w in found[code].warnings}, code
