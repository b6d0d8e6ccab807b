"""Finding 1 of the security review (issue 15): a diagnosis code that names a knowledge class met criteria.

``hierarchy.code_class()`` put any unknown code into the ICD-10-CM namespace, where the knowledge's own
grouping classes lived: a Condition coded ``block-C81-C96`` met "a present malignant neoplasm" and
five seed lines became justified; ``chapter-1`` counted as an infection. Now a request's code becomes
a class only when it has its system's form (kg/codes/code-systems.ttl) and, for ICD-10-CM, is a
category or code of the hierarchy; chapters and blocks live in the namespace ``icdg:``, which no code
is put in. These tests try every IRI of the knowledge as a request code, in every place a request
names a code, and find none that meets anything.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reasoner.cli.options import knowledge as installed
from reasoner.errors import InputError
from reasoner.pipeline import review
from reasoner.results import Review
from reasoner.vocab import BASE, CPT, DOC, HCPCS, ICD, ICD_GROUP, LOINC, RXN, SCT

ROOT = Path(__file__).resolve().parents[3]
SEED = json.loads((ROOT / "examples" / "seed-aml-port.json").read_text(encoding="utf-8"))
CODE_NAMESPACES = (CPT, HCPCS, ICD, LOINC, RXN, SCT, DOC)
SYSTEMS = {"icd": "http://hl7.org/fhir/sid/icd-10-cm", "loinc": "http://loinc.org",
           "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm", "sct": "http://snomed.info/sct",
           "cpt": "http://www.ama-assn.org/go/cpt", "hcpcs": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"}
SUBJECT = {"reference": "Patient/patient-0"}


def knowledge_iris() -> set[str]:
    """Every IRI of necessity's own namespaces in the closed knowledge, and the hierarchy's chapters and blocks."""
    compiled = installed()
    iris = {str(term) for triple in (*compiled.asserted, *compiled.entailed) for term in triple
            if type(term).__name__ == "URIRef" and str(term).startswith(BASE)}
    return iris | {iri for iri in compiled.hierarchy.iris if iri.startswith(str(ICD_GROUP))}


def candidate_codes() -> list[str]:
    """Each such IRI as a request could write it as a code: whole, its last segment, and its name in each
    code namespace."""
    codes = set()
    for iri in knowledge_iris():
        codes |= {iri, iri.rsplit("/", 1)[-1], iri.rsplit("#", 1)[-1]}
        codes |= {iri.removeprefix(str(ns)) for ns in CODE_NAMESPACES if iri.startswith(str(ns))}
    return sorted(code for code in codes if code)


def without(bundle: dict[str, Any], *kinds: str) -> dict[str, Any]:
    """A copy of ``bundle`` without its resources of ``kinds`` (and, for Condition, without the Claim's diagnoses)."""
    copied = copy.deepcopy(bundle)
    copied["entry"] = [e for e in copied["entry"] if e["resource"]["resourceType"] not in kinds]
    for entry in copied["entry"]:
        if entry["resource"]["resourceType"] == "Claim" and "Condition" in kinds:
            entry["resource"].pop("diagnosis", None)
    return copied


def with_entries(bundle: dict[str, Any], resources: list[dict[str, Any]]) -> dict[str, Any]:
    copied = copy.deepcopy(bundle)
    copied["entry"] = [{"fullUrl": f"urn:uuid:crafted-{i}", "resource": r} for i, r in enumerate(resources)] \
        + copied["entry"]
    return copied


def condition(code: str, index: int) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": f"crafted-condition-{index}", "subject": SUBJECT,
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "code": {"coding": [{"system": SYSTEMS["icd"], "code": code}]}}


def drug(code: str, index: int) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": f"crafted-drug-{index}", "status": "active",
            "intent": "order", "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": SYSTEMS["rxnorm"], "code": code}]},
            "dosageInstruction": [{"route": {"coding": [{"system": SYSTEMS["sct"], "code": code}]}}]}


def service(code: str, index: int) -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": f"crafted-service-{index}", "status": "active",
            "intent": "order", "subject": SUBJECT, "code": {"coding": [{"system": SYSTEMS["sct"], "code": code}]}}


