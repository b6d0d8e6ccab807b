"""PAS $submit, $inquire, ClaimResponse read and search, against the running API with real clients."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from tests.api.conftest import ROOT, Running

SEED = ROOT / "examples" / "pas" / "seed-aml-port.pas.json"
FIXTURES = ROOT / "tests" / "corpora" / "inferno-pas-fixtures"
IG = ROOT / "tests" / "corpora" / "davinci-pas-2.2.1"
ACTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
FHIR = {"Content-Type": "application/fhir+json"}


def actions(response: dict[str, Any]) -> dict[int, str]:
    """Item sequence -> the X12 306 review action code of a ClaimResponse."""
    found = {}
    for item in response["item"]:
        action = next(e for e in item["adjudication"][0]["extension"] if e["url"] == ACTION)
        code = next(e for e in action["extension"] if e["url"].endswith("reviewActionCode"))
        found[item["itemSequence"]] = code["valueCodeableConcept"]["coding"][0]["code"]
    return found


def submit(api: Running, body: bytes) -> Any:
    with api.client() as client:
        return client.post("/fhir/Claim/$submit", content=body, headers=FHIR)


@pytest.fixture(scope="module")
def seed(api: Running) -> dict[str, Any]:
    """The seed, wrapped as a PAS Bundle, submitted once."""
    answer = submit(api, SEED.read_bytes())
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.requirement("pas:spec-30", "pas:spec-34", "pas:spec-11")
def test_submit_answers_the_seed_with_one_review_action_per_line_and_the_reasons(seed: dict[str, Any]) -> None:
    Bundle.model_validate(seed)
    first = seed["entry"][0]["resource"]
    assert first["resourceType"] == "ClaimResponse" and first["use"] == "preauthorization"
    claim = json.loads(SEED.read_bytes())["entry"][0]["resource"]
    assert sorted(actions(first)) == sorted(item["sequence"] for item in claim["item"])
    got = actions(first)
    # the seed's statuses: 76937 justified (A1), J0690 not-justified (A3), J2001 and 85007 coding errors (A3)
    assert (got[1], got[4], got[5], got[8]) == ("A1", "A3", "A3", "A3")
    notes = {n["number"]: n["text"] for n in first["processNote"]}
    j0690 = next(i for i in first["item"] if i["itemSequence"] == 4)
    reason = notes[j0690["noteNumber"][0]]
    assert "J0690" in reason and "not-justified" in reason and "Sources:" in reason
    assert any("licensed reviewer decides" in text for text in notes.values())


@pytest.mark.requirement("pas:spec-33")
def test_the_response_echoes_the_requests_patient_insurer_and_requestor_with_their_full_urls(
        seed: dict[str, Any]) -> None:
    request = json.loads(SEED.read_bytes())
    claim = request["entry"][0]["resource"]
    urls = {e["fullUrl"]: e["resource"] for e in request["entry"]}
    echoed = {e["fullUrl"]: e["resource"] for e in seed["entry"][1:]
              if e["resource"]["resourceType"] != "CommunicationRequest"}
    for key in ("patient", "insurer", "provider"):
        assert echoed[claim[key]["reference"]] == urls[claim[key]["reference"]]
    response = seed["entry"][0]["resource"]
    assert response["identifier"] == claim["identifier"]
    assert (response["patient"], response["insurer"], response["requestor"]) == \
        (claim["patient"], claim["insurer"], claim["provider"])


@pytest.mark.requirement("pas:spec-44", "pas:spec-46", "pas:spec-53")
def test_inquire_returns_the_stored_decision_for_the_claim_identifier_member_id_and_npi(
        api: Running, seed: dict[str, Any]) -> None:
    request = json.loads(SEED.read_bytes())
    inquiry = copy.deepcopy(request)
    inquiry["entry"][0]["resource"].pop("supportingInfo", None)
    with api.client() as client:
        answer = client.post("/fhir/Claim/$inquire", json=inquiry, headers=FHIR)
    assert answer.status_code == 200, answer.text
    returned = [p["resource"] for p in answer.json()["parameter"] if p["name"] == "return"]
    assert len(returned) == 1
    assert returned[0]["entry"][0]["resource"]["id"] == seed["entry"][0]["resource"]["id"] or \
        returned[0]["entry"][0]["resource"]["created"] >= seed["entry"][0]["resource"]["created"]
    assert returned[0]["entry"][0]["resource"]["request"]["reference"] == request["entry"][0]["fullUrl"]


@pytest.mark.requirement("pas:spec-53")
def test_inquire_with_another_providers_npi_finds_nothing(api: Running, seed: dict[str, Any]) -> None:
    inquiry = json.loads(SEED.read_bytes())
    for entry in inquiry["entry"]:
        if entry["resource"].get("id") == "seed-aml-port-provider":
            entry["resource"]["identifier"][0]["value"] = "1999999999"
    with api.client() as client:
        answer = client.post("/fhir/Claim/$inquire", json=inquiry, headers=FHIR)
    assert answer.status_code == 200 and "parameter" not in answer.json()


def test_claim_response_read_and_search_by_patient_identifier_and_date(api: Running, seed: dict[str, Any]) -> None:
    response = seed["entry"][0]["resource"]
    with api.client() as client:
        read = client.get(f"/fhir/ClaimResponse/{response['id']}")
        by_identifier = client.get("/fhir/ClaimResponse", params={"identifier": response["identifier"][0]["value"]})
        by_patient = client.get("/fhir/ClaimResponse", params={"patient": response["patient"]["reference"]})
        by_date = client.get("/fhir/ClaimResponse", params=[("created", "ge2000-01-01"), ("created", "le2000-12-31")])
        missing = client.get("/fhir/ClaimResponse/no-such-response")
    assert read.status_code == 200 and read.json() == response
    assert response["id"] in {e["resource"]["id"] for e in by_identifier.json()["entry"]}
    assert response["id"] in {e["resource"]["id"] for e in by_patient.json()["entry"]}
    assert by_date.json()["total"] == 0
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"


def test_every_exchange_is_stored_with_its_hash_knowledge_version_engine_and_client(
        api: Running, seed: dict[str, Any]) -> None:
    body = SEED.read_bytes()
    stored = [e for e in api.records.exchanges() if e["route"] == "POST /fhir/Claim/$submit"
              and e["request_sha256"] == hashlib.sha256(body).hexdigest()]
    assert stored and stored[0]["client"] == "test-client" and stored[0]["http_status"] == 200
    assert stored[0]["knowledge_version"] and "fast" in stored[0]["engine"]
    request_text, response_text = api.records.exchange_bodies(stored[0]["id"]) or ("", "")
    assert request_text == body.decode() and json.loads(response_text)["resourceType"] == "Bundle"


@pytest.mark.requirement("pas:spec-12", "pas:spec-35")
@pytest.mark.parametrize(("body", "status", "expression"), [
    (b"{not json", 400, None),
    (json.dumps({"resourceType": "Patient"}).encode(), 400, "resourceType"),
    ((FIXTURES / "invalid_first_entry_response_bundle.json").read_bytes(), 422, "Bundle.entry[0].resource"),
])
def test_bad_input_gets_one_operation_outcome_naming_the_field_and_nothing_is_decided(
        api: Running, body: bytes, status: int, expression: str | None) -> None:
    before = len(api.records.search())
    answer = submit(api, body)
    assert answer.status_code == status, answer.text
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome" and len(outcome["issue"]) == 1
    if expression:
        assert outcome["issue"][0]["expression"] == [expression]
    assert len(api.records.search()) == before


@pytest.mark.requirement("pas:spec-14")
def test_a_resource_given_twice_is_refused_naming_the_second_entry(api: Running) -> None:
    bundle = json.loads(SEED.read_bytes())
    condition = next(i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == "Condition")
    bundle["entry"].append(copy.deepcopy(bundle["entry"][condition]))
    answer = submit(api, json.dumps(bundle).encode())
    assert answer.status_code == 422, answer.text
    assert answer.json()["issue"][0]["expression"] == [f"Bundle.entry[{len(bundle['entry']) - 1}]"]


@pytest.mark.requirement("pas:spec-31")
def test_the_response_gives_each_resource_once(seed: dict[str, Any]) -> None:
    urls = [e["fullUrl"] for e in seed["entry"]]
    assert len(urls) == len(set(urls))


def test_a_claim_without_its_identifier_is_refused_with_422(api: Running) -> None:
    bundle = json.loads(SEED.read_bytes())
    del bundle["entry"][0]["resource"]["identifier"]
    answer = submit(api, json.dumps(bundle).encode())
    assert answer.status_code == 422 and answer.json()["issue"][0]["expression"] == ["Claim.identifier"]


@pytest.mark.parametrize("name", ["conformant_pas_bundle_v110.json", "conformant_pas_bundle_v110_uuid.json"])
def test_the_inferno_conformant_requests_are_answered_item_by_item(api: Running, name: str) -> None:
    request = json.loads((FIXTURES / name).read_bytes())
    answer = submit(api, (FIXTURES / name).read_bytes())
    assert answer.status_code == 200, answer.text
    response = answer.json()["entry"][0]["resource"]
    assert sorted(actions(response)) == sorted(i["sequence"] for i in request["entry"][0]["resource"]["item"])
    assert set(actions(response).values()) <= {"A1", "A3", "A4"}


def test_a_request_that_uses_one_item_sequence_twice_is_refused_naming_the_item(api: Running) -> None:
    """The kit's 'multiple items' fixture gives both items sequence 1: PAS traces items by sequence (spec-34),
    so the two could not be told apart in the response."""
    answer = submit(api, (FIXTURES / "conformant_pas_bundle_v110_multiple_items.json").read_bytes())
    assert answer.status_code == 400 and answer.json()["issue"][0]["expression"] == ["item[1].sequence"]


@pytest.mark.parametrize("path", sorted(IG.glob("Bundle-*AuthorizationBundleExample.json")) +
                         sorted(IG.glob("Bundle-SurgicalRequestBundleExample.json")), ids=lambda p: p.stem)
def test_the_ig_request_examples_are_answered(api: Running, path: Path) -> None:
    answer = submit(api, path.read_bytes())
    assert answer.status_code == 200, answer.text
    assert answer.json()["entry"][0]["resource"]["resourceType"] == "ClaimResponse"


def test_every_route_but_metadata_needs_a_token(api: Running) -> None:
    with api.client(token="wrong") as client:
        refused = [client.post("/fhir/Claim/$submit", content=SEED.read_bytes(), headers=FHIR),
                   client.get("/fhir/ClaimResponse"), client.get("/reports/pa-metrics")]
        metadata = client.get("/fhir/metadata")
    assert [r.status_code for r in refused] == [401, 401, 401]
    assert refused[0].headers["WWW-Authenticate"].startswith("Bearer")
    assert metadata.status_code == 200 and metadata.json()["resourceType"] == "CapabilityStatement"


def test_a_request_over_the_size_limit_is_refused_with_413(api: Running) -> None:
    answer = submit(api, b" " * (3 << 20))
    assert answer.status_code == 413 and answer.json()["issue"][0]["code"] == "too-long"


def test_pa_metrics_count_the_stored_items_by_review_action(api: Running, seed: dict[str, Any]) -> None:
    with api.client() as client:
        figures = client.get("/reports/pa-metrics").json()
    assert figures["requests"] >= 1
    assert figures["items"]["denied"]["count"] >= 4 and figures["items"]["approved"]["count"] >= 1
    assert figures["decision_ms"]["p50"] > 0


def test_a_pended_line_gets_a_communication_request_naming_what_would_decide_it(api: Running) -> None:
    bundle = json.loads(SEED.read_bytes())
    answers = {e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"}
    bundle["entry"] = [e for e in bundle["entry"] if e["fullUrl"] not in answers]
    claim = bundle["entry"][0]["resource"]
    claim["supportingInfo"] = [s for s in claim.get("supportingInfo", [])
                               if s.get("valueReference", {}).get("reference") not in answers]
    answer = submit(api, json.dumps(bundle).encode())
    assert answer.status_code == 200, answer.text
    response = answer.json()["entry"][0]["resource"]
    pended = [sequence for sequence, code in actions(response).items() if code == "A4"]
    assert 5 in pended  # J2001: the route of the lidocaine is in the answers left out
    requests = {e["fullUrl"]: e["resource"] for e in answer.json()["entry"]
                if e["resource"]["resourceType"] == "CommunicationRequest"}
    assert {r["reference"] for r in response["communicationRequest"]} == set(requests)
    lines = {r["extension"][0]["valuePositiveInt"]: r["payload"] for r in requests.values()}
    assert 5 in lines and all(p["contentString"].startswith("Line 5, J2001: ") for p in lines[5])


def test_a_fhir_client_reads_and_searches_the_stored_claim_responses(api: Running, seed: dict[str, Any]) -> None:
    from fhirpy import SyncFHIRClient

    client = SyncFHIRClient(f"{api.url}/fhir", authorization=f"Bearer {api.token}")
    response = seed["entry"][0]["resource"]
    read = client.reference("ClaimResponse", response["id"]).to_resource()
    assert read["outcome"] == "complete" and len(read["item"]) == len(response["item"])
    found = client.resources("ClaimResponse").search(identifier=response["identifier"][0]["value"]).fetch()
    assert response["id"] in {r["id"] for r in found}


@pytest.mark.requirement("pas:spec-46")
def test_the_inferno_inquiry_finds_the_decision_on_the_inferno_request_it_names(api: Running) -> None:
    submitted = submit(api, (FIXTURES / "conformant_pas_bundle_v110.json").read_bytes()).json()
    with api.client() as client:
        answer = client.post("/fhir/Claim/$inquire", headers=FHIR,
                             content=(FIXTURES / "conformant_pas_inquire_bundle_v110.json").read_bytes())
    assert answer.status_code == 200, answer.text
    [returned] = [p["resource"] for p in answer.json()["parameter"]]
    assert returned["entry"][0]["resource"]["id"] == submitted["entry"][0]["resource"]["id"]  # the newest
