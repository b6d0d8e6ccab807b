"""The text output of ``necessity determine``: one row per claim line, then the documentation still
missing or to report, the warnings, and the line that a licensed reviewer decides.
"""

from __future__ import annotations

import textwrap

from reasoner.determine import Determination
from reasoner.pipeline import ClaimReview, Review
from reasoner.render import REVIEWER_NOTICE

WIDTH = 80


def render_text(review: Review) -> str:
    """Render a review as plain text for a person at a terminal."""
    parts = [f"necessity review of {review.request} (knowledge base {review.knowledge_version})"]
    parts += [_claim(c) for c in review.claims]
    if review.notes:
        parts.append("Notes:\n" + "\n".join(_wrap(f"- {n}") for n in review.notes))
    parts.append(textwrap.fill(REVIEWER_NOTICE, WIDTH))
    return "\n\n".join(parts) + "\n"


def _claim(claim: ClaimReview) -> str:
    head = f"Claim {claim.claim_id} ({claim.use}, {claim.claim_type or 'type not given'}, service {claim.service_date})"
    table = [f"{'#':>3}  {'code':<6} {'status':<13} {'claimed as':<24} deciding"]
    details = ["", "Lines in detail:"]
    for d in claim.determinations:
        ids = [c.id for c in (*d.recommendations, *d.rules) if c.deciding]
        deciding = (ids[0] + (f" (+{len(ids) - 1})" if ids[1:] else "")) if ids else "-"
        table.append(f"{d.sequence:>3}  {d.code:<6} {d.status:<13} {_cut(d.claimed_as or '-', 24):<24} {deciding}")
        details.append(f"{d.sequence:>3}  {d.code:<6} {d.status}")
        details.append(_wrap(f"our description: {d.display or '(none: no knowledge of this code)'}", indent=13))
        details += [_wrap(line, indent=13) for line in _deciding(d)]
    return "\n".join([head, "", *table, *details, *_missing(claim), *_warnings(claim)])


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _deciding(d: Determination) -> list[str]:
    deciding = [c for c in (*d.recommendations, *d.rules) if c.deciding]
    lines = [f"deciding: {c.label} [{c.state}]" for c in deciding]
    lines += [f"cites: {citation}" for citation in d.citations]
    return lines


def _missing(claim: ClaimReview) -> list[str]:
    to_report = "to report with the request" if claim.use == "preauthorization" else "missing or answered no"
    items = [_wrap(f"- line {d.sequence} {d.code}: {item.label} (linkId {item.link_id}; {item.state})")
             for d in claim.determinations for item in d.documentation
             if claim.use == "preauthorization" or item.state != "met"]
    unknown = [_wrap(f"- line {d.sequence} {d.code}: {c.label} (unknown)")
               for d in claim.determinations if d.status == "needs-info" for c in d.criteria if c.state == "unknown"]
    if not items and not unknown:
        return []
    return ["", f"Documentation {to_report}:", *items, *unknown]


def _warnings(claim: ClaimReview) -> list[str]:
    rows = [_wrap(f"- line {d.sequence} {d.code} [{w.kind}] {w.message}", indent=2)
            for d in claim.determinations for w in d.warnings]
    return ["", "Warnings:", *rows] if rows else []


def _wrap(text: str, indent: int = 0) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * (indent + 2),
                         break_long_words=False, break_on_hyphens=False)
