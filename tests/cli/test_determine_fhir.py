"""`necessity determine --format fhir`: a FHIR R4 Bundle with one ClaimResponse per Claim, each line's
decision as a Da Vinci PAS review action (X12 306 code), the reasons and sources as process notes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.claimresponse import ClaimResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bundles import bundle, write  # noqa: E402

SEED = str(Path(__file__).resolve().parents[2] / "examples" / "seed-aml-port.json")
REVIEW_ACTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
REVIEW_ACTION_CODE = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewActionCode"


def _responses(run_cli, *args: str) -> list[dict[str, Any]]:
    result = run_cli("determine", *args, "--format", "fhir")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    Bundle.model_validate(document)
    responses = [entry["resource"] for entry in document["entry"]]
    for response in responses:
        ClaimResponse.model_validate(response)
    return responses


def _action(item: dict[str, Any]) -> str:
    [adjudication] = item["adjudication"]
    [extension] = [e for e in adjudication["extension"] if e["url"] == REVIEW_ACTION]
    [code] = [e for e in extension["extension"] if e["url"] == REVIEW_ACTION_CODE]
    [coding] = code["valueCodeableConcept"]["coding"]
    assert coding["system"] == "https://codesystem.x12.org/005010/306" and set(coding) == {"system", "code"}
    return str(coding["code"])


def test_the_seed_claim_response_carries_one_review_action_per_line(run_cli):
    [response] = _responses(run_cli, SEED)
    assert (response["outcome"], response["use"], response["request"]["reference"]) == \
        ("complete", "preauthorization", "Claim/claim-11")
    assert (response["patient"]["reference"], response["created"]) == ("urn:uuid:seed-aml-port-patient-0", "2026-11-20")
    assert response["type"]["coding"][0]["code"] == "institutional"
    items = response["item"]
    assert [item["itemSequence"] for item in items] == list(range(1, 16))
    actions = {item["itemSequence"]: _action(item) for item in items}
    # 3 36561 justified, 4 J0690 not-justified, 5 J2001 and 8 85007 coding-error, 10 85610 needs-info
    assert (actions[3], actions[4], actions[5], actions[8], actions[10], actions[11]) == \
        ("A1", "A3", "A3", "A3", "A1", "A3")
    notes = {note["number"]: note["text"] for note in response["processNote"]}
    j0690 = notes[items[3]["noteNumber"][0]]
    assert j0690.startswith("Line 4, J0690: not-justified. Decided by ")
    assert "CDC/HICPAC 2011" in j0690 and "doi:10.1093/cid/cir257" in j0690
    assert any("a licensed reviewer decides" in text and "Knowledge base version" in text for text in notes.values())
    # a prior authorization: the procedure's documentation is to report, not missing
    assert "Documentation to report: 76937 documentation: permanent image recorded" in notes[items[0]["noteNumber"][0]]


def test_a_code_without_policy_is_pended(run_cli, tmp_path):
    path = write(tmp_path, bundle(["99213", "36561"], conditions=("C92.00",), meds=(("3041", "iv"),)))
    [response] = _responses(run_cli, str(path))
    assert response["use"] == "claim" and response["type"]["coding"][0]["code"] == "professional"
    actions = {item["itemSequence"]: _action(item) for item in response["item"]}
    assert actions == {1: "A4", 2: "A1"}
    first = next(n["text"] for n in response["processNote"] if n["number"] == response["item"][0]["noteNumber"][0])
    assert first == ("Line 1, 99213: no-policy. The knowledge base has no policy for this code: "
                     "a person reviews the line.")


def test_a_claim_without_an_id_is_referred_to_by_its_full_url(run_cli, tmp_path):
    request = bundle(["36561"], conditions=("C92.00",), meds=(("3041", "iv"),))
    claim = request["entry"][-1]
    del claim["resource"]["id"]
    claim["fullUrl"] = "urn:uuid:a-claim-without-id"
    [response] = _responses(run_cli, str(write(tmp_path, request)))
    assert response["request"] == {"reference": "urn:uuid:a-claim-without-id"}
    assert response["patient"] == {"reference": "Patient/p1"}
