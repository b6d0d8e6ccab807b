"""The workbench's routes with a plain HTTP client: sign-in and cookies, the headers of a page, forms from
elsewhere refused, bad uploads and answers named, the audit trail without the token, a reviewer's decision
in the store and the metrics, and the parts (forms, documentation, reviewer) on their own."""

from __future__ import annotations

import json
import re
from contextlib import closing
from typing import Any

import httpx
import pytest

from reasoner.errors import InputError
from reasoner.results import Question
from reasoner.workbench.documentation import answered_request
from reasoner.workbench.forms import uploaded_file
from reasoner.workbench.reviewer import checked
from tests.api.conftest import ROOT, Running

SEED = ROOT / "examples" / "pas" / "seed-aml-port.pas.json"
ROUTE = Question(link_id="lidocaine.route", text="lidocaine route", answer_type="string", asked_by=(),
                 options=("intravenous-infusion", "local-infiltration"))


def browser_like(api: Running) -> httpx.Client:
    """A client with the sign-in cookie, as a browser is after signing in (no Authorization header)."""
    client = httpx.Client(base_url=api.url, timeout=120, follow_redirects=False)
    client.headers["Origin"] = api.url  # as a browser sends with a form of the page
    answer = client.post("/login", data={"token": api.token})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    return client


def uploaded(client: httpx.Client, body: bytes) -> httpx.Response:
    return client.post("/upload", files={"request": ("request.json", body, "application/json")})


@pytest.fixture(scope="module")
def seed_review(api: Running) -> dict[str, Any]:
    """The seed uploaded once through the workbench: its review page's URL and HTML."""
    with closing(browser_like(api)) as client:
        answer = uploaded(client, SEED.read_bytes())
        assert answer.status_code == 303, answer.text
        page = client.get(answer.headers["location"])
    return {"url": answer.headers["location"], "page": page}


def test_a_page_needs_sign_in_and_an_api_route_still_needs_the_bearer_token(api: Running) -> None:
    with httpx.Client(base_url=api.url, timeout=60) as anonymous:
        assert anonymous.get("/").status_code == 303 and anonymous.get("/").headers["location"] == "/login"
        assert anonymous.get("/login").status_code == 200
    with closing(browser_like(api)) as client:
        assert client.get("/").status_code == 200
        assert client.get("/fhir/ClaimResponse").status_code == 401  # the cookie opens the pages only
        cookie = client.post("/login", data={"token": api.token}).headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie


def test_a_page_has_a_strict_policy_and_is_not_cached(api: Running, seed_review: dict[str, Any]) -> None:
    headers = seed_review["page"].headers
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "script-src" not in headers["content-security-policy"]  # no script at all
    assert headers["cache-control"] == "no-store" and headers["x-frame-options"] == "DENY"
    assert "<script" not in seed_review["page"].text and "a licensed reviewer decides" in seed_review["page"].text


def test_the_token_is_never_in_the_audit_trail(api: Running) -> None:
    browser_like(api).close()
    logins = [e for e in api.records.exchanges() if e["route"] == "POST /login"]
    assert logins
    for exchange in logins:
        request, _ = api.records.exchange_bodies(exchange["id"])
        assert api.token not in request and request == "token=(not recorded)"


def test_a_form_from_another_site_is_refused(api: Running, seed_review: dict[str, Any]) -> None:
    with closing(browser_like(api)) as client:
        answer = client.post(seed_review["url"] + "/decisions", data={"line": "1", "action": "approve"},
                             headers={"Origin": "https://elsewhere.example"})
    assert answer.status_code == 403
    assert api.records.reviewer_decisions(seed_review["url"].rsplit("/", 1)[-1]) == []


def test_a_bad_upload_is_named_and_nothing_is_stored(api: Running) -> None:
    before = len(api.records.search())
    with closing(browser_like(api)) as client:
        answer = uploaded(client, b'{"resourceType": "Bundle", "type": "batch", "entry": []}')
    assert answer.status_code == 422 and "Bundle.type" in answer.text and "Nothing was decided" in answer.text
    assert len(api.records.search()) == before


