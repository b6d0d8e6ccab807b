"""DTR's ``Questionnaire/$questionnaire-package`` on ``necessity api``, over HTTP on loopback: the
Questionnaires of the ordered codes, their FHIRPath pre-population evaluated as a DTR client would, and a
QuestionnaireResponse filled from one deciding a line at ``$submit``."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from fhirpathpy import evaluate

from reasoner.knowledge import Knowledge
from reasoner.questionnaire import documentation_needs
from tests.api.conftest import ROOT, Running

PAS_SEED = ROOT / "examples" / "pas" / "seed-aml-port.pas.json"
FIXTURES = ROOT / "tests" / "corpora" / "inferno-crd-fixtures"
INITIAL = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-initialExpression"
PACKAGE = "/fhir/Questionnaire/$questionnaire-package"


def order(code: str, system: str = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets") -> dict[str, Any]:
    """A draft ServiceRequest for ``code``."""
    return {"resourceType": "ServiceRequest", "id": f"order-{code}", "status": "draft", "intent": "original-order",
            "code": {"coding": [{"system": system, "code": code}]}, "subject": {"reference": "Patient/example"}}


def parameters(*extra: dict[str, Any], coverage: bool = True) -> dict[str, Any]:
    """The input Parameters: the Inferno kit's Coverage and ``extra``."""
    found = [{"name": "coverage", "resource": json.loads((FIXTURES / "crd_coverage_example.json").read_text())}] \
        if coverage else []
    return {"resourceType": "Parameters", "parameter": [*found, *extra]}


def package(api: Running, body: dict[str, Any]) -> Any:
    """POST the operation."""
    with api.client() as client:
        return client.post(PACKAGE, json=body)


def test_the_package_holds_a_questionnaire_per_ordered_code_and_names_what_gets_none(api: Running) -> None:
    medication = json.loads((FIXTURES / "order_sign_hook_request.json").read_text())["context"]["draftOrders"][
        "entry"][1]["resource"]
    response = package(api, parameters({"name": "order", "resource": order("J2001")},
                                       {"name": "order", "resource": medication},
                                       {"name": "order", "resource": order("36561", "http://www.ama-assn.org/go/cpt")},
                                       {"name": "questionnaire",
                                        "valueCanonical": "https://necessity.example/questionnaire/J1442"}))
    assert response.status_code == 200, response.text
    out = response.json()["parameter"]
    bundles = [p["resource"] for p in out if p["name"] == "PackageBundle"]
    questionnaires = [b["entry"][0]["resource"] for b in bundles]
    assert [q["url"] for q in questionnaires] == ["https://necessity.example/questionnaire/J2001",
                                                  "https://necessity.example/questionnaire/J1442"]
    knowledge = Knowledge.load(ROOT)
    for questionnaire in questionnaires:
        Questionnaire.model_validate(questionnaire)
        code = questionnaire["url"].rsplit("/", 1)[1]
        assert [i["linkId"] for i in questionnaire["item"]] == [
            q.link_id for q in documentation_needs(code, knowledge).questions]
    issues = [i["diagnostics"] for p in out if p["name"] == "operationOutcome" for i in p["resource"]["issue"]]
    assert any("MedicationRequest/smart-MedicationRequest-103" in i and "RxNorm 617993" in i for i in issues)
    assert "36561: the knowledge base asks no documentation for it" in issues


def test_a_question_the_record_answers_is_prefilled_by_fhirpath_and_no_other_answer_is_guessed(api: Running) -> None:
    out = package(api, parameters({"name": "order", "resource": order("J1442")})).json()["parameter"]
    questionnaire = out[0]["resource"]["entry"][0]["resource"]
    items = {i["linkId"]: i for i in questionnaire["item"]}
    expression = items["chemotherapy.fn-patient-risk-factor"]["extension"][0]
    assert expression["url"] == INITIAL and expression["valueExpression"]["language"] == "text/fhirpath"
    assert "extension" not in items["chemotherapy.febrile-neutropenia-risk"]
    assert questionnaire["extension"][0]["url"].endswith("sdc-questionnaire-launchContext")
    text = expression["valueExpression"]["expression"]
    assert evaluate({}, text, {"patient": {"resourceType": "Patient", "birthDate": "1950-03-01"}}) == [True]
    assert evaluate({}, text, {"patient": {"resourceType": "Patient", "birthDate": "1990-03-01"}}) == []
    assert evaluate({}, text, {"patient": {"resourceType": "Patient"}}) == []


def test_a_response_filled_from_the_package_decides_the_line_at_submit(api: Running) -> None:
    """Without its documentation J2001 is pended; the DTR form answered 'local-infiltration' makes it a
    coding error (lidocaine for local infiltration is not billed as J2001)."""
    out = package(api, parameters({"name": "order", "resource": order("J2001")})).json()["parameter"]
    questionnaire = out[0]["resource"]["entry"][0]["resource"]
    bundle = json.loads(PAS_SEED.read_text())
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "QuestionnaireResponse"]
    bundle["entry"][0]["resource"]["identifier"][0]["value"] = "dtr-test-without"

    def j2001_action(request: dict[str, Any]) -> str:
        with api.client() as client:
            response = client.post("/fhir/Claim/$submit", json=request)
        assert response.status_code == 200, response.text
        item = next(i for i in response.json()["entry"][0]["resource"]["item"] if i["itemSequence"] == 5)
        action = item["adjudication"][0]["extension"][0]["extension"]
        code = next(e for e in action if e["url"].endswith("reviewActionCode"))
        return str(code["valueCodeableConcept"]["coding"][0]["code"])

    assert j2001_action(bundle) == "A4"
    answered = {"resourceType": "QuestionnaireResponse", "id": "dtr-j2001", "status": "completed",
                "questionnaire": questionnaire["url"], "subject": bundle["entry"][0]["resource"]["patient"],
                "item": [{"linkId": questionnaire["item"][0]["linkId"],
                          "answer": [{"valueString": "local-infiltration"}]}]}
    bundle["entry"].append({"fullUrl": "urn:uuid:dtr-j2001", "resource": answered})
    bundle["entry"][0]["resource"]["identifier"][0]["value"] = "dtr-test-with"
    assert j2001_action(bundle) == "A3"


def test_bad_input_names_the_parameter(api: Running) -> None:
    no_coverage = package(api, parameters({"name": "order", "resource": order("J2001")}, coverage=False))
    assert no_coverage.status_code == 422
    assert no_coverage.json()["issue"][0]["expression"] == ["Parameters.parameter:coverage"]
    nothing_asked = package(api, parameters())
    assert nothing_asked.status_code == 422 and "dtr-1" in nothing_asked.json()["issue"][0]["diagnostics"]
    with api.client() as client:
        assert client.post(PACKAGE, json={"resourceType": "Bundle"}).status_code == 400
        assert client.post(PACKAGE, json=parameters(), headers={"Authorization": "Bearer wrong"}).status_code == 401
