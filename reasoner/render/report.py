"""Renders the review report (``necessity report``) as Markdown or as one offline HTML page: the
patient summary, a table of claim lines with their sources as numbered references, the
documentation still missing as a checklist, the warnings, a small proof picture per line (Mermaid
in Markdown, inline SVG in HTML), the notes, the knowledge base version and the reviewer line.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from reasoner.render import REVIEWER_LINE, REVIEWER_NOTICE
from reasoner.render.proof import mermaid_flowchart, proof_svg
from reasoner.results import ClaimReview, Determination, ReviewReport, Status

_STYLE = (Path(__file__).resolve().parent / "templates" / "report.css")


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
                 claimed_as=d.claimed_as or "", status=d.status, deciding=_deciding(d),
                 references=tuple(references.index(c) + 1 for c in d.citations)) for d in claim.determinations]


def _deciding(d: Determination) -> str:
    deciding = [c.label for c in (*d.recommendations, *d.rules) if c.deciding]
    return "; ".join(deciding) or ("no policy for this code" if d.status == Status.NO_POLICY else "")


def _checklist(d: Determination, claim: ClaimReview) -> list[str]:
    verb = "missing" if claim.use == "claim" else "to report"
    return [f"line {d.sequence} {d.code}: {item.label} ({item.link_id}; {item.state}; {verb})"
            for item in d.documentation if item.state != "met"]


def _warnings(d: Determination) -> list[str]:
    return [f"line {d.sequence} {d.code} [{w.kind}]: {w.message}" for w in d.warnings]


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
        out += [f"| {r.sequence} | {r.code} | {_cell(r.description)} | {_cell(r.claimed_as)} | **{r.status}** | "
                f"{_cell(r.deciding)} | {', '.join(f'[{n}]' for n in r.references)} |"
                for r in _rows(claim, references)]
        out += ["", *(f"- {item}" for item in _not_decided(claim))] if claim.cancelled else []
        checklist = [item for d in claim.determinations for item in _checklist(d, claim)]
        warnings = [item for d in claim.determinations for item in _warnings(d)]
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
    review, summary, references = report.review, report.summary, _references(report)
    body = [f"<h1>Medical necessity review: {escape(review.request)}</h1>",
            f'<p class="notice">{escape(REVIEWER_LINE)} Each status below shows the evidence it rests on.</p>',
            f"<p>Knowledge base version <code>{escape(review.knowledge_version)}</code>; engine: "
            f"{escape(review.engine)}.</p>", "<h2>Patient</h2>", f"<p>{escape(summary.patient)}.</p>",
            '<div class="summary">']
    for title, items in (("Diagnoses", summary.diagnoses), ("Latest laboratory results", summary.labs),
                         ("Drug orders", summary.drugs), ("Planned services", summary.services),
                         ("Documentation answers", summary.answers)):
        body.append(f"<section><h3>{title}</h3>{_list(items or ('none',))}</section>")
    body.append("</div>")
    for claim in review.claims:
        body.append(f"<h2>{escape(_heading(claim))}</h2>")
        body.append("<table><tr><th>line</th><th>code</th><th>our description</th><th>the claim calls it</th>"
                    "<th>status</th><th>deciding</th><th>sources</th></tr>")
        body += [f'<tr><td>{r.sequence}</td><td>{escape(r.code)}</td><td>{escape(r.description)}</td>'
                 f'<td>{escape(r.claimed_as)}</td><td class="status {r.status}">{r.status}</td>'
                 f'<td>{escape(r.deciding)}</td>'
                 f"<td>{_source_links(r.references)}</td></tr>"
                 for r in _rows(claim, references)]
        body.append("</table>")
        if claim.cancelled:
            body.append(_list(tuple(_not_decided(claim))))
        checklist = [item for d in claim.determinations for item in _checklist(d, claim)]
        warnings = [item for d in claim.determinations for item in _warnings(d)]
        body.append("<h3>Documentation</h3><ul class=\"checklist\">" + "".join(
            f"<li>☐ {escape(item)}</li>" for item in checklist or ("nothing missing",)) + "</ul>")
        body.append(f"<h3>Warnings</h3>{_list(warnings or ('none',))}")
        body.append(f'<h3 id="proof-{escape(claim.claim_id)}">Proof of each line</h3>')
        body += [f'<figure><figcaption>Line {d.sequence} {escape(d.code)}: {d.status}</figcaption>'
                 f"{proof_svg(d)}</figure>" for d in claim.determinations]
    body.append("<h2>Sources</h2><ol>" + "".join(
        f'<li id="source-{n}">{escape(text)}</li>' for n, text in enumerate(references, start=1)) + "</ol>")
    if review.rejected:
        body.append(f"<h2>Claims not reviewed</h2>{_list(tuple(f'{r.source}: {r.error}' for r in review.rejected))}")
    body.append(f"<h2>Notes</h2>{_list(review.notes or ('none',))}")
    body.append(f'<p class="notice">{escape(REVIEWER_NOTICE)}</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>Medical necessity review: {escape(review.request)}</title>"
            f"<style>{_STYLE.read_text(encoding='utf-8')}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _source_links(numbers: tuple[int, ...]) -> str:
    return ", ".join(f'<a href="#source-{n}">[{n}]</a>' for n in numbers)


def _list(items: tuple[str, ...] | list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"
