"""The knowledge base as data: what is marked unconfirmed or read only in secondary sources is listed in the docs
and says why, and no clinical rule or code lives in Python. Completeness and citations are `necessity check`'s
(tests/test_check.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reasoner import resources
from reasoner.cli.options import knowledge as installed

ROOT = Path(__file__).resolve().parent.parent
NEC = "PREFIX nec: <https://necessity.example/ns#>\n"
OWL = "http://www.w3.org/2002/07/owl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def rows(query: str) -> list:
    return list(installed().graph.query(NEC + query))


@pytest.mark.parametrize("status, section", [("Unconfirmed", "unconfirmed"), ("SecondaryOnly", "secondary-only")])
def test_the_docs_list_every_item_so_marked(status, section):
    """The table a reader of docs/knowledge.md sees lists exactly the items the knowledge marks (read from both,
    not typed here; tools/generate_docs.py writes the table)."""
    curie = installed().graph.namespace_manager.normalizeUri
    marked = {curie(r.r) for r in rows(f"SELECT ?r WHERE {{ ?r nec:evidenceStatus nec:{status} }}")}
    docs = (ROOT / "docs" / "knowledge.md").read_text(encoding="utf-8")
    table = re.search(rf"<!-- generated: {section} -->(.*?)<!-- end generated -->", docs, re.DOTALL)
    assert table, f"docs/knowledge.md has no generated section {section}"
    listed = set(re.findall(r"^\| `([^`]+)` \|", table[1], re.MULTILINE))
    assert marked, f"nothing is marked nec:{status}"
    assert listed == marked, "docs/knowledge.md is stale: run python tools/generate_docs.py"


def test_every_unconfirmed_item_says_why():
    """An item marked unconfirmed says in its nec:evidenceNote what was not read (the table's "why")."""
    assert rows("SELECT ?r WHERE { ?r nec:evidenceStatus nec:Unconfirmed "
                "FILTER NOT EXISTS { ?r nec:evidenceNote ?note } }") == []


CODE_PATTERNS = {
    "CPT code": r"\b\d{4}[0-9FT]\b",
    "HCPCS code": r"\b[A-V]\d{4}\b",
    "ICD-10-CM code": r"\b[A-Z]\d{2}\.\d",
    "LOINC code": r"\b\d{3,5}-\d\b",
    "threshold comparison": r"\s[<>]=?\s*\d",
}


@pytest.mark.parametrize("kind", CODE_PATTERNS)
def test_no_clinical_code_or_threshold_in_python(kind):
    offending = []
    for path in sorted((ROOT / "reasoner").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#")[0]
            example = code.strip().startswith("Example: necessity ")  # a command's help, not logic
            if re.search(CODE_PATTERNS[kind], code) and "http" not in code and not example:
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offending == []


def test_data_folders_are_found_through_resources():
    root = resources.data_root()
    assert (root / "kg").is_dir() and (root / "ontology" / "shapes" / "patient.ttl").is_file()
    assert all(p.suffix == ".ttl" for p in resources.knowledge_files())
    opened = [p for p in (ROOT / "reasoner").rglob("*.py") if p.name != "resources.py"
              and re.search(r"\b(kg|ontology|queries)/", p.read_text()) and "open(" in p.read_text()]
    assert opened == []
