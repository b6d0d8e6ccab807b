"""The CRD services of ``necessity api`` (CDS Hooks discovery, order-sign, order-select, appointment-book),
called over HTTP on loopback with the Inferno CRD kit's hook requests and the seed's orders, and with a
FHIR server of fixtures standing for the EHR's."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reasoner.api.app import Settings
from reasoner.api.background import serving
from reasoner.api.crd.record import origin
from reasoner.api.records import Records, database_url
from reasoner.knowledge import Knowledge
from tests.api.conftest import ROOT, Running
from tests.api.fhir_server import FixtureServer, fhir_server
from tests.tool_modules import load_tool

FIXTURES = ROOT / "tests" / "corpora" / "inferno-crd-fixtures"
CRD_PACKAGE = ROOT / "tests" / "corpora" / "davinci-crd-2.0.1"
SEED_HOOK = ROOT / "examples" / "crd" / "seed-order-sign.json"
COVERAGE_INFORMATION = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"


def fixture(name: str) -> dict[str, Any]:
    """An Inferno CRD fixture, as the kit has it."""
    return dict(json.loads((FIXTURES / name).read_text()))


def value_set(name: str) -> set[str]:
    """The codes of a CRD ValueSet of the IG package."""
    data = json.loads((CRD_PACKAGE / f"ValueSet-{name}.json").read_text())
    return {c["code"] for include in data["compose"]["include"] for c in include.get("concept", [])}


def coverage_information(action: dict[str, Any]) -> dict[str, Any]:
    """The sub-extensions of the coverage-information extension a system action adds, by url."""
    found = [e for e in action["resource"]["extension"] if e["url"] == COVERAGE_INFORMATION]
    assert len(found) == 1
    return {part["url"]: next(v for k, v in part.items() if k.startswith("value")) for part in found[0]["extension"]}


def hook(api: Running, service: str, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    """POST a hook call to a CRD service of the API."""
    with api.client(token) as client:
        return client.post(f"/cds-services/{service}", json=body)


@pytest.fixture(scope="module")
def ehr() -> Iterator[FixtureServer]:
    """The EHR's FHIR server: the Inferno kit's Patient and Coverage, no other data."""
    patient, coverage = fixture("crd_patient_example.json"), fixture("crd_coverage_example.json")
    with fhir_server({"Patient/example": patient},
                     {"Coverage?patient=example&status=active": [coverage]}) as server:
        yield server


@pytest.fixture(scope="module")
def crd_api(api: Running, ehr: FixtureServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The API with the EHR's origin on its allow-list (the same token as ``api``)."""
    knowledge = Knowledge.load(ROOT)
    records = Records(database_url(str(tmp_path_factory.mktemp("crd") / "pa.sqlite")))
    settings = Settings(knowledge=knowledge, engine=knowledge.engine("fast"), records=records, tokens=None,
                        fhir_servers=(origin(ehr.url),))
    with serving(settings) as url:
        yield Running(url, api.token, records)
    records.close()


@pytest.fixture(scope="module")
def seed_answer(api: Running) -> dict[str, Any]:
    """The answer to the seed's order-sign call."""
    response = hook(api, "necessity-order-sign", json.loads(SEED_HOOK.read_text()))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return dict(response.json())


@pytest.mark.requirement("crd:4", "crd:35", "crd:108", "crd:110", "crd:111", "crd:112", "crd:113", "crd:114",
                         "crd:115", "crd:120", "crd:121", "crd:122", "crd:170", "crd:208", "crd:217")
def test_discovery_lists_the_services_with_their_prefetch_and_options_without_a_token(api: Running) -> None:
    response = httpx.get(api.url + "/cds-services", timeout=30)
    assert response.status_code == 200
    services = response.json()["services"]
    assert {s["hook"] for s in services} == {"order-sign", "order-select", "appointment-book"}
    card_types = json.loads((CRD_PACKAGE / "CodeSystem-temp.json").read_text())
    card_codes = {c["code"] for top in card_types["concept"] if top["code"] == "_cardType" for c in top["concept"]}
    for service in services:
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert "Coverage?patient={{context.patientId}}" in service["prefetch"]["coverage"]
        options = service["extension"]["davinci-crd.configuration-options"]
        assert [o["code"] for o in options] == ["coverage-info"] and set(options[0]) == {
            "code", "type", "name", "description", "default"}
        assert all(o["code"] in card_codes and o["type"] in ("boolean", "integer") for o in options)
        assert "licensed reviewer" in service["description"]


