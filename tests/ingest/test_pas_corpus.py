"""Every Bundle of the two PAS corpora (tests/corpora/davinci-pas-2.2.1/: the Da Vinci PAS 2.2.1 IG's examples;
tests/corpora/inferno-pas-fixtures/: the Inferno PAS test kit's fixtures) is reviewed or refused as the IG
intends: a request is reviewed line by line, an update reviews its current Claim only (the prior Claim and
the lines the update cancels are not decided), an inquiry and a response are not requests (exit code 2,
one line on standard error). The ledger of a reviewed Bundle (``ingest`` in the JSON output) accounts
for every entry, once each, in entry order.

None of the corpus codes (G0154, B4184, B4185, 99212, 33510, X12 service type 3) is in the knowledge
base: every decided line is no-policy. A code that came under the other billing system's URI (99212 and
33510, CPT codes, under the HCPCS URI) or that is no billing code (an X12 service type) carries a
code-system warning.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bundles import write
from rewrites import with_info_cancelled

from reasoner.cli.options import knowledge as installed
from reasoner.errors import NecessityError
from reasoner.questionnaire import documentation_needs

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
PAS = CORPORA / "davinci-pas-2.2.1"
INFERNO = CORPORA / "inferno-pas-fixtures"
SD = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"

# What each line of a reviewed request must give: (sequence, code, status, code-system warning).
NO_POLICY_LINES = {
    "G0154": (1, "G0154", "no-policy", False),
    "B4184": (2, "B4184", "no-policy", False),
    "B4185": (3, "B4185", "no-policy", False),
    "99212": (1, "99212", "no-policy", True),   # a CPT code under the HCPCS URI
    "33510": (1, "33510", "no-policy", True),   # a CPT code under the HCPCS URI
    "x12-3": (1, "3", "no-policy", True),       # X12 service type 3 (Consultation): not a billing code
}
REFERRAL = {"ReferralAuthorizationExample": {
    "lines": [NO_POLICY_LINES["x12-3"]], "cancelled": [], "service_date_source": "created",
    "service_date": "2005-05-02"}}

# Each corpus Bundle: what it is and what necessity must make of it.
REQUESTS: dict[str, dict[str, dict[str, Any]]] = {
    "davinci-pas-2.2.1/Bundle-HomecareAuthorizationBundleExample.json": {"HomecareAuthorizationExample": {
        "lines": [NO_POLICY_LINES["G0154"], NO_POLICY_LINES["B4184"]], "cancelled": [],
        "service_date_source": "created", "service_date": "2019-07-20"}},
    "davinci-pas-2.2.1/Bundle-HomecareAuthorizationUpdateBundleExample.json": {
        "HomecareAuthorizationUpdateExample": {
            "lines": [NO_POLICY_LINES["G0154"], NO_POLICY_LINES["B4185"]], "cancelled": [(2, "B4184")],
            "service_date_source": "created", "service_date": "2019-07-20"}},
    "davinci-pas-2.2.1/Bundle-MedicalServicesAuthorizationBundleExample.json": {
        "MedicalServicesAuthorizationExample": {
            "lines": [NO_POLICY_LINES["99212"]], "cancelled": [], "service_date_source": "item.servicedDate",
            "line_service_date": "2005-05-10"}},
    "davinci-pas-2.2.1/Bundle-ReferralAuthorizationBundleExample.json": REFERRAL,
    "davinci-pas-2.2.1/Bundle-SurgicalRequestBundleExample.json": {"SurgicalAuthorizationRequestExample": {
        "lines": [NO_POLICY_LINES["33510"]], "cancelled": [], "service_date_source": "supportingInfo.admissionDates",
        "service_date": "2020-07-02", "line_service_date": "2020-07-02"}},
    "inferno-pas-fixtures/conformant_pas_bundle_v110.json": REFERRAL,
    "inferno-pas-fixtures/conformant_pas_bundle_v110_uuid.json": {"75832284-6c15-488c-8237-0290624d5b98":
                                                                   REFERRAL["ReferralAuthorizationExample"]},
    # Inferno's case of a Practitioner named by the care team but not in the Bundle: necessity does not read
    # the care team, so nothing it needs is missing.
    "inferno-pas-fixtures/missing_referenced_resource_request_bundle.json": REFERRAL,
}
INQUIRIES = ["davinci-pas-2.2.1/Bundle-PASClaimInquiryBundleExample.json",
             "inferno-pas-fixtures/conformant_pas_inquire_bundle_v110.json"]
RESPONSES = ["davinci-pas-2.2.1/Bundle-ErrorResponseBundleExample.json",
             "davinci-pas-2.2.1/Bundle-PASClaimInquiryResponseBundleExample.json",
             "davinci-pas-2.2.1/Bundle-ReferralAuthorizationResponseBundleExample.json",
             "davinci-pas-2.2.1/Bundle-ReferralPendingAuthorizationResponseBundleExample.json",
             "davinci-pas-2.2.1/Bundle-RejectionResponseBundleExample.json",
             "inferno-pas-fixtures/invalid_first_entry_response_bundle.json",
             "inferno-pas-fixtures/missing_referenced_resource_response_bundle.json",
             "inferno-pas-fixtures/pa_response_bundle_missing_elements.json",
             "inferno-pas-fixtures/response_bundle_patient_wrong_fullurl.json",
             "inferno-pas-fixtures/valid_pa_inquire_response_bundle.json",
             "inferno-pas-fixtures/valid_pa_response_bundle.json",
             "inferno-pas-fixtures/valid_pa_response_bundle_denial.json"]
# Bundles that are not review requests for another reason: file -> what standard error must say (one of).
OTHERS = {
    # a subscription notification (a history Bundle carrying a response): refused for its type, or as no request
    "davinci-pas-2.2.1/Bundle-PASSubscriptionNotification.json": ("Bundle: type:", "not a request"),
    "inferno-pas-fixtures/nonconformant_pas_bundle_v110.json": ("Bundle: entry:",),  # no entry at all
    # Two items with sequence 1: a line is known by its sequence (ClaimResponse.item.itemSequence answers it).
    "inferno-pas-fixtures/conformant_pas_bundle_v110_multiple_items.json": (
        "Claim/ReferralAuthorizationExample: item[1].sequence: sequence 1 is used twice",),
}
# Resource types necessity does not read: ignored wherever they are.
NOT_READ = ("Organization", "Coverage", "Practitioner", "PractitionerRole", "Location", "Encounter",
            "DocumentReference")


def _bundles() -> list[str]:
    return sorted(f"{folder.name}/{path.name}" for folder in (PAS, INFERNO) for path in folder.glob("*.json")
                  if path.name != "package.json")


def _load(name: str) -> dict[str, Any]:
    return json.loads((CORPORA / name).read_text(encoding="utf-8"))


def _profiles(resource: dict[str, Any]) -> set[str]:
    return {p.removeprefix(SD) for p in (resource.get("meta") or {}).get("profile") or []}


def _determine(run_cli: Any, path: Path) -> tuple[int, dict[str, Any] | None, str, str]:
    result = run_cli("determine", str(path), "--format", "json")
    output = json.loads(result.stdout) if result.exit_code == 0 else None
    return result.exit_code, output, result.stdout, result.stderr


def test_the_corpora_are_there_with_their_licences():
    package = json.loads((PAS / "package.json").read_text(encoding="utf-8"))
    assert (package["name"], package["version"], package["license"]) == ("hl7.fhir.us.davinci-pas", "2.2.1", "CC0-1.0")
    assert (PAS / "README.md").is_file() and (INFERNO / "README.md").is_file()
    assert "Apache License" in (INFERNO / "LICENSE").read_text(encoding="utf-8")
    assert len(list(PAS.glob("Bundle-*.json"))) == 12


def test_every_corpus_bundle_is_classified_once():
    classified = [*REQUESTS, *INQUIRIES, *RESPONSES, *OTHERS]
    assert sorted(classified) == _bundles()


def test_the_classification_is_what_each_bundle_says_it_is():
    """The table above follows the Bundles themselves: an inquiry's profile or its Claim's, a response's
    profile or its first entry, a request's profile and its Claim first."""
    for name in INQUIRIES:
        data = _load(name)
        claim = data["entry"][0]["resource"]
        assert "profile-pas-inquiry-request-bundle" in _profiles(data) or "profile-claim-inquiry" in _profiles(claim)
    for name in RESPONSES:
        data = _load(name)
        first = data["entry"][0]["resource"]["resourceType"]
        assert first == "ClaimResponse" or _profiles(data) & {"profile-pas-response-bundle",
                                                              "profile-pas-inquiry-response-bundle"}, name
    for name in REQUESTS:
        data = _load(name)
        assert _profiles(data) == {"profile-pas-request-bundle"}, name
        assert data["entry"][0]["resource"]["resourceType"] == "Claim", name