def lab(code: str, index: int) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": f"crafted-lab-{index}", "status": "final", "subject": SUBJECT,
            "code": {"coding": [{"system": SYSTEMS["loinc"], "code": code}]}, "effectiveDateTime": "2026-01-14",
            "valueQuantity": {"value": 5, "unit": "10*3/uL", "system": "http://unitsofmeasure.org",
                              "code": "10*3/uL"}}


def answers(codes: list[str]) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "id": "crafted-answers", "status": "completed",
            "subject": SUBJECT, "item": [{"linkId": code, "answer": [{"valueBoolean": True}]} for code in codes]}


def met(result: Review) -> set[tuple[int, str, str]]:
    """(line, source, criterion) of every criterion met, on every line."""
    return {(d.sequence, c.of, c.id) for claim in result.claims for d in claim.determinations
            for c in d.criteria if c.state == "met"}


def reviewed(tmp_path: Path, bundle: dict[str, Any], name: str) -> Review:
    path = tmp_path / name
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return review(path, installed())


def real_code(namespace: Any) -> Callable[[str], bool]:
    """Whether a code is a real code of the system of ``namespace`` that the knowledge knows."""
    tables = installed().tables
    if namespace == ICD:
        return tables.hierarchy.is_known
    if namespace == DOC:
        return lambda code: code in tables.answer_types
    return lambda code: tables.declares(namespace[code]) if tables.systems.has_form(str(namespace), code) else False


SLOTS = {
    "diagnosis": ("Condition", ICD, lambda codes: [condition(c, i) for i, c in enumerate(codes)]),
    "drug and route": ("MedicationRequest", RXN, lambda codes: [drug(c, i) for i, c in enumerate(codes)]),
    "planned service": ("ServiceRequest", SCT, lambda codes: [service(c, i) for i, c in enumerate(codes)]),
    "laboratory code": ("Observation", LOINC, lambda codes: [lab(c, i) for i, c in enumerate(codes)]),
    "question linkId": ("QuestionnaireResponse", DOC, lambda codes: [answers(codes)]),
}


@pytest.mark.parametrize("slot", SLOTS)
def test_no_iri_of_the_knowledge_meets_anything_as_a_request_code(slot, tmp_path):
    kind, namespace, make = SLOTS[slot]
    codes = [code for code in candidate_codes() if not real_code(namespace)(code)]
    assert len(codes) > 300 and "block-C81-C96" in codes and "chapter-1" in codes
    base = without(SEED, kind)
    baseline, crafted = reviewed(tmp_path, base, "base.json"), reviewed(tmp_path, with_entries(base, make(codes)),
                                                                          "crafted.json")
    assert met(crafted) <= met(baseline), sorted(met(crafted) - met(baseline))[:5]
    shown = {fact for claim in crafted.claims for d in claim.determinations for c in d.criteria for fact in c.facts
             if c.state != "unknown"}  # an unreadable fact may be what leaves a criterion unknown, nothing more
    assert not any("crafted-" in fact for fact in shown), "a crafted code is the evidence of a met or refuted criterion"