@pytest.mark.requirement("crd:23", "crd:24", "crd:226", "crd:247", "crd:279")
def test_the_seed_orders_get_coverage_information_that_never_waives_authorization(seed_answer: dict[str, Any]) -> None:
    actions = seed_answer["systemActions"]
    assert len(actions) == 15 and all(a["type"] == "update" for a in actions)
    info = {a["resource"]["id"]: coverage_information(a) for a in actions}
    for parts in info.values():
        assert {"coverage", "covered", "pa-needed", "date", "coverage-assertion-id", "reason"} <= set(parts)
        assert parts["covered"] in value_set("coverageInfo") and parts["pa-needed"] in value_set("coveragePaDetail")
        assert parts["pa-needed"] != "no-auth"
        assert parts["coverage"] == {"reference": "Coverage/seed-aml-port-coverage"}
        if "doc-needed" in parts:
            assert parts["doc-needed"] in value_set("AdditionalDocumentation")
            assert parts["doc-purpose"] in value_set("DocReason")
    # order-3 is the port placement (36561), order-4 cefazolin (J0690), order-11 irradiated platelets (P9037)
    assert info["order-3"]["covered"] == "covered" and info["order-3"]["billingCode"]["code"] == "36561"
    assert "ASCO 2013 recommendation 1.1" in info["order-3"]["reason"]["text"]
    assert info["order-4"]["covered"] == "conditional"
    cefazolin = info["order-4"]["reason"]["text"]
    assert "not-justified" in cefazolin and "CDC/HICPAC 2011" in cefazolin
    assert info["order-11"]["covered"] == "conditional"
    assert len({p["coverage-assertion-id"] for p in info.values()}) == 15


def test_only_lines_whose_criteria_are_met_are_said_covered(api: Running, seed_answer: dict[str, Any]) -> None:
    """The same orders as a claim: every order said covered is a justified line, and each other is not."""
    for action in seed_answer["systemActions"]:
        parts = coverage_information(action)
        status = re.match(r"Line \d+, \S+: (\S+)\.", parts["reason"]["text"])
        assert status is not None
        assert (parts["covered"] == "covered") == (status.group(1) == "justified")


@pytest.mark.requirement("crd:140", "crd:248", "crd:258", "crd:259")
def test_each_card_names_its_order_and_links_its_sources(seed_answer: dict[str, Any]) -> None:
    cards = seed_answer["cards"]
    assert len(cards) == 15
    for card in cards:
        assert len(card["summary"]) <= 140 and card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["topic"]["code"] == "coverage-info" and card["uuid"]
        assert card["detail"].startswith("**ServiceRequest/order-") and "licensed reviewer decides" in card["detail"]
        assert card["links"] and all(link["type"] == "absolute" and link["url"].startswith("https://")
                                     for link in card["links"])
    port = next(c for c in cards if c["summary"].startswith("36561"))
    assert "https://doi.org/10.1200/JCO.2012.45.5733" in {link["url"] for link in port["links"]}


def test_a_pended_order_points_to_its_questionnaire(seed_answer: dict[str, Any]) -> None:
    info = {a["resource"]["id"]: coverage_information(a) for a in seed_answer["systemActions"]}
    assert info["order-5"]["questionnaire"] == "https://necessity.example/questionnaire/J2001"
    assert "questionnaire" not in info["order-3"]  # 36561 asks no question


@pytest.mark.requirement("crd:116", "crd:117", "crd:118", "crd:128", "crd:129", "crd:131")
def test_configuration_turns_cards_off_and_nonsense_is_ignored(api: Running) -> None:
    call = json.loads(SEED_HOOK.read_text())
    call["extension"] = {"davinci-crd.configuration": {"coverage-info": False}}
    off = hook(api, "necessity-order-sign", call).json()
    assert off["cards"] == [] and len(off["systemActions"]) == 15
    call["extension"] = {"davinci-crd.configuration": {"coverage-info": "no", "max-cards": 3}}
    ignored = hook(api, "necessity-order-sign", call).json()
    assert len(ignored["cards"]) == 15


