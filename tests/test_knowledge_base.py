"""The knowledge base as data: every recommendation and rule is cited and complete, every query
opens with a comment that says what it returns, and no clinical rule or code lives in Python."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib.plugins.sparql import prepareQuery, prepareUpdate

from reasoner import resources
from reasoner.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
NEC = "PREFIX nec: <https://necessity.example/ns#>\n"
OWL = "http://www.w3.org/2002/07/owl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def rows(query: str) -> list:
    return list(load_knowledge().graph.query(NEC + query))


def test_every_recommendation_has_a_citation_with_an_identifier_a_strength_and_criteria():
    recs = rows("SELECT ?r WHERE { ?r a nec:Recommendation }")
    assert len(recs) >= 2
    incomplete = rows("""SELECT ?r WHERE { ?r a nec:Recommendation .
        FILTER NOT EXISTS { ?r nec:citation/nec:identifier ?id .
                            FILTER(REGEX(?id, "^(doi:10\\\\.|pmid:[0-9]+$|https?://)")) }
      } """) + rows("SELECT ?r WHERE { ?r a nec:Recommendation . FILTER NOT EXISTS { ?r nec:strength ?s } }") \
        + rows(f"""SELECT ?r WHERE {{ ?r a nec:Recommendation . FILTER NOT EXISTS {{
                    ?r nec:patientClass/<{OWL}intersectionOf>/<{RDF}first> ?c }} }}""") \
        + rows("SELECT ?r WHERE { ?r a nec:Recommendation . FILTER NOT EXISTS { ?r nec:evidenceStatus ?e } }")
    assert incomplete == []


RULES = f"""VALUES ?kind {{ nec:CodingRule nec:SafetyCheck }} ?r a/<{RDFS}subClassOf>* ?kind ."""


def test_every_rule_and_check_has_a_citation_a_kind_a_message_and_one_requirement():
    assert len(rows(f"SELECT ?r WHERE {{ {RULES} }}")) >= 11
    incomplete = rows(f"""SELECT ?r WHERE {{ {RULES}
        FILTER NOT EXISTS {{ ?r nec:citation/nec:identifier ?i ; nec:warningKind ?k ; nec:message ?m ;
                             nec:appliesTo ?a ; nec:requirement ?q }} }}""")
    assert incomplete == []
    several = rows(f"""SELECT ?r WHERE {{ {RULES} ?r nec:requirement ?a, ?b . FILTER(?a != ?b) }}""")
    assert several == []


def test_every_criterion_has_a_label_a_subject_and_a_class_expression():
    incomplete = rows("""SELECT ?c WHERE { ?c a nec:Criterion .
        FILTER NOT EXISTS { ?c <http://www.w3.org/2000/01/rdf-schema#label> ?l ; nec:subject ?s ;
                            <http://www.w3.org/2002/07/owl#equivalentClass> ?e } }""")
    assert incomplete == []


def test_unconfirmed_facts_are_marked():
    found = rows("SELECT ?r WHERE { ?r nec:evidenceStatus nec:Unconfirmed }")
    unconfirmed = {str(r.r).rsplit("/", 1)[1] for r in found}
    assert "esmo-2015-port-for-iv-therapy" in unconfirmed


QUERY_FILES = sorted((ROOT / "queries").rglob("*.r[qu]"))


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_queries_parse_and_open_with_a_comment(path):
    text = path.read_text()
    assert text.startswith("# ")
    (prepareUpdate if path.suffix == ".ru" else prepareQuery)(text)


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
            if re.search(CODE_PATTERNS[kind], code) and "http" not in code:
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offending == []


def test_data_folders_are_found_through_resources():
    root = resources.data_root()
    assert (root / "kg").is_dir() and (root / "ontology" / "shapes" / "patient.ttl").is_file()
    assert all(p.suffix == ".ttl" for p in resources.knowledge_files())
    opened = [p for p in (ROOT / "reasoner").rglob("*.py") if p.name != "resources.py"
              and re.search(r"\b(kg|ontology|queries)/", p.read_text()) and "open(" in p.read_text()]
    assert opened == []
