"""The knowledge base as data: what our reading of the sources marks uncertain is marked unconfirmed, and no
clinical rule or code lives in Python. Completeness and citations are `necessity check`'s
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


def test_unconfirmed_facts_are_marked():
    found = rows("SELECT ?r WHERE { ?r nec:evidenceStatus nec:Unconfirmed }")
    unconfirmed = {str(r.r).rsplit("/", 1)[1] for r in found}
    assert {"esmo-2015-port-for-iv-therapy", "eln-2022-central-access-for-intensive-therapy",
            "eln-2022-blood-count-monitoring", "asa-2018-sedation-for-procedure", "asa-2018-sedation-drugs",
            "asco-2018-prophylactic-threshold", "bsh-2020-irradiation-indication", "bcsh-2013-abo-d-grouping",
            "hcpcs-C1788-with-procedure", "hcpcs-C1894-with-procedure"} == unconfirmed


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
