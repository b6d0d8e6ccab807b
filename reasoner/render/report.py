"""Renders the review report (``necessity report``) as Markdown or as one offline HTML page: the
patient summary, a table of claim lines with their sources as numbered references, the
documentation still missing as a checklist, the warnings, a small proof picture per line (Mermaid
in Markdown, inline SVG in HTML), the notes, the knowledge base version and the reviewer line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from reasoner.render import REVIEWER_LINE, REVIEWER_NOTICE
from reasoner.render.grouping import grouped_warnings, numbered_facts, unconfirmed
from reasoner.render.proof import mermaid_flowchart, proof_criteria, proof_sources, proof_svg
from reasoner.results import ClaimReview, Criterion, Determination, ReviewReport, Status

_STYLE = (Path(__file__).resolve().parent / "templates" / "report.css")
_LINKABLE = re.compile(r"https?://[^\s<>\"]+|\b10\.\d{4,9}/[^\s<>\"]+|\bPMID[: ]\d{5,9}")


@dataclass(frozen=True)
class _Row:
    """One claim line as the table shows it."""

    sequence: int
    code: str
    description: str
    claimed_as: str
    status: str
    deciding: str
    references: tuple[int, ...]


def render_report(report: ReviewReport, output_format: str) -> str:
    """Render the report as ``md`` (Markdown) or ``html``."""
    return _html(report) if output_format == "html" else _markdown(report)


def _references(report: ReviewReport) -> list[str]:
    """Every citation of every line, numbered in order of first use."""
    return list(dict.fromkeys(c for claim in report.review.claims for d in claim.determinations for c in d.citations))


def _rows(claim: ClaimReview, references: list[str]) -> list[_Row]:
    return [_Row(sequence=d.sequence, code=d.code, description=d.display or "(not in the knowledge base)",
                 claimed_as=d.claimed_as or "", status=d.status, deciding=deciding_label(d),
                 references=tuple(references.index(c) + 1 for c in d.citations)) for d in claim.determinations]


def deciding_label(d: Determination) -> str:
    """The deciding recommendations and rules of a line, in words."""
    deciding = [c.label for c in (*d.recommendations, *d.rules) if c.deciding]
    return "; ".join(deciding) or ("no policy for this code" if d.status == Status.NO_POLICY else "")


def _checklist(d: Determination, claim: ClaimReview) -> list[str]:
    verb = "missing" if claim.use == "claim" else "to report"
    return [f"line {d.sequence} {d.code}: {item.label} ({item.link_id}; {item.state}; {verb})"
            for item in d.documentation if item.state != "met"]


def _heading(claim: ClaimReview) -> str:
    return f"Claim {claim.claim_id}: {claim.use}, {claim.claim_type or 'type not stated'}, " \
           f"service date {claim.service_date} (from {claim.service_date_source})"


def _not_decided(claim: ClaimReview) -> list[str]:
    return [f"line {c.sequence} {c.code}: not decided: {c.reason}" for c in claim.cancelled]


def _markdown(report: ReviewReport) -> str:
    review, summary, references = report.review, report.summary, _references(report)
    out = [f"# Medical necessity review: {review.request}", "",
           f"> **{REVIEWER_LINE}** Each status below shows the evidence it rests on.", "",
           f"Knowledge base version `{review.knowledge_version}`; engine: {review.engine}.", "",
           "## Patient", "", f"{summary.patient}.", ""]
    for title, items in (("Diagnoses", summary.diagnoses), ("Latest laboratory results", summary.labs),
                         ("Drug orders", summary.drugs), ("Planned services", summary.services),
                         ("Documentation answers", summary.answers)):
        out += [f"**{title}**", "", *(f"- {item}" for item in items or ("none",)), ""]
    for claim in review.claims:
        out += [f"## {_heading(claim)}", "",
                "| line | code | our description | the claim calls it | status | deciding | sources |",
                "|---|---|---|---|---|---|---|"]
        flagged = {d.sequence for d in claim.determinations if unconfirmed(d)}
        out += [f"| {r.sequence} | {r.code} | {_cell(r.description)} | {_cell(r.claimed_as)} | **{r.status}**"
                f"{' (unconfirmed source)' if r.sequence in flagged else ''} | "
                f"{_cell(r.deciding)} | {', '.join(f'[{n}]' for n in r.references)} |"
                for r in _rows(claim, references)]
        out += ["", *(f"- {item}" for item in _not_decided(claim))] if claim.cancelled else []
        checklist = [item for d in claim.determinations for item in _checklist(d, claim)]
        warnings = [f"[{g.kind}] {g.message} ({', '.join(g.lines)})" for g in grouped_warnings(claim)]
        out += ["", "### Documentation", "", *(f"- [ ] {item}" for item in checklist or ("nothing missing",))]
        out += ["", "### Warnings", "", *(f"- {item}" for item in warnings or ("none",))]
        out += ["", "### Proof of each line", ""]
        for d in claim.determinations:
            out += [f"#### Line {d.sequence} {d.code}: {d.status}", "", "```mermaid", mermaid_flowchart(d).rstrip(),
                    "```", ""]
    out += ["## Sources", "", *(f"{n}. {text}" for n, text in enumerate(references, start=1)), ""]
    if review.rejected:
        out += ["## Claims not reviewed", "", *(f"- {r.source}: {r.error}" for r in review.rejected), ""]
    out += ["## Notes", "", *(f"- {note}" for note in review.notes or ("none",)), "",
            f"**{REVIEWER_NOTICE}**", ""]
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _html(report: ReviewReport) -> str:
    review = report.review
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>Medical necessity review: {escape(review.request)}</title>"
            f"<style>{_STYLE.read_text(encoding='utf-8')}</style></head><body>\n"
            f"<h1>Medical necessity review: {escape(review.request)}</h1>\n"
            + f'<p class="notice">{escape(REVIEWER_LINE)} Each status below shows the evidence it rests on.</p>'
            + patient_html(report) + lines_html(report, proofs_open=True) + "\n</body></html>\n")


def patient_html(report: ReviewReport) -> str:
    """The knowledge base version and the patient: age, diagnoses, latest labs, drugs, services, answers."""
    review, summary = report.review, report.summary
    body = [f"<p>Knowledge base version <code>{escape(review.knowledge_version)}</code>; engine: "
            f"{escape(review.engine)}.</p>", "<h2>Patient</h2>", f"<p>{escape(summary.patient)}.</p>",
            '<div class="summary">']
    for title, items in (("Diagnoses", summary.diagnoses), ("Latest laboratory results", summary.labs),
                         ("Drug orders", summary.drugs), ("Planned services", summary.services),
                         ("Documentation answers", summary.answers)):
        body.append(f"<section><h3>{title}</h3>{_list(items or ('none',))}</section>")
    body.append("</div>")
    return "\n".join(body)


def lines_html(report: ReviewReport, proofs_open: bool = False) -> str:
    """The facts numbered once, each claim's table, documentation, grouped warnings and the proof of each
    line (open, as a page to print, or each behind its line's summary), the sources and the notes."""
    review, references = report.review, _references(report)
    facts = numbered_facts(review.claims)
    body = []
    if facts:
        body.append('<h3>Facts the criteria rest on</h3><ol class="facts">' + "".join(
            f'<li id="fact-{n}">{escape(fact)}</li>' for fact, n in facts.items()) + "</ol>")
    for claim in review.claims:
        body += _claim_html(claim, references, facts, proofs_open)
    body.append("<h2>Sources</h2><ol>" + "".join(
        f'<li id="source-{n}">{_linked(text)}</li>' for n, text in enumerate(references, start=1)) + "</ol>")
    if review.rejected:
        body.append(f"<h2>Claims not reviewed</h2>{_list(tuple(f'{r.source}: {r.error}' for r in review.rejected))}")
    body.append(f"<h2>Notes</h2>{_list(review.notes or ('none',))}")
    body.append(f'<p class="notice">{escape(REVIEWER_NOTICE)}</p>')
    return "\n".join(body)


def _claim_html(claim: ClaimReview, references: list[str], facts: dict[str, int], proofs_open: bool) -> list[str]:
    body = [f"<h2>{escape(_heading(claim))}</h2>",
            '<table class="lines"><tr><th>line</th><th>code</th><th>our description</th><th>the claim calls it</th>'
            "<th>status</th><th>deciding</th><th>sources</th></tr>"]
    flagged = {d.sequence for d in claim.determinations if unconfirmed(d)}
    body += [f'<tr id="row-{r.sequence}"><td>{r.sequence}</td><td>{escape(r.code)}</td><td>{escape(r.description)}</td>'
             f'<td>{escape(r.claimed_as)}</td><td class="status {r.status}">{r.status}'
             + (' <abbr class="unconfirmed" title="rests on a source not confirmed in its published text">'
                "unconfirmed source</abbr>" if r.sequence in flagged else "")
             + f'</td><td>{escape(r.deciding)}</td><td>{_source_links(r.references)}</td></tr>'
             for r in _rows(claim, references)]
    body.append("</table>")
    if flagged:
        body.append('<p class="legend"><abbr class="unconfirmed">unconfirmed source</abbr>: the line rests on a '
                    "statement not confirmed in its published source (see the warnings); a reviewer checks it.</p>")
    if claim.cancelled:
        body.append(_list(tuple(_not_decided(claim))))
    checklist = [item for d in claim.determinations for item in _checklist(d, claim)]
    body.append("<h3>Documentation</h3><ul class=\"checklist\">" + "".join(
        f"<li>☐ {escape(item)}</li>" for item in checklist or ("nothing missing",)) + "</ul>")
    groups = grouped_warnings(claim)
    body.append("<h3>Warnings</h3>" + ("<ul>" + "".join(
        f'<li><span class="kind">{escape(g.kind)}</span> {escape(g.message)} <span class="where">'
        f"({escape(', '.join(g.lines))})</span></li>" for g in groups) + "</ul>" if groups else "<p>none</p>"))
    body.append(f'<h3 id="proof-{escape(claim.claim_id)}">Proof of each line</h3>')
    body += [_line_proof(d, references, facts, proofs_open) for d in claim.determinations]
    return body


def _line_proof(d: Determination, references: list[str], facts: dict[str, int], proofs_open: bool) -> str:
    """One line's proof: each source considered with its criteria (and the facts behind them, by number),
    what would change the status, the sources, and the small picture."""
    opened = " open" if proofs_open else ""
    parts = [f'<details class="proof" id="proof-line-{d.sequence}"{opened}><summary>Line {d.sequence} '
             f'{escape(d.code)}: <span class="status {d.status}">{d.status}</span></summary>']
    for source in proof_sources(d):
        criteria = proof_criteria(d, source)
        parts.append(f'<div class="source{" deciding" if source.deciding else ""}"><p><b>{escape(source.label)}</b> '
                     f"({escape(source.role)}, {escape(source.state)}{', deciding' if source.deciding else ''})"
                     + (f"<br>{escape(source.statement)}" if source.statement else "")
                     + (f"<br>Guideline: {escape(source.guideline)}" if source.guideline else "")
                     + (f"; strength {escape(source.strength)}" if source.strength else "")
                     + (f"; evidence {escape(source.evidence)}" if source.evidence else "") + "</p>")
        if criteria:
            parts.append("<ul>" + "".join(_criterion(c, facts) for c in criteria) + "</ul>")
        parts.append("</div>")
    changes = [c for c in d.criteria if not c.exception and c.state != "met" and d.status != "justified"]
    if changes:
        parts.append("<p><b>What would change it</b>: the criteria not met, if the record showed them met:</p><ul>"
                     + "".join(f"<li>{escape(c.label)} (now {c.state})</li>" for c in changes) + "</ul>")
    if d.citations:
        parts.append("<p><b>Sources</b></p><ol class=\"cited\">" + "".join(
            f'<li value="{references.index(c) + 1}">{_linked(c)}</li>' for c in d.citations) + "</ol>")
    parts.append(f'<figure><figcaption>Picture of line {d.sequence}</figcaption>{proof_svg(d)}</figure></details>')
    return "".join(parts)


def _criterion(c: Criterion, facts: dict[str, int]) -> str:
    """A criterion in words; an exception refuted is good news (the recommendation applies), not a failure."""
    if c.exception:
        meaning = {"refuted": "does not apply", "met": "applies", "unknown": "not known"}.get(c.state, c.state)
        state, label = f"exception {meaning}", f"exception: {c.label}"
        css = "exception-" + c.state
    else:
        state, label, css = c.state, c.label, c.state
    refs = ", ".join(f'<a href="#fact-{facts[f]}">fact {facts[f]}</a>' for f in c.facts)
    return f'<li><span class="state {css}">{escape(state)}</span> {escape(label)}' + (f" ({refs})" if refs else "") \
        + "</li>"


def _linked(text: str) -> str:
    """A citation with its DOI, PubMed id and web addresses as links."""
    out, last = [], 0
    for match in _LINKABLE.finditer(text):
        out.append(escape(text[last:match.start()]))
        found = match.group(0).rstrip(".,;)")
        href = found if found.startswith("http") else (
            f"https://doi.org/{found}" if found.startswith("10.") else f"https://pubmed.ncbi.nlm.nih.gov/{found[5:]}/")
        out.append(f'<a href="{escape(href)}" rel="noreferrer noopener">{escape(found)}</a>')
        last = match.start() + len(found)
    return "".join(out) + escape(text[last:])


def _source_links(numbers: tuple[int, ...]) -> str:
    return ", ".join(f'<a href="#source-{n}">[{n}]</a>' for n in numbers)


def _list(items: tuple[str, ...] | list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"
