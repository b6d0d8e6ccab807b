"""The workbench's routes, each answered through the API's exchange (authenticated, limited, recorded in the
audit trail before it is sent): the queue at ``/``, the upload, the review page, the documentation form
that decides a request again, the reviewer's decision per line, and the sign-in with a cookie."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request

from reasoner.api.answers import HTML, Answer, Refused, Settings
from reasoner.api.crd.orders import is_day
from reasoner.api.pas import NotConformant, Submitted
from reasoner.api.records import Decision, PageLine, Reviewed, ReviewerDecision, ReviewPage
from reasoner.errors import InputError
from reasoner.questionnaire import all_documentation_needs
from reasoner.render.report import deciding_label, lines_html, patient_html
from reasoner.results import Determination, DocumentationNeeds, Question
from reasoner.workbench import pages
from reasoner.workbench.documentation import answered_request
from reasoner.workbench.forms import form_fields, uploaded_file
from reasoner.workbench.reviewer import ACTIONS, checked, with_reviewer_decision

COOKIE = "necessity_token"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                "Cache-Control": "no-store", "X-Frame-Options": "DENY"}
STYLESHEETS = {"workbench.css": Path(__file__).resolve().parent / "static" / "workbench.css",
               "report.css": Path(__file__).resolve().parents[1] / "render" / "templates" / "report.css"}
SIGN_IN = ("/login",)

Decide = Callable[[bytes], Awaitable[Submitted]]
Handler = Callable[[Request, bytes], Awaitable[Answer]]


def is_workbench(path: str) -> bool:
    """Whether ``path`` is a page of the workbench (signed in with the cookie, sent to sign in when not)."""
    return path in ("/", "/upload", "/logout") or path.startswith("/reviews/")


def sign_in_redirect() -> Refused:
    """The refusal of a workbench page to a person not signed in: to the sign-in page."""
    return Refused(303, "login", "sign in", answer=redirect("/login"))


def page(html: str, status: int = 200) -> Answer:
    """A workbench page, with the strict Content-Security-Policy and no caching (it shows patient data)."""
    return Answer(status, html, media_type=HTML, headers=dict(PAGE_HEADERS))


def redirect(location: str, **answer: Any) -> Answer:
    """A 303 to ``location`` (after a form: the browser then GETs it)."""
    headers = {"Location": location, **PAGE_HEADERS, **answer.pop("headers", {})}
    return Answer(303, "", media_type=HTML, headers=headers, **answer)


def stored(submitted: Submitted, request: bytes, needs: dict[str, DocumentationNeeds], previous: str = "") -> Decision:
    """The decision of ``submitted`` with what the workbench shows of it: its lines (with the questions that
    would decide them), its review as HTML, the request Bundle decided, and the decision it re-decided."""
    claim = submitted.report.review.claims[0]
    lines = tuple(PageLine(sequence=d.sequence, code=d.code, status=str(d.status), asked=_deciding_questions(d, needs),
                           description=d.display or "(not in the knowledge base)", claimed_as=d.claimed_as or "",
                           deciding=deciding_label(d)) for d in claim.determinations)
    return replace(submitted.decision, page=ReviewPage(
        lines=lines, patient_html=patient_html(submitted.report), html=lines_html(submitted.report),
        request=request.decode("utf-8"), previous_response_id=previous))


def _deciding_questions(d: Determination, needs: dict[str, DocumentationNeeds]) -> tuple[str, ...]:
    """The linkIds of the questions whose answers would decide the line: its documentation not shown, and
    the questions the knowledge asks for its criteria that are unknown."""
    sources = {s.id: s.label for s in (*d.recommendations, *d.rules)}
    unknown = {f"{sources.get(c.of, '')}: {c.label}" for c in d.criteria if c.state == "unknown"}
    asked = [i.link_id for i in d.documentation if i.state != "met"]
    asked += [q.link_id for q in needs[d.code].questions if unknown & set(q.asked_by)] if d.code in needs else []
    return tuple(dict.fromkeys(asked))


def handlers(settings: Settings, decide: Decide) -> dict[tuple[str, str], Handler]:
    """The workbench's handlers by (path, method)."""
    records, signed_in = settings.records, settings.tokens is not None
    needs = all_documentation_needs(settings.knowledge)  # queried now, not while a decision holds the store

    async def queue(request: Request, body: bytes) -> Answer:
        status, since, until = (request.query_params.get(k, "") for k in ("status", "since", "until"))
        if status and status not in pages.STATUS_FILTERS:
            return page(pages.error_html("Unknown filter", f"status={status!r}: choose one of "
                                         f"{', '.join(pages.STATUS_FILTERS)}", "/"), 400)
        for name, day in (("since", since), ("until", until)):
            if day and not is_day(day):
                return page(pages.error_html("Unknown date", f"{name}={day!r}: give a date as YYYY-MM-DD", "/"), 400)
        entries = _entries(records.search(created=(since or "0000", (until or "9999") + "\uffff")),
                           records.reviewed_line_counts())
        counts = {key: sum(1 for e in entries if key in e.states) for key in pages.STATUS_FILTERS}
        shown = [e for e in entries if not status or status in e.states]
        return page(pages.queue_html(shown, counts, status, since, until, signed_in))

    async def upload(request: Request, body: bytes) -> Answer:
        _same_origin(request)
        try:
            _, data = uploaded_file(body, request.headers.get("content-type", ""), "request", "upload")
            submitted = await decide(data)
        except InputError as exc:
            return page(pages.error_html("The request could not be decided", str(exc), "/"),
                        422 if isinstance(exc, NotConformant) else 400)
        return redirect(f"/reviews/{submitted.decision.response_id}", decisions=(stored(submitted, data, needs),))

    async def review(request: Request, body: bytes) -> Answer:
        decision, shown = _found(records, request.path_params["id"])
        previous = records.review_page(shown.previous_response_id) if shown.previous_response_id else None
        html = pages.review_html(decision, shown, records.reviewer_decisions(decision.response_id), previous,
                                 _newest(records, decision), _asked(shown, needs), signed_in)
        return page(html)

    async def documentation(request: Request, body: bytes) -> Answer:
        _same_origin(request)
        decision, shown = _found(records, request.path_params["id"])
        back = f"/reviews/{decision.response_id}"
        try:
            fields = form_fields(body, request.headers.get("content-type", ""), "documentation")
            line = int(fields.get("line", "0")) if fields.get("line", "").isdigit() else 0
            asked = {q.link_id: q for q in _asked(shown, needs).get(line, [])}
            answers = {name[2:]: value for name, value in fields.items() if name.startswith("q:")}
            unknown = sorted(set(answers) - set(asked))
            if not asked or unknown:
                raise InputError("documentation", "form", f"q:{unknown[0]}" if unknown else "line",
                                 "not a question this line asks")
            data = answered_request(shown.request, answers, asked, request.state.client)
            submitted = await decide(data)
        except InputError as exc:
            return page(pages.error_html("The documentation could not be added", str(exc), back), 400)
        return redirect(f"/reviews/{submitted.decision.response_id}",
                        decisions=(stored(submitted, data, needs, previous=decision.response_id),))

    async def decide_line(request: Request, body: bytes) -> Answer:
        _same_origin(request)
        decision, shown = _found(records, request.path_params["id"])
        back = f"/reviews/{decision.response_id}"
        newest = _newest(records, decision)
        if newest != decision.response_id:
            return page(pages.error_html("A newer decision exists", "this request was decided again: record the "
                                         "decision on the newest", f"/reviews/{newest}"), 409)
        statuses = {line.sequence: line.status for line in shown.lines}
        try:
            fields = form_fields(body, request.headers.get("content-type", ""), "decision")
            action, note, line = checked(fields.get("action", ""), fields.get("note", ""), fields.get("line", ""),
                                         statuses)
        except InputError as exc:
            return page(pages.error_html("The decision was not recorded", str(exc), back), 400)
        mine = ReviewerDecision(response_id=decision.response_id, item_sequence=line, action=action, note=note,
                                reviewer=request.state.client,
                                recorded_at=datetime.now(UTC).isoformat(timespec="seconds"))
        bundle = with_reviewer_decision(decision.response_bundle, mine, statuses[line])
        sent = tuple(ACTIONS[action][0] if shown_line.sequence == line else sent_action
                     for shown_line, sent_action in zip(shown.lines, decision.review_actions, strict=True))
        return redirect(f"{back}#line-{line}", reviewed=Reviewed(mine, sent, bundle))

    async def login_form(request: Request, body: bytes) -> Answer:
        return page(pages.login_html()) if signed_in else redirect("/")

    async def login(request: Request, body: bytes) -> Answer:
        _same_origin(request)
        redacted = b"token=(not recorded)"
        try:
            token = form_fields(body, request.headers.get("content-type", ""), "login").get("token", "").strip()
        except InputError as exc:
            return replace(page(pages.login_html(str(exc)), 400), recorded_request=redacted)
        if settings.tokens is None or settings.tokens.client(f"Bearer {token}") is None:
            return replace(page(pages.login_html("That token is not one of this server's."), 401),
                           recorded_request=redacted)
        secure = "; Secure" if request.url.scheme == "https" else ""
        return redirect("/", headers={"Set-Cookie": f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/{secure}"},
                        recorded_request=redacted)

    async def logout(request: Request, body: bytes) -> Answer:
        _same_origin(request)
        return redirect("/login" if signed_in else "/",
                        headers={"Set-Cookie": f"{COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/"})

    return {("/", "GET"): queue, ("/upload", "POST"): upload, ("/reviews/{id}", "GET"): review,
            ("/reviews/{id}/documentation", "POST"): documentation, ("/reviews/{id}/decisions", "POST"): decide_line,
            ("/login", "GET"): login_form, ("/login", "POST"): login, ("/logout", "POST"): logout}


def _entries(decisions: list[Decision], reviewed: dict[str, int]) -> list[pages.QueueEntry]:
    newest: dict[tuple[str, str], str] = {}
    entries = []
    for d in decisions:  # newest first: the first of a Claim identifier is its current decision
        current = newest.setdefault(d.claim_identifier, d.response_id)
        entries.append(pages.QueueEntry(d, reviewed.get(d.response_id, 0),
                                        "" if current == d.response_id else current))
    return entries


def _found(records: Any, response_id: str) -> tuple[Decision, ReviewPage]:
    decision = records.decision(response_id)
    if decision is None:
        raise Refused(404, "not-found", "", answer=page(pages.error_html(
            "No such review", f"no ClaimResponse {response_id!r} is stored", "/"), 404))
    shown = records.review_page(response_id)
    if shown is None:
        raise Refused(404, "not-found", "", answer=page(pages.error_html(
            "No review page", f"ClaimResponse {response_id!r} was stored without its review page (decided before "
            "the workbench kept them); $inquire and GET /fhir/ClaimResponse still return it", "/"), 404))
    return decision, shown


def _newest(records: Any, decision: Decision) -> str:
    system, value = decision.claim_identifier
    found = records.search(identifier=f"{system}|{value}" if system else value)
    return found[0].response_id if found else decision.response_id


def _asked(shown: ReviewPage, needs: dict[str, Any]) -> dict[int, list[Question]]:
    """The questions each line still asks (its documentation not shown), from the knowledge's questionnaire."""
    return {line.sequence: [q for q in needs[line.code].questions if q.link_id in line.asked]
            for line in shown.lines if line.asked and line.code in needs}


def _same_origin(request: Request) -> None:
    """A form is taken only from a page of this server (the cookie is SameSite=Strict too)."""
    origin = request.headers.get("origin")
    if origin and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
        raise Refused(403, "forbidden", f"a form from {origin} is not taken: only from this server's pages")