def test_the_corpus_codes_are_not_in_the_knowledge():
    for code in ("G0154", "B4184", "B4185", "99212", "33510", "3"):
        with pytest.raises(NecessityError, match="not a billing code of the knowledge base"):
            documentation_needs(code, installed())


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_a_request_is_reviewed_line_by_line(run_cli, name):
    code, review, _, stderr = _determine(run_cli, CORPORA / name)
    assert code == 0 and review is not None, stderr
    expected = REQUESTS[name]
    assert [c["claim"] for c in review["claims"]] == list(expected)
    for claim in review["claims"]:
        want = expected[claim["claim"]]
        got = [(d["sequence"], d["code"], d["status"], any(w["kind"] == "code-system" for w in d["warnings"]))
               for d in claim["determinations"]]
        assert got == want["lines"]
        assert [(c["sequence"], c["code"]) for c in claim["cancelled"]] == want["cancelled"]
        assert claim["service_date_source"] == want["service_date_source"]
        if "service_date" in want:
            assert claim["service_date"] == want["service_date"]
        if "line_service_date" in want:
            assert {d["service_date"] for d in claim["determinations"]} == {want["line_service_date"]}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_the_ledger_accounts_for_every_entry(run_cli, name):
    code, review, _, stderr = _determine(run_cli, CORPORA / name)
    assert code == 0 and review is not None, stderr
    entries = [e["resource"] for e in _load(name)["entry"]]
    ledger = review["ingest"]
    assert [e["entry"] for e in ledger] == list(range(len(entries)))
    assert [e["resource"] for e in ledger] == [f"{r['resourceType']}/{r['id']}" for r in entries]
    assert len({e["resource"] for e in ledger}) == len(ledger)
    for entry, resource in zip(ledger, entries, strict=True):
        assert entry["use"] in ("used", "ignored", "left out"), entry
        if entry["use"] != "used":
            assert entry["reason"].strip(), entry
        if resource["resourceType"] in NOT_READ:
            assert entry["use"] == "ignored", entry
        if resource["resourceType"] == "Patient" or resource["id"] in REQUESTS[name]:
            assert entry["use"] == "used", entry
        if resource["resourceType"] == "ServiceRequest":  # coded in X12 service types: a system necessity cannot read
            assert entry["use"] == "left out", entry


