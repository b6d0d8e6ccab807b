"""`necessity questionnaire`: the documentation a code needs, as a FHIR R4 Questionnaire whose
linkIds feed a QuestionnaireResponse straight back into `determine`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bundles import bundle, write  # noqa: E402

# the linkIds of the input contract (docs/input.md), by the code whose lines ask them
EXPECTED = {
    "76937": ["us-guidance.image-recorded", "us-guidance.realtime-needle", "us-guidance.sites-evaluated",
              "us-guidance.vessel-patency"],
    "77001": ["fluoro.tip-position-documented"],
    "99152": ["sedation.independent-observer", "sedation.intraservice-minutes"],
    "99153": ["sedation.intraservice-minutes"],
    "85007": ["lab.manual-differential-ordered"],
    "J2001": ["lidocaine.route"],
    "P9037": ["hsct.planned-or-received", "transfusion.active-bleeding", "transfusion.hla-selected"],
    "36561": [],
    # the DME input contract (docs/input.md, home oxygen and CPAP): exactly its questions
    "E1390": ["o2.test-at-rest-room-air"],
    "E0601": ["pap.adherence-70pct-4h", "pap.face-to-face-before-test", "pap.reevaluation-31-91-days",
              "pap.sleep-test-event-count"],
    "J2506": ["chemotherapy.febrile-neutropenia-risk", "chemotherapy.fn-patient-risk-factor"],
}


def _questionnaire(run_cli, code: str) -> dict[str, Any]:
    result = run_cli("questionnaire", code)
    assert result.exit_code == 0, result.stderr
    resource = json.loads(result.stdout)
    Questionnaire.model_validate(resource)
    return resource


@pytest.mark.slow
def test_each_code_asks_exactly_its_documentation(run_cli):
    for code, link_ids in EXPECTED.items():
        resource = _questionnaire(run_cli, code)
        assert [item["linkId"] for item in resource.get("item", [])] == link_ids, code
    sedation = {i["linkId"]: i["type"] for i in _questionnaire(run_cli, "99152")["item"]}
    assert sedation == {"sedation.independent-observer": "boolean", "sedation.intraservice-minutes": "integer"}
    assert _questionnaire(run_cli, "J2001")["item"][0]["type"] == "string"


def test_text_names_what_asks_each_question(run_cli):
    result = run_cli("questionnaire", "85007", "--format", "text")
    assert result.exit_code == 0
    assert "- lab.manual-differential-ordered (boolean):" in result.stdout
    text = result.stdout.replace("\n      ", " ")
    assert "NCCI: 85007 with 85027 only when a manual differential was ordered" in text
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_an_unknown_code_is_an_error(run_cli):
    result = run_cli("questionnaire", "99999")
    assert result.exit_code == 2 and result.stdout == ""
    assert "99999: not a billing code of the knowledge base" in result.stderr


def _answered(resource: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """A QuestionnaireResponse to ``resource`` answering each item from ``answers`` by its type."""
    value_key = {"boolean": "valueBoolean", "integer": "valueInteger", "string": "valueString"}
    return {"resourceType": "QuestionnaireResponse", "id": "qr-roundtrip", "status": "completed",
            "questionnaire": resource["url"], "subject": {"reference": "Patient/p1"},
            "item": [{"linkId": item["linkId"], "answer": [{value_key[item["type"]]: answers[item["linkId"]]}]}
                     for item in resource["item"]]}


def _statuses(run_cli, tmp_path: Path, lines: list[str], response: dict[str, Any]) -> dict[str, Any]:
    """Put the QuestionnaireResponse into a request and run `necessity determine` on it."""
    request = bundle(lines, conditions=("C92.00",), meds=(("3041", "iv"),), use="claim")
    request["entry"].insert(1, {"fullUrl": "urn:uuid:qr-roundtrip", "resource": response})
    result = run_cli("determine", str(write(tmp_path, request)), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {d["code"]: d for d in json.loads(result.stdout)["claims"][0]["determinations"]}


def test_round_trip_a_filled_questionnaire_decides_the_documentation(run_cli, tmp_path):
    resource = _questionnaire(run_cli, "76937")
    complete = _answered(resource, {link_id: True for link_id in EXPECTED["76937"]})
    line = _statuses(run_cli, tmp_path, ["36561", "76937"], complete)["76937"]
    assert line["status"] == "justified"
    states = {d["link_id"]: d["state"] for d in line["documentation"]}
    assert states == {link_id: "met" for link_id in EXPECTED["76937"]}
    answers = {link_id: link_id != "us-guidance.vessel-patency" for link_id in EXPECTED["76937"]}
    not_patent = _answered(resource, answers)
    line = _statuses(run_cli, tmp_path, ["36561", "76937"], not_patent)["76937"]
    assert line["status"] == "coding-error"
    assert {d["link_id"] for d in line["documentation"] if d["state"] == "refuted"} == {"us-guidance.vessel-patency"}


def test_round_trip_sedation_time_and_observer(run_cli, tmp_path):
    resource = _questionnaire(run_cli, "99152")
    short = _answered(resource, {"sedation.independent-observer": True, "sedation.intraservice-minutes": 8})
    assert _statuses(run_cli, tmp_path, ["36561", "99152"], short)["99152"]["status"] == "coding-error"
    enough = _answered(resource, {"sedation.independent-observer": True, "sedation.intraservice-minutes": 15})
    assert _statuses(run_cli, tmp_path, ["36561", "99152"], enough)["99152"]["status"] == "justified"


def test_round_trip_a_text_answer_from_the_offered_options(run_cli, tmp_path):
    resource = _questionnaire(run_cli, "J2001")
    [item] = resource["item"]
    assert [o["valueString"] for o in item["answerOption"]] == ["intravenous-infusion", "local-infiltration"]
    infiltrated = _statuses(run_cli, tmp_path, ["36561", "J2001"],
                            _answered(resource, {"lidocaine.route": "local-infiltration"}))["J2001"]
    assert infiltrated["status"] == "coding-error"
    infused = _statuses(run_cli, tmp_path, ["36561", "J2001"],
                        _answered(resource, {"lidocaine.route": "intravenous-infusion"}))["J2001"]
    assert infused["status"] != "coding-error"
    states = [{r["id"]: r["state"] for r in line["rules"]}["rule:hcpcs-J2001-route"] for line in (infiltrated, infused)]
    assert states == ["refuted", "met"]
