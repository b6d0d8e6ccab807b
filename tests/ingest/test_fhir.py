"""FHIR R4 Bundle ingest: every field of the input contract (docs/input.md) that necessity reads, and its errors.
These tests stop before inference: they check the request model and the facts graph.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import date, datetime
from decimal import Decimal

import pytest
from bundles import HCPCS, bundle, claim, write
from rdflib import RDF, Literal, URIRef

from reasoner.cli.options import knowledge as installed
from reasoner.errors import InputError
from reasoner.facts import claim_facts
from reasoner.ingest import read_request
from reasoner.ingest.model import LedgerEntry
from reasoner.vocab import CPT, ICD, ICD_GROUP, NEC, REQ
from reasoner.vocab import HCPCS as HCPCS_NS
from reasoner.vocab import LOINC as LOINC_NS


def read(tmp_path, data):
    return read_request(write(tmp_path, data), installed())


def facts(tmp_path, data):
    request = read(tmp_path, data)
    return claim_facts(request, request.claims[0], installed().tables)


def test_patient_birth_date_gives_age_on_the_date_of_service(tmp_path):
    graph = facts(tmp_path, bundle(["36561"], birth="1968-11-21"))
    assert graph.value(REQ.patient, NEC.ageYears) == Literal(57)
    assert graph.value(REQ.patient, NEC.gender) == Literal("female")


def test_conditions_count_only_when_present(tmp_path):
    request = read(tmp_path, bundle(["36561"], conditions=("C92.00", ("C50.911", "resolved"), ("C91.00", "relapse"))))
    assert [c.code for c in request.conditions] == ["C92.00", "C91.00"]


def test_icd_codes_without_the_dot_and_their_ancestors(tmp_path):
    graph = facts(tmp_path, bundle(["36561"], conditions=("C9200",)))
    condition = graph.value(REQ.patient, NEC.hasCondition)
    assert (condition, RDF.type, ICD["C92.00"]) in graph
    assert (ICD["C92.0"], None, ICD["C92"]) in graph
    assert (ICD_GROUP["block-C81-C96"], None, ICD_GROUP["chapter-2"]) in graph


def test_claim_diagnoses_are_conditions_too(tmp_path):
    data = bundle(["36561"])
    data["entry"][-1]["resource"]["diagnosis"] = [
        {"sequence": 1, "diagnosisCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm",
                                                                 "code": "C92.00"}]}}]
    request = read(tmp_path, data)
    assert [(d.sequence, d.condition.code) for d in request.claims[0].diagnoses] == [(1, "C92.00")]
    assert "diagnosis[0]" in request.claims[0].diagnoses[0].condition.source


def test_observation_value_unit_and_date(tmp_path):
    request = read(tmp_path, bundle(["36561"], labs={"plt": (45, "10*9/L", "2026-11-18")}))
    lab = request.labs[0]
    assert (lab.loinc, lab.value, lab.unit_code, lab.unit_text, lab.effective, lab.effective_date) == (
        "777-3", Decimal("45"), "10*9/L", "10*9/L", datetime(2026, 11, 18), date(2026, 11, 18))


@pytest.mark.parametrize("value, unit, expected", [
    (45, "10*3/uL", "45"), (45, "10*9/L", "45"), (45000, "/uL", "45"), (80, "g/L", "8"), (1.2, "1", "1.2")])
def test_units_are_normalized_to_the_canonical_unit(tmp_path, value, unit, expected):
    loinc = "718-7" if unit == "g/L" else "6301-6" if unit == "1" else "777-3"
    graph = facts(tmp_path, bundle(["36561"], labs={loinc: (value, unit, "2026-11-20")}))
    lab = graph.value(REQ.patient, NEC.hasLabResult)
    assert format(graph.value(lab, NEC.value).toPython().normalize(), "f") == expected


def test_labs_after_the_date_of_service_are_ignored(tmp_path):
    graph = facts(tmp_path, bundle(["36561"], labs={"plt": (8, "10*3/uL", "2026-11-21")}))
    assert graph.value(REQ.patient, NEC.hasLabResult) is None


def test_labs_the_knowledge_base_does_not_read_are_left_out(tmp_path):
    graph = facts(tmp_path, bundle(["36561"], labs={"2339-0": (95, "mg/dL", "2026-11-20")}))
    assert graph.value(REQ.patient, NEC.hasLabResult) is None


def test_drug_orders_with_route_and_status(tmp_path):
    data = bundle(["36561"], meds=(("3041", "iv"), ("3109", None)))
    data["entry"].insert(1, copy.deepcopy(data["entry"][1]))
    data["entry"][1]["resource"].update(id="done", status="completed")
    request = read(tmp_path, data)
    assert [(d.rxnorm, d.route, d.status) for d in request.drugs] == [("3041", "47625008", "active"),
                                                                       ("3109", None, "active")]


def test_service_requests_active_or_draft(tmp_path):
    data = bundle(["36561"])
    for status in ("active", "draft", "revoked"):
        data["entry"].append({"resource": {"resourceType": "ServiceRequest", "id": f"s-{status}", "status": status,
                                           "intent": "order", "subject": {"reference": "Patient/p1"},
                                           "code": {"coding": [{"system": "http://snomed.info/sct",
                                                                "code": "367336001"}]}}})
    assert [s.status for s in read(tmp_path, data).services] == ["active", "draft"]


def _device_request(ident, status="active", intent="order", coding=None, **more):
    return {"resource": {"resourceType": "DeviceRequest", "id": ident, "status": status, "intent": intent,
                         "subject": {"reference": "Patient/p1"}, "authoredOn": "2026-11-02",
                         "codeCodeableConcept": {"coding": [coding or {"system": HCPCS, "code": "E1390"}]}, **more}}


def test_device_requests_are_ordered_items_in_hcpcs_and_each_is_accounted_for(tmp_path):
    data = bundle(["E1390"])
    data["entry"] += [_device_request("d-order"), _device_request("d-revoked", status="revoked"),
                      _device_request("d-proposal", intent="proposal"),
                      _device_request("d-snomed", coding={"system": "http://snomed.info/sct", "code": "426160001"})]
    request = read(tmp_path, data)
    assert [(s.code, s.system, s.ordered_on, s.unreadable is None) for s in request.services] == [
        ("E1390", "HCPCS", "2026-11-02", True), (None, "HCPCS", "2026-11-02", False)]
    uses = {e.resource: (e.use, e.reason) for e in request.ledger}
    assert uses["DeviceRequest/d-order"] == ("used", "ordered item HCPCS E1390, authored 2026-11-02")
    assert uses["DeviceRequest/d-revoked"][0] == uses["DeviceRequest/d-proposal"][0] == "ignored"
    assert uses["DeviceRequest/d-snomed"][0] == "left out" and "not HCPCS" in uses["DeviceRequest/d-snomed"][1]
    graph = claim_facts(request, request.claims[0], installed().tables)
    assert (REQ["service/0"], RDF.type, HCPCS_NS["E1390"]) in graph
    assert (REQ["service/1"], RDF.type, NEC.UnreadableFact) in graph


def test_a_lab_result_carries_its_days_before_the_date_of_service(tmp_path):
    graph = facts(tmp_path, bundle(["36561"], labs={"plt": (45, "10*9/L", "2026-10-21")}))
    assert list(graph.objects(REQ["lab/0"], NEC.daysBeforeService)) == [Literal(30)]


def test_questionnaire_answers_of_each_type_and_nested_items(tmp_path):
    data = bundle(["36561"], docs={"us-guidance.vessel-patency": False, "sedation.intraservice-minutes": 20,
                                   "lidocaine.route": "local-infiltration"})
    qr = data["entry"][-2]["resource"]
    qr["item"].append({"linkId": "group", "item": [{"linkId": "fluoro.tip-position-documented",
                                                    "answer": [{"valueBoolean": True}]}]})
    answers = {a.link_id: a.value for a in read(tmp_path, data).answers}
    assert answers == {"us-guidance.vessel-patency": False, "sedation.intraservice-minutes": 20,
                       "lidocaine.route": "local-infiltration", "fluoro.tip-position-documented": True}


def test_claim_use_type_dates_and_lines(tmp_path):
    data = bundle([("36561", "Power Port insertion"), "C1788"], use="preauthorization", claim_type="institutional")
    item = data["entry"][-1]["resource"]["item"][1]
    item["productOrService"]["coding"][0].update(system="urn:oid:2.16.840.1.113883.6.285", display="Port")
    item.update(servicedDate="2026-11-21", quantity={"value": 2},
                locationCodeableConcept={"coding": [{"code": "22"}]})
    request = read(tmp_path, data)
    c = request.claims[0]
    assert (c.id, c.use, c.type, c.service_date) == ("c1", "preauthorization", "institutional", date(2026, 11, 20))
    first, second = c.lines
    assert (first.sequence, first.code, first.claimed_as, first.quantity) == (1, "36561", "Power Port insertion", 1)
    assert (second.code, second.claimed_as, second.quantity, second.place_of_service, second.service_date) == \
        ("C1788", "Port", 2, "22", date(2026, 11, 21))
    graph = claim_facts(request, c, installed().tables)
    assert (REQ["claim/c1/line/1"], RDF.type, CPT["36561"]) in graph
    assert (REQ["claim/c1/line/2"], RDF.type, HCPCS_NS["C1788"]) in graph
    assert graph.value(REQ["claim/c1/line/2"], NEC.codeSystem).toPython() == HCPCS


def test_created_is_the_date_of_service_without_a_billable_period(tmp_path):
    data = bundle(["36561"])
    del data["entry"][-1]["resource"]["billablePeriod"]
    data["entry"][-1]["resource"]["created"] = "2026-10-01"
    assert read(tmp_path, data).claims[0].service_date == date(2026, 10, 1)


def test_references_by_full_url_are_resolved(tmp_path):
    data = bundle(["36561"])
    data["entry"][-1]["resource"]["patient"] = {"reference": "urn:uuid:p1"}
    assert read(tmp_path, data).claims[0].id == "c1"


def test_resource_types_not_read_are_noted(tmp_path):
    data = bundle(["36561"])
    data["entry"].append({"resource": {"resourceType": "Encounter", "id": "e1", "status": "finished",
                                       "class": {"code": "AMB"}}})
    request = read(tmp_path, data)
    assert request.ledger[-1] == LedgerEntry(entry=len(data["entry"]) - 1, resource="Encounter/e1", use="ignored",
                                             reason="not a resource type necessity reads")
    assert request.notes[0].startswith(f"read {len(data['entry']) - 1} of {len(data['entry'])} entries; ignored 1 "
                                       "(1 Encounter)")


def test_several_claims_are_all_read(tmp_path):
    data = bundle(["36561"])
    data["entry"].append({"resource": claim(["76937"], claim_id="c2")})
    assert [c.id for c in read(tmp_path, data).claims] == ["c1", "c2"]


# Errors: each names the file, the resource and the field.

def error_of(tmp_path, data, name="request.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else __import__("json").dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        request = read_request(path, installed())
        claim_facts(request, request.claims[0], installed().tables)
    return caught.value


def without(data, kind):
    data["entry"] = [e for e in data["entry"] if e["resource"]["resourceType"] != kind]
    return data


@pytest.mark.parametrize("case, data, resource, field, words", [
    ("not json", "{not json", "-", "line 1 column 2", "not JSON"),
    ("truncated", '{"resourceType": "Bundle", "entry": [', "-", "line 1 column 38", "not JSON"),
    ("not a bundle", {"resourceType": "Patient", "id": "x"}, "Patient", "resourceType", "expected a FHIR Bundle"),
    ("bundle type", {"resourceType": "Bundle", "type": "searchset"}, "Bundle", "type", "searchset"),
    ("no claim", without(bundle(["36561"]), "Claim"), "Bundle", "entry", "no Claim"),
    ("no patient", without(bundle(["36561"]), "Patient"), "Bundle", "entry", "exactly one Patient, found 0"),
])
def test_bundle_level_errors(tmp_path, case, data, resource, field, words):
    error = error_of(tmp_path, data)
    assert (error.resource, error.field) == (resource, field), case
    assert words in error.problem and str(tmp_path / "request.json") in str(error)


def test_two_patients(tmp_path):
    data = bundle(["36561"])
    data["entry"].append({"resource": {"resourceType": "Patient", "id": "p2"}})
    error = error_of(tmp_path, data)
    assert "found 2 (Patient/p1, Patient/p2)" in error.problem


def test_invalid_resource_names_the_resource_and_field(tmp_path):
    data = bundle(["36561"])
    data["entry"][0]["resource"]["birthDate"] = "1968-13-45"
    error = error_of(tmp_path, data)
    assert (error.resource, error.field) == ("Patient/p1", "birthDate")
    assert "invalid FHIR R4" in error.problem


def test_wrong_type_in_claim_item(tmp_path):
    data = bundle(["36561"])
    data["entry"][-1]["resource"]["item"][0]["sequence"] = "first"
    error = error_of(tmp_path, data)
    assert (error.resource, error.field) == ("Claim/c1", "item[0].sequence")


def test_claim_line_without_a_code(tmp_path):
    data = bundle(["36561"])
    data["entry"][-1]["resource"]["item"][0]["productOrService"] = {"text": "a port"}
    error = error_of(tmp_path, data)
    assert (error.resource, error.field) == ("Claim/c1", "item[0].productOrService.coding")


def test_claim_referencing_a_missing_patient(tmp_path):
    data = bundle(["36561"])
    data["entry"][-1]["resource"]["patient"] = {"reference": "Patient/nobody"}
    error = error_of(tmp_path, data)
    assert (error.resource, error.field) == ("Claim/c1", "patient.reference")


def test_unit_that_cannot_be_converted_leaves_the_lab_unknown_and_strict_refuses_it(tmp_path):
    data = bundle(["36561"], labs={"plt": (45, "mmol/L", "2026-11-20")})
    request = read(tmp_path, data)
    assert_unreadable_latest(facts(tmp_path, data))
    entry = next(e for e in request.ledger if e.resource.startswith("Observation/"))
    assert entry.use == "left out" and "'mmol/L' cannot be converted to 10*3/uL" in entry.reason
    strict = dataclasses.replace(request, strict=True)
    with pytest.raises(InputError) as error:
        claim_facts(strict, strict.claims[0], installed().tables)
    assert error.value.resource.startswith("Observation/") and error.value.field == "valueQuantity.code"
    assert "'mmol/L' cannot be converted to 10*3/uL" in error.value.problem


def test_observation_without_a_value_leaves_the_lab_unknown_rather_than_an_older_one(tmp_path):
    data = bundle(["36561"], labs={"plt": 45, "777-3": (15, "10*3/uL", "2026-11-01")})
    del data["entry"][1]["resource"]["valueQuantity"]
    request = read(tmp_path, data)
    assert request.ledger[1].use == "left out" and "no valueQuantity.value" in request.ledger[1].reason
    assert_unreadable_latest(facts(tmp_path, data))


def assert_unreadable_latest(graph):
    """The latest platelet count is in the facts as a result that cannot be read: its LOINC class, no value
    (so no threshold is met or refuted by it, and no absence is taken from it)."""
    assert graph.value(REQ.patient, NEC.hasLabResult) is None
    (lab,) = graph.objects(REQ.patient, NEC.hasUnreadableLabResult)
    assert {NEC.LabResult, NEC.UnreadableFact, URIRef(str(LOINC_NS) + "777-3")} <= set(graph.objects(lab, RDF.type))
    assert graph.value(lab, NEC.value) is None


def test_birth_date_after_the_date_of_service(tmp_path):
    error = error_of(tmp_path, bundle(["36561"], birth="2027-01-01"))
    assert (error.resource, error.field) == ("Patient/p1", "birthDate")


def test_an_answer_of_the_wrong_type_is_not_used_and_noted(tmp_path):
    from reasoner.pipeline import review

    result = review(write(tmp_path, bundle(["36561"], docs={"us-guidance.vessel-patency": 1})), installed())
    assert "QuestionnaireResponse/questionnaireresponse-1 item us-guidance.vessel-patency: 1 is not a boolean " \
        "answer to us-guidance.vessel-patency; the answer is not used" in result.notes


def test_unknown_file_kind(tmp_path):
    error = error_of(tmp_path, "hello", name="request.txt")
    assert "expected a FHIR Bundle (.json) or Turtle (.ttl)" in error.problem


def test_medication_statements_with_dosage_route(tmp_path):
    data = bundle(["36561"])
    data["entry"].append({"resource": {
        "resourceType": "MedicationStatement", "id": "ms1", "status": "intended",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                  "code": "24698", "display": "fludarabine"}]},
        "dosage": [{"route": {"coding": [{"system": "http://snomed.info/sct", "code": "47625008"}]}}]}})
    drugs = read(tmp_path, data).drugs
    assert [(d.rxnorm, d.display, d.route, d.status, d.source) for d in drugs] == [
        ("24698", "fludarabine", "47625008", "intended", "MedicationStatement/ms1")]


def test_observation_effective_period_start(tmp_path):
    data = bundle(["36561"], labs={"plt": 45})
    observation = data["entry"][1]["resource"]
    del observation["effectiveDateTime"]
    observation["effectivePeriod"] = {"start": "2026-11-02T08:00:00Z"}
    assert read(tmp_path, data).labs[0].effective == datetime(2026, 11, 2, 8, 0)


def test_unknown_icd_codes_are_kept_and_noted(tmp_path):
    from reasoner.pipeline import review

    result = review(write(tmp_path, bundle(["99213"], conditions=("C92.99X", "c92.00"))), installed())
    assert result.claims[0].determinations[0].status == "no-policy"
    assert [n.split(": ", 1)[1] for n in result.notes[1:]] == [
        "'C92.99X' is not a category or code of ICD-10-CM; diagnosis criteria stay unknown, never refuted",
        "'c92.00' is not a category or code of ICD-10-CM; diagnosis criteria stay unknown, never refuted"]


def test_partial_birth_date_leaves_the_age_unknown(tmp_path):
    request = read(tmp_path, bundle(["36561"], birth="1968"))
    assert request.patient.birth_date is None
    assert "Patient/p1 birthDate '1968' is a partial date: the age is unknown" in request.notes


def test_refuted_or_mistaken_diagnoses_do_not_count(tmp_path):
    data = bundle(["36561"], conditions=("C92.00", "C50.911"))
    for entry, status in zip(data["entry"][1:3], ("refuted", "entered-in-error"), strict=True):
        entry["resource"]["verificationStatus"] = {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": status}]}
    assert read(tmp_path, data).conditions == ()


def test_the_latest_lab_is_chosen_by_time_of_day(tmp_path):
    data = bundle(["36561"], labs={"plt": (15, "10*3/uL", "2026-11-20T18:00:00Z"),
                                   "777-3": (45, "10*3/uL", "2026-11-20T06:00:00Z")})
    graph = facts(tmp_path, data)
    lab = graph.value(REQ.patient, NEC.hasLabResult)
    assert graph.value(lab, NEC.value).toPython() == Decimal("15")


def test_labs_with_a_partial_date_or_a_comparator_are_not_used_and_noted(tmp_path):
    data = bundle(["36561"], labs={"plt": (15, "10*3/uL", "2026-11"), "777-3": 45})
    data["entry"][2]["resource"]["valueQuantity"]["comparator"] = "<"
    request = read(tmp_path, data)
    assert [lab.unreadable for lab in request.labs] == ["valueQuantity has comparator '<': the value is a bound, "
                                                        "not a result"]
    reasons = [e.reason for e in request.ledger if e.use == "left out"]
    assert any("no full effective date" in r for r in reasons) and any("comparator '<'" in r for r in reasons)


def test_medication_reference_is_noted_not_dropped_silently(tmp_path):
    data = bundle(["36561"], meds=(("3041", "iv"),))
    med = data["entry"][1]["resource"]
    del med["medicationCodeableConcept"]
    med["medicationReference"] = {"reference": "Medication/m1"}
    request = read(tmp_path, data)
    assert [(d.rxnorm, d.unreadable) for d in request.drugs] == [
        (None, "medicationReference 'Medication/m1' is not a Medication of the Bundle")]
    data["entry"].append({"resource": {"resourceType": "Medication", "id": "m1", "code": {"coding": [
        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "3041"}]}}})
    assert [d.rxnorm for d in read(tmp_path, data).drugs] == ["3041"]


def test_entered_in_error_questionnaire_responses_are_ignored(tmp_path):
    data = bundle(["36561"], docs={"us-guidance.vessel-patency": True})
    data["entry"][-2]["resource"]["status"] = "entered-in-error"
    assert read(tmp_path, data).answers == ()


def test_a_line_code_without_a_system_is_noted(tmp_path):
    data = bundle(["36561"])
    del data["entry"][-1]["resource"]["item"][0]["productOrService"]["coding"][0]["system"]
    assert read(tmp_path, data).notes[1:] == ("Claim/c1 item[0]: code '36561' has no code system: no policy can match "
                                              "it",)


def test_resources_of_another_patient_are_refused(tmp_path):
    data = bundle(["36561"], conditions=("C92.00",))
    data["entry"][1]["resource"]["subject"] = {"reference": "Patient/someone-else"}
    error = error_of(tmp_path, data)
    assert (error.resource, error.field) == ("Condition/condition-1", "subject.reference")


def test_duplicate_line_sequence(tmp_path):
    data = bundle(["36561", "76937"])
    data["entry"][-1]["resource"]["item"][1]["sequence"] = 1
    error = error_of(tmp_path, data)
    assert (error.resource, error.field, error.problem) == ("Claim/c1", "item[1].sequence", "sequence 1 is used twice")


def test_line_quantity_must_be_positive(tmp_path):
    data = bundle(["36561"])
    data["entry"][-1]["resource"]["item"][0]["quantity"] = {"value": -1}
    assert error_of(tmp_path, data).field == "item[0].quantity.value"


def test_line_served_before_birth(tmp_path):
    data = bundle(["36561"], birth="2026-11-10")
    data["entry"][-1]["resource"]["item"][0]["servicedDate"] = "2026-11-01"
    error = error_of(tmp_path, data)
    assert (error.resource, error.field) == ("Claim/c1 item[0]", "servicedDate")


def test_claim_type_and_place_of_service_are_read_from_their_code_systems(tmp_path):
    data = bundle(["36561"], claim_type="institutional")
    claim_resource = data["entry"][-1]["resource"]
    claim_resource["type"]["coding"].insert(0, {"system": "http://example.org/local", "code": "X"})
    claim_resource["item"][0]["locationCodeableConcept"] = {"coding": [
        {"system": "http://example.org/local", "code": "ward"},
        {"system": "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set",
         "code": "22"}]}
    claim_read = read(tmp_path, data).claims[0]
    assert (claim_read.type, claim_read.lines[0].place_of_service) == ("institutional", "22")