@pytest.mark.requirement("crd:63")
def test_what_is_not_prefetched_nor_fetchable_is_unknown_not_refuted(api: Running) -> None:
    """Without the observations, the platelet transfusion's threshold cannot refute it: the line is pended."""
    call = json.loads(SEED_HOOK.read_text())
    del call["prefetch"]["observations"]
    answer = hook(api, "necessity-order-sign", call).json()
    info = {a["resource"]["id"]: coverage_information(a) for a in answer["systemActions"]}
    assert "P9037: needs-info" in info["order-11"]["reason"]["text"]
    assert answer["extension"]["necessity.record"]["missing"]["observations"].startswith("not prefetched")
    platelets = next(c for c in answer["cards"] if c["summary"].startswith("P9037"))
    assert "Not available to this review: the patient's observations" in platelets["detail"]


def test_an_order_without_a_billing_code_is_conditional_with_the_reason(crd_api: Running, ehr: FixtureServer) -> None:
    call = fixture("order_sign_hook_request.json")
    call["fhirServer"] = ehr.url
    answer = hook(crd_api, "necessity-order-sign", call).json()
    info = {a["resource"]["resourceType"]: coverage_information(a) for a in answer["systemActions"]}
    assert set(info) == {"NutritionOrder", "MedicationRequest"}
    assert info["MedicationRequest"]["covered"] == info["MedicationRequest"]["pa-needed"] == "conditional"
    assert "RxNorm 617993: no CPT or HCPCS code" in info["MedicationRequest"]["reason"]["text"]
    assert "reads no billing code from a NutritionOrder" in info["NutritionOrder"]["reason"]["text"]


@pytest.mark.requirement("crd:57")
def test_what_is_not_prefetched_is_fetched_from_the_allowed_server_with_the_token(
        crd_api: Running, ehr: FixtureServer) -> None:
    call = fixture("order_sign_hook_request.json")
    call["fhirServer"] = ehr.url
    before = len(ehr.received)
    answer = hook(crd_api, "necessity-order-sign", call).json()
    received = ehr.received[before:]
    assert ("Patient/example", "Bearer SAMPLE_TOKEN") in received
    assert ("Coverage?patient=example&status=active", "Bearer SAMPLE_TOKEN") in received
    assert all(authorization == "Bearer SAMPLE_TOKEN" for _, authorization in received)
    coverage = {coverage_information(a)["coverage"]["reference"] for a in answer["systemActions"]}
    assert coverage == {"Coverage/coverage_example"}
    assert len(answer["extension"]["necessity.record"]["fetched"]) == len(received)


def test_a_server_off_the_allow_list_is_never_queried(api: Running, ehr: FixtureServer) -> None:
    call = fixture("order_sign_hook_request.json")
    call["fhirServer"] = ehr.url
    before = len(ehr.received)
    answer = hook(api, "necessity-order-sign", call).json()
    assert ehr.received[before:] == []
    assert answer["systemActions"] == []  # no Coverage could be had
    assert "not on this API's allow-list" in answer["cards"][0]["detail"]


@pytest.mark.requirement("crd:167")
def test_order_select_decides_only_the_selections(crd_api: Running, ehr: FixtureServer) -> None:
    call = fixture("order_select_hook_request.json")
    call["fhirServer"] = ehr.url
    call["context"]["selections"] = ["MedicationRequest/smart-MedicationRequest-103"]
    answer = hook(crd_api, "necessity-order-select", call).json()
    assert [a["resource"]["id"] for a in answer["systemActions"]] == ["smart-MedicationRequest-103"]
    seed = json.loads(SEED_HOOK.read_text())
    seed.update(hook="order-select")
    seed["context"]["selections"] = ["ServiceRequest/order-5"]  # J2001, pended for its documentation at sign
    selected = hook(crd_api, "necessity-order-select", seed).json()
    parts = coverage_information(selected["systemActions"][0])
    assert len(selected["systemActions"]) == 1 and parts["billingCode"]["code"] == "J2001"
    assert "doc-needed" not in parts and "questionnaire" not in parts and parts["pa-needed"] == "auth-needed"
    call["context"]["selections"] = ["MedicationRequest/not-there"]
    refused = hook(crd_api, "necessity-order-select", call)
    assert refused.status_code == 400
    assert refused.json()["issue"][0]["expression"] == ["context.selections"]


