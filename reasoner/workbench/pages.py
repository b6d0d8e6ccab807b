"""The workbench's pages as HTML (escaped with ``html.escape``, as the report is): the layout every page
shares (with the line that a licensed reviewer decides), the queue, the review page, the sign-in page
and the page of an error."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from reasoner.api.records import Decision, ReviewerDecision, ReviewPage
from reasoner.render import REVIEWER_LINE
from reasoner.results import Question
from reasoner.workbench.reviewer import ACTIONS

ACTION_WORDS = {"A1": "approved", "A3": "denied", "A4": "pended"}  # X12 306, as the queue counts lines
STATUS_FILTERS = {"pended": "a line pended", "denied": "a line denied", "approved": "every line approved",
                  "to-review": "lines left for the reviewer", "reviewed": "every line decided by the reviewer"}


@dataclass(frozen=True)
class QueueEntry:
    """One stored decision as the queue lists it."""

    decision: Decision
    reviewed_lines: int
    superseded_by: str  # the response id of the newer decision for the same Claim, or ""

    @property
    def states(self) -> set[str]:
        """The status filters this entry matches."""
        actions = self.decision.review_actions
        states = {"pended"} if "A4" in actions else set()
        states |= {"denied"} if "A3" in actions else set()
        states |= {"approved"} if actions and set(actions) == {"A1"} else set()
        states.add("reviewed" if actions and self.reviewed_lines >= len(actions) else "to-review")
        return states


def layout(title: str, main: str, signed_in: bool) -> str:
    """A whole page: the header with the queue and the sign-out, the reviewer line, ``main``."""
    sign_out = ('<form method="post" action="/logout" class="signout"><button type="submit">Sign out</button>'
                "</form>") if signed_in else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} · necessity</title>"
            '<link rel="stylesheet" href="/workbench/report.css">'
            '<link rel="stylesheet" href="/workbench/workbench.css">'
            "</head><body>"
            f'<header><a class="brand" href="/">necessity · review queue</a>{sign_out}</header>'
            f'<p class="notice" role="note">{escape(REVIEWER_LINE)} The evidence of every status is on its page.</p>'
            f"<main>{main}</main></body></html>\n")


def queue_html(entries: list[QueueEntry], counts: dict[str, int], status: str, since: str, until: str,
               signed_in: bool) -> str:
    """The queue: the upload, the status counts (each a filter), the filter form, the requests newest first."""
    upload = ('<section class="upload"><h2>Decide a request</h2>'
              '<form method="post" action="/upload" enctype="multipart/form-data">'
              '<label for="request-file">PAS request Bundle (JSON)</label> '
              '<input id="request-file" type="file" name="request" '
              'accept=".json,application/json,application/fhir+json" required> '
              '<button type="submit">Upload and decide</button></form></section>')
    chips = "".join(f'<li><a href="/?status={key}">{escape(words)}: <b>{counts.get(key, 0)}</b></a></li>'
                    for key, words in STATUS_FILTERS.items())
    options = "".join(f'<option value="{key}"{" selected" if key == status else ""}>{escape(words)}</option>'
                      for key, words in STATUS_FILTERS.items())
    filters = ('<form method="get" action="/" class="filters"><label for="status">Status</label> '
               f'<select id="status" name="status"><option value="">all</option>{options}</select> '
               f'<label for="since">from</label> <input id="since" type="date" name="since" value="{escape(since)}"> '
               f'<label for="until">until</label> <input id="until" type="date" name="until" value="{escape(until)}"> '
               '<button type="submit">Filter</button> <a href="/">clear</a></form>')
    rows = "".join(_queue_row(e) for e in entries) or '<tr><td colspan="6">No request matches.</td></tr>'
    table = ('<table class="queue"><caption>Requests, newest first</caption><tr><th>received</th><th>request</th>'
             "<th>patient</th><th>lines, as sent</th><th>reviewer</th><th></th></tr>" + rows + "</table>")
    main = (f"<h1>Review queue</h1>{upload}<section><h2>Requests</h2>"
            f'<ul class="counts" aria-label="requests by status">{chips}</ul>{filters}{table}</section>')
    return layout("Review queue", main, signed_in)


def _queue_row(entry: QueueEntry) -> str:
    d = entry.decision
    counts = {word: sum(1 for a in d.review_actions if ACTION_WORDS.get(a) == word) for word in ACTION_WORDS.values()}
    lines = " ".join(f'<span class="count {word}">{n} {word}</span>' for word, n in counts.items() if n)
    superseded = f' <span class="superseded">re-decided: <a href="/reviews/{escape(entry.superseded_by)}">newer</a>' \
                 "</span>" if entry.superseded_by else ""
    return (f'<tr data-response="{escape(d.response_id)}"><td>{escape(d.created)}</td>'
            f"<td>{escape(d.claim_identifier[1])}{superseded}</td><td>{escape(d.patient_identifier[1] or '-')}</td>"
            f"<td>{lines}</td><td>{entry.reviewed_lines} of {len(d.review_actions)} lines decided</td>"
            f'<td><a href="/reviews/{escape(d.response_id)}">Open review<span class="hidden"> of '
            f"{escape(d.claim_identifier[1])}</span></a></td></tr>")


def review_html(decision: Decision, page: ReviewPage, reviewer: list[ReviewerDecision], previous: ReviewPage | None,
                newest: str, questions: dict[int, list[Question]], signed_in: bool) -> str:
    """The review page: what changed since the decision it re-decided, the lines with necessity's status and
    the reviewer's decision (a form per line), the documentation forms of the lines that need it, then the
    review as it was decided (patient, facts, proof of each line, sources)."""
    claim = decision.claim_identifier[1]
    head = (f"<h1>Review of request {escape(claim)}</h1><p>ClaimResponse <code>{escape(decision.response_id)}</code>, "
            f"decided {escape(decision.created)}; patient {escape(decision.patient_identifier[1] or '-')}.</p>")
    if newest != decision.response_id:
        head += (f'<p class="warning" role="alert">This decision was re-decided: <a href="/reviews/{escape(newest)}">'
                 "open the newest</a>. Decisions are recorded on the newest only.</p>")
    parts = [head, _changes(page, previous), f'<section class="patient">{page.patient_html}</section>',
             _decisions(decision, page, reviewer, newest), _documentation_forms(decision.response_id, page, questions),
             f'<section class="decided"><h2>Each line\'s proof, as necessity decided it</h2>{page.html}</section>']
    return layout(f"Review of {claim}", "".join(parts), signed_in)


def _changes(page: ReviewPage, previous: ReviewPage | None) -> str:
    if previous is None:
        return ""
    before = {line.sequence: line.status for line in previous.lines}
    changed = [(line.sequence, line.code, before.get(line.sequence, "not on it"), line.status)
               for line in page.lines if before.get(line.sequence) != line.status]
    items = "".join(f'<li data-line="{n}">line {n} {escape(code)}: <span class="status {escape(old)}">{escape(old)}'
                    f'</span> → <span class="status {escape(new)}">{escape(new)}</span></li>'
                    for n, code, old, new in changed) or "<li>no line changed status</li>"
    return (f'<section class="changes" aria-live="polite"><h2>What changed</h2><p>Decided again with the documentation '
            f'filled in, from <a href="/reviews/{escape(page.previous_response_id)}">the previous decision</a>:</p>'
            f"<ul>{items}</ul><p>{len(page.lines) - len(changed)} lines unchanged.</p></section>")


def _decisions(decision: Decision, page: ReviewPage, reviewer: list[ReviewerDecision], newest: str) -> str:
    latest = {r.item_sequence: r for r in reviewer}
    rows = []
    for line, action in zip(page.lines, decision.review_actions, strict=False):
        n, code, status = line.sequence, line.code, line.status
        mine = latest.get(n)
        recorded = (f'<span class="count {ACTION_WORDS[ACTIONS[mine.action][0]]}">{escape(ACTIONS[mine.action][1])}'
                    f"</span> by {escape(mine.reviewer)}, {escape(mine.recorded_at)}"
                    + (f"<br><q>{escape(mine.note)}</q>" if mine.note else "")) if mine else "not yet"
        form = _decision_form(decision.response_id, n, code) if newest == decision.response_id else ""
        claimed = f'<br><span class="claimed">the claim calls it: {escape(line.claimed_as)}</span>' \
            if line.claimed_as else ""
        rows.append(f'<tr data-line="{n}" data-status="{escape(status)}" id="line-{n}"><td>{n}</td>'
                    f"<td><b>{escape(code)}</b></td><td>{escape(line.description)}{claimed}</td>"
                    f'<td><span class="status {escape(status)}">{escape(status)}</span> '
                    f'<a href="#proof-line-{n}">proof</a><br><span class="deciding">{escape(line.deciding)}</span></td>'
                    f"<td>{escape(ACTION_WORDS.get(action, action))}</td>"
                    f'<td class="reviewer">{recorded}</td><td>{form}</td></tr>')
    return ('<section><h2>Lines and the reviewer\'s decisions</h2><table class="decisions"><tr><th>line</th>'
            "<th>code</th><th>our description</th><th>necessity's status and what decides it</th><th>sent as</th>"
            "<th>reviewer's decision</th><th>record</th></tr>"
            + "".join(rows) + "</table><p class=\"legend\">necessity's status is decision support; the ClaimResponse "
            "sent to the provider (and $inquire) carries the reviewer's decision where one is recorded.</p></section>")


def _decision_form(response_id: str, sequence: int, code: str) -> str:
    options = '<option value="">choose…</option>' + "".join(f'<option value="{key}">{key}</option>' for key in ACTIONS)
    return (f'<form method="post" action="/reviews/{escape(response_id)}/decisions" class="decide">'
            f'<input type="hidden" name="line" value="{sequence}">'
            f'<label for="action-{sequence}">Decision on line {sequence} {escape(code)}</label> '
            f'<select id="action-{sequence}" name="action" required>{options}</select> '
            f'<label for="note-{sequence}">reason</label> '
            f'<input id="note-{sequence}" name="note" size="28" placeholder="the reason (needed to deny or pend)"> '
            f'<button type="submit">Record</button></form>')


def _documentation_forms(response_id: str, page: ReviewPage, questions: dict[int, list[Question]]) -> str:
    forms = []
    for line in page.lines:
        n, code, status = line.sequence, line.code, line.status
        asked = questions.get(n) or []
        if not asked or status != "needs-info":
            continue
        fields = "".join(_question(n, q) for q in asked)
        forms.append(f'<form method="post" action="/reviews/{escape(response_id)}/documentation" class="documentation"'
                     f' id="documentation-{n}"><fieldset><legend>Line {n} {escape(code)} ({escape(status)}): the '
                     f'documentation that would decide it</legend><input type="hidden" name="line" value="{n}">{fields}'
                     '<button type="submit">Add to the request and decide again</button></fieldset></form>')
    if not forms:
        return ""
    return ("<section><h2>Fill what is missing</h2><p>The answers are added to the request's QuestionnaireResponse "
            "and the request is decided again; the new decision is stored beside this one.</p>" + "".join(forms)
            + "</section>")


def _question(sequence: int, question: Question) -> str:
    name, ident = f"q:{question.link_id}", f"q-{sequence}-{question.link_id}"
    label = f'<label for="{escape(ident)}">{escape(question.text)} <code>{escape(question.link_id)}</code></label> '
    if question.answer_type == "boolean":
        control = _select(ident, name, ("yes", "no"))
    elif question.options:
        control = _select(ident, name, question.options)
    elif question.answer_type == "integer":
        control = f'<input id="{escape(ident)}" name="{escape(name)}" type="number" step="1">'
    else:
        control = f'<input id="{escape(ident)}" name="{escape(name)}">'
    return f'<p class="question">{label}{control}</p>'


def _select(ident: str, name: str, options: Iterable[str]) -> str:
    choices = "".join(f'<option value="{escape(o)}">{escape(o)}</option>' for o in options)
    return (f'<select id="{escape(ident)}" name="{escape(name)}"><option value="">(not answered)</option>'
            f"{choices}</select>")


def login_html(problem: str = "") -> str:
    """The sign-in page: the bearer token a client of ``necessity api`` has, kept in an HttpOnly cookie."""
    error = f'<p class="warning" role="alert">{escape(problem)}</p>' if problem else ""
    main = ("<h1>Sign in</h1>" + error + '<form method="post" action="/login" class="login">'
            '<label for="token">Access token</label> <input id="token" name="token" type="password" '
            'autocomplete="current-password" required size="48"> <button type="submit">Sign in</button></form>'
            "<p>The token is one of <code>necessity api --token-file</code>'s (made with "
            "<code>necessity token</code>); it is kept in a cookie this site only can read, until you sign out.</p>")
    return layout("Sign in", main, signed_in=False)


def error_html(title: str, problem: str, back: str) -> str:
    """A page saying what could not be done and why, with the way back; nothing was stored."""
    main = (f'<h1>{escape(title)}</h1><p class="warning" role="alert">{escape(problem)}</p>'
            f'<p>Nothing was decided or stored. <a href="{escape(back)}">Back</a></p>')
    return layout(title, main, signed_in=False)