def test_a_denial_needs_a_reason_and_is_then_sent_and_counted(api: Running, seed_review: dict[str, Any]) -> None:
    bearer = {"Authorization": f"Bearer {api.token}"}
    with closing(browser_like(api)) as client:
        before = client.get("/reports/pa-metrics", headers=bearer).json()["items"]
        refused = client.post(seed_review["url"] + "/decisions", data={"line": "4", "action": "deny", "note": ""})
        assert refused.status_code == 400 and "write the reason" in refused.text
        done = client.post(seed_review["url"] + "/decisions",
                           data={"line": "4", "action": "approve", "note": "the surgeon's infection-risk note"})
        assert done.status_code == 303
        after = client.get("/reports/pa-metrics", headers=bearer).json()["items"]
    response_id = seed_review["url"].rsplit("/", 1)[-1]
    stored = api.records.decision(response_id)
    assert stored is not None and stored.review_actions[3] == "A1"  # J0690, not-justified by necessity
    notes = [n["text"] for n in stored.response_bundle["entry"][0]["resource"]["processNote"]]
    assert any("approved (certified) by the reviewer test-client" in n and "had said not-justified" in n for n in notes)
    assert after["approved"]["count"] == before["approved"]["count"] + 1  # counted as the reviewer decided
    assert after["denied"]["count"] == before["denied"]["count"] - 1


def test_a_crafted_identifier_is_escaped(api: Running) -> None:
    bundle = json.loads(SEED.read_text())
    bundle["entry"][0]["resource"]["identifier"][0]["value"] = "<script>alert(1)</script>"
    with closing(browser_like(api)) as client:
        answer = uploaded(client, json.dumps(bundle).encode())
        page = client.get(answer.headers["location"]).text
        queue = client.get("/").text
    for html in (page, queue):
        assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_queue_filters_by_status_and_refuses_an_unknown_one(api: Running, seed_review: dict[str, Any]) -> None:
    with closing(browser_like(api)) as client:
        assert client.get("/?status=sideways").status_code == 400
        assert client.get("/?since=yesterday").status_code == 400
        denied = client.get("/?status=denied").text
        approved = client.get("/?status=approved").text
    seed_id = seed_review["url"].rsplit("/", 1)[-1]
    assert f'data-response="{seed_id}"' in denied and f'data-response="{seed_id}"' not in approved


def test_an_upload_is_read_from_multipart() -> None:
    body = (b"--XX\r\nContent-Disposition: form-data; name=\"request\"; filename=\"a.json\"\r\n"
            b"Content-Type: application/json\r\n\r\n{\"resourceType\": \"Bundle\"}\r\n--XX--\r\n")
    assert uploaded_file(body, "multipart/form-data; boundary=XX", "request", "upload") == \
        ("a.json", b'{"resourceType": "Bundle"}')
    with pytest.raises(InputError, match="no file was sent"):
        uploaded_file(body, "multipart/form-data; boundary=XX", "other", "upload")


def test_answers_are_typed_and_join_the_questionnaire_response() -> None:
    request = SEED.read_text()
    added = json.loads(answered_request(request, {"lidocaine.route": "intravenous-infusion"},
                                        {"lidocaine.route": ROUTE}, "nurse"))
    responses = [e["resource"] for e in added["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    assert len(responses) == 1  # the seed's own, its route item replaced
    (item,) = [i for i in responses[0]["item"] if i["linkId"] == "lidocaine.route"]
    assert item["answer"] == [{"valueString": "intravenous-infusion"}]
    with pytest.raises(InputError, match="answer one of"):
        answered_request(request, {"lidocaine.route": "by mouth"}, {"lidocaine.route": ROUTE}, "nurse")
    count = Question(link_id="n", text="n", answer_type="integer", asked_by=())
    with pytest.raises(InputError, match=re.escape("item[n]")):
        answered_request(request, {"n": "three"}, {"n": count}, "nurse")
    with pytest.raises(InputError, match="no answer was given"):
        answered_request(request, {"n": " "}, {"n": count}, "nurse")


def test_the_reviewer_form_is_checked() -> None:
    assert checked("pend", " ask for the INR ", "2", {2: "needs-info"}) == ("pend", "ask for the INR", 2)
    for action, note, line, field in (("maybe", "", "2", "action"), ("approve", "", "9", "line"),
                                      ("deny", " ", "2", "note")):
        with pytest.raises(InputError) as raised:
            checked(action, note, line, {2: "needs-info"})
        assert raised.value.field == field