def test_the_update_reviews_the_current_claim_only(run_cli):
    name = "davinci-pas-2.2.1/Bundle-HomecareAuthorizationUpdateBundleExample.json"
    data = _load(name)
    current, prior = data["entry"][0]["resource"], data["entry"][5]["resource"]
    assert "profile-claim-update" in _profiles(current)
    assert current["related"][0]["relationship"]["coding"][0]["code"] == "prior"
    assert current["related"][0]["claim"]["reference"] == f"Claim/{prior['id']}"
    code, review, _, stderr = _determine(run_cli, CORPORA / name)
    assert code == 0 and review is not None, stderr
    assert [c["claim"] for c in review["claims"]] == [current["id"]]
    claim = review["claims"][0]
    assert [d["code"] for d in claim["determinations"]] == ["G0154", "B4185"]
    assert [(c["sequence"], c["code"]) for c in claim["cancelled"]] == [(2, "B4184")]
    ignored = next(e for e in review["ingest"] if e["resource"] == f"Claim/{prior['id']}")
    assert ignored["entry"] == 5 and ignored["use"] == "ignored" and "prior" in ignored["reason"].lower()


def test_a_line_whose_info_cancelled_is_false_is_decided(run_cli, tmp_path):
    """infoCancelled valueBoolean false withdraws nothing: B4184 is decided like the others."""
    name = "davinci-pas-2.2.1/Bundle-HomecareAuthorizationUpdateBundleExample.json"
    data = with_info_cancelled(_load(name), 2, value=False)
    code, review, _, stderr = _determine(run_cli, write(tmp_path, data))
    assert code == 0 and review is not None, stderr
    claim = review["claims"][0]
    assert [d["code"] for d in claim["determinations"]] == ["G0154", "B4184", "B4185"]
    assert claim["cancelled"] == []


def test_a_cancelled_line_of_a_request_is_listed_not_decided(run_cli, tmp_path):
    """The first request (not an update) with B4184 flagged infoCancelled: listed as cancelled, not decided."""
    data = with_info_cancelled(_load("davinci-pas-2.2.1/Bundle-HomecareAuthorizationBundleExample.json"), 2)
    code, review, _, stderr = _determine(run_cli, write(tmp_path, data))
    assert code == 0 and review is not None, stderr
    claim = review["claims"][0]
    assert [d["code"] for d in claim["determinations"]] == ["G0154"]
    assert [(c["sequence"], c["code"]) for c in claim["cancelled"]] == [(2, "B4184")]


def _refused(run_cli: Any, name: str) -> str:
    code, _, stdout, stderr = _determine(run_cli, CORPORA / name)
    assert code == 2, stderr
    assert stdout == "" and stderr.count("\n") == 1 and stderr.startswith("necessity: error: ")
    assert str(CORPORA / name) in stderr
    return stderr


@pytest.mark.parametrize("name", INQUIRIES)
def test_an_inquiry_is_not_a_request(run_cli, name):
    assert "this is a PAS inquiry, not a request" in _refused(run_cli, name)


@pytest.mark.parametrize("name", RESPONSES)
def test_a_response_is_not_a_request(run_cli, name):
    assert "not a request" in _refused(run_cli, name)


@pytest.mark.parametrize("name", sorted(OTHERS))
def test_a_bundle_that_is_no_review_request_is_refused(run_cli, name):
    stderr = _refused(run_cli, name)
    assert any(words in stderr for words in OTHERS[name]), stderr