def test_no_iri_of_the_knowledge_meets_anything_as_a_billed_code(tmp_path):
    codes = [code for code in candidate_codes() if not (real_code(CPT)(code) or real_code(HCPCS)(code))]
    crafted = copy.deepcopy(SEED)
    claim = next(e for e in crafted["entry"] if e["resource"]["resourceType"] == "Claim")
    lines = [(code, system) for code in codes for system in ("cpt", "hcpcs")]
    for number, start in enumerate(range(0, len(lines), 900)):  # claims of at most 999 lines
        extra = copy.deepcopy(claim)
        extra["fullUrl"], extra["resource"]["id"] = f"urn:uuid:crafted-claim-{number}", f"crafted-claim-{number}"
        extra["resource"]["item"] = [
            {"sequence": sequence, "productOrService": {"coding": [{"system": SYSTEMS[system], "code": code}]}}
            for sequence, (code, system) in enumerate(lines[start:start + 900], start=1)]
        crafted["entry"].append(extra)
    result = reviewed(tmp_path, crafted, "crafted.json")
    assert len(result.claims) == 1 + -(-len(lines) // 900) and not result.rejected
    for review_of_claim in result.claims[1:]:
        for d in review_of_claim.determinations:
            assert d.status == "no-policy" and not d.criteria, (d.code, d.status)


@pytest.mark.parametrize("code", ["block-C81-C96", "chapter-1", "chapter-2", "C81-C96", "C9.200", "c92.00",
                                  "C92.00X", "../ns#Patient", "https://necessity.example/kg/icd10cm-group/block-C81-C96"])
def test_a_diagnosis_that_is_not_a_code_meets_nothing_and_is_reported(code, tmp_path):
    base = without(SEED, "Condition")
    baseline = reviewed(tmp_path, base, "base.json")
    crafted = reviewed(tmp_path, with_entries(base, [condition(code, 0)]), "crafted.json")
    assert met(crafted) <= met(baseline)
    for before, after in zip(baseline.claims[0].determinations, crafted.claims[0].determinations, strict=True):
        assert after.status in (before.status, "needs-info")  # a diagnosis that cannot be read: unknown, at most
    assert any(repr(code) in note and "stay unknown, never refuted" in note for note in crafted.notes)


def test_the_seed_diagnosis_as_a_code_with_or_without_its_dot_still_meets(tmp_path):
    base = without(SEED, "Condition")
    for code in ("C92.00", "C9200"):
        result = reviewed(tmp_path, with_entries(base, [condition(code, 0)]), f"{code}.json")
        assert ("crit:acute-myeloid-leukemia" in {c.id for d in result.claims[0].determinations
                                                  for c in d.criteria if c.state == "met"})
        assert not result.notes or not any("crafted-condition" in note for note in result.notes)


TURTLE_CONDITION = """@prefix nec: <https://necessity.example/ns#> .
@prefix icd: <https://necessity.example/code/icd10cm/> .
@prefix icdg: <https://necessity.example/kg/icd10cm-group/> .
@prefix cpt: <https://necessity.example/code/cpt/> .
@prefix req: <https://necessity.example/request/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
req:patient a nec:Patient ; nec:birthDate "1968-03-14"^^xsd:date ; nec:hasCondition req:condition .
req:condition a nec:Condition, {condition_class} .
req:claim a nec:Claim ; nec:claimId "c1" ; nec:forPatient req:patient ; nec:claimUse nec:Preauthorization ;
    nec:serviceDate "2026-01-15"^^xsd:date .
req:line a nec:ClaimLine, cpt:36561 ; nec:onClaim req:claim ; nec:sequence 1 ; nec:codeNotation "36561" ;
    nec:codeSystem "http://www.ama-assn.org/go/cpt"^^xsd:anyURI .
"""


def test_the_same_in_turtle_a_grouping_named_as_a_code_meets_nothing(tmp_path):
    results = {}
    classes = (("grouping", "icd:block-C81-C96"), ("unknown", "icd:C92.00X"), ("code", "icd:C92.00"))
    for name, condition_class in classes:
        path = tmp_path / f"{name}.ttl"
        path.write_text(TURTLE_CONDITION.replace("{condition_class}", condition_class), encoding="utf-8")
        results[name] = review(path, installed())
    assert met(results["grouping"]) == met(results["unknown"])
    assert "crit:acute-myeloid-leukemia" not in {c for _, _, c in met(results["grouping"])}
    assert "crit:acute-myeloid-leukemia" in {c for _, _, c in met(results["code"])}
    notes = results["grouping"].notes
    assert any("'block-C81-C96'" in note and "stay unknown, never refuted" in note for note in notes)


def test_a_turtle_condition_typed_with_a_grouping_of_the_knowledge_is_not_a_code(tmp_path):
    path = tmp_path / "grouping.ttl"
    path.write_text(TURTLE_CONDITION.replace("{condition_class}", "icdg:block-C81-C96"), encoding="utf-8")
    with pytest.raises(InputError, match="needs one ICD-10-CM class"):
        review(path, installed())


def test_the_knowledge_groupings_are_in_a_namespace_no_code_is_put_in():
    compiled = installed()
    groupings = [iri for iri in compiled.hierarchy.iris if iri.rsplit("/", 1)[-1].startswith(("chapter-", "block-"))]
    assert len(groupings) > 200
    assert all(iri.startswith(BASE + "kg/icd10cm-group/") for iri in groupings)
    hierarchy = compiled.hierarchy
    assert hierarchy.code_class("block-C81-C96") is None and hierarchy.code_class("chapter-1") is None