@pytest.mark.requirement("crd:164", "crd:184")
def test_appointment_book_answers_each_appointment(crd_api: Running, ehr: FixtureServer) -> None:
    call = fixture("appointment_book_hook_request.json")
    call["fhirServer"] = ehr.url
    answer = hook(crd_api, "necessity-appointment-book", call).json()
    assert [a["resource"]["id"] for a in answer["systemActions"]] == ["apt1", "apt2"]
    assert all(coverage_information(a)["covered"] == "conditional" for a in answer["systemActions"])


@pytest.mark.requirement("crd:158", "crd:162", "crd:169")
def test_bad_calls_get_one_outcome_naming_the_field_and_unknown_context_is_ignored(api: Running) -> None:
    call = json.loads(SEED_HOOK.read_text())
    wrong = dict(call, hook="order-select")
    refused = hook(api, "necessity-order-sign", wrong)
    assert refused.status_code == 400 and refused.json()["issue"][0]["expression"] == ["hook"]
    no_patient = copy.deepcopy(call)
    del no_patient["context"]["patientId"]
    assert hook(api, "necessity-order-sign", no_patient).json()["issue"][0]["expression"] == ["context.patientId"]
    with api.client() as client:
        assert client.post("/cds-services/necessity-order-sign", content=b"{not json").status_code == 400
        assert client.post("/cds-services/no-such-service", json=call).status_code == 404
    extra = copy.deepcopy(call)
    extra["context"]["encounterId"] = "enc-1"
    extra["context"]["somethingNew"] = {"a": 1}
    assert hook(api, "necessity-order-sign", extra).status_code == 200


def test_a_hook_call_needs_a_token(api: Running) -> None:
    response = hook(api, "necessity-order-sign", json.loads(SEED_HOOK.read_text()), token="wrong")
    assert response.status_code == 401


@pytest.mark.requirement("crd:76")
def test_every_hook_call_and_its_answer_is_kept(api: Running, seed_answer: dict[str, Any]) -> None:
    kept = [e for e in api.records.exchanges() if e["route"] == "POST /cds-services/necessity-order-sign"]
    bodies = [api.records.exchange_bodies(e["id"]) for e in kept]
    assert any(body is not None and json.loads(body[1]) == seed_answer for body in bodies)
    assert all(e["client"] == "test-client" for e in kept if e["http_status"] == 200)


def test_the_seed_hook_is_the_tool_output() -> None:
    """examples/crd/seed-order-sign.json is what tools/crd_hook.py makes of the seed (run it again when stale)."""
    seed = json.loads((ROOT / "examples" / "seed-aml-port.json").read_text())
    assert load_tool("crd_hook").order_sign(seed, "seed-aml-port") == json.loads(SEED_HOOK.read_text())


def test_the_system_actions_have_the_kits_shape_and_only_defined_parts(seed_answer: dict[str, Any]) -> None:
    """As the Inferno kit's expected system actions are built; each part one the extension defines, and its
    invariants held (crd-ci-q2: pa-needed unless not covered; q3: info-needed only when conditional; q5: no
    satisfied-pa-id without pa-needed satisfied)."""
    definition = json.loads((CRD_PACKAGE / "StructureDefinition-ext-coverage-information.json").read_text())
    defined = {e["fixedUri"] for e in definition["snapshot"]["element"]
               if e["path"] == "Extension.extension.url" and "fixedUri" in e}
    for name in ("coverage_info_system_action_covered.json", "coverage_info_system_action_conditional.json"):
        expected = fixture(name)
        for action in seed_answer["systemActions"]:
            assert set(action) == set(expected) and action["type"] == expected["type"]
            assert action["resource"]["resourceType"] == "ServiceRequest"
    for action in seed_answer["systemActions"]:
        parts = coverage_information(action)
        assert set(parts) <= defined
        assert parts["covered"] == "not-covered" or "pa-needed" in parts
        assert "info-needed" not in parts or "conditional" in (parts["covered"], parts["pa-needed"])
        assert ("satisfied-pa-id" in parts) == (parts["pa-needed"] == "satisfied")
