"""The text output of ``necessity determine``: one row per claim line (and the lines not decided: withdrawn by
the submitter); each line in detail (the
deciding recommendations and rules, the criteria that decide them with their facts, the
citations); then the documentation still missing or to report, the warnings, and the line that a
licensed reviewer decides.
"""

from __future__ import annotations

import textwrap

from reasoner.render import REVIEWER_NOTICE
from reasoner.render.grouping import grouped_warnings, numbered_facts, unconfirmed
from reasoner.results import ClaimReview, Considered, Determination, Review, Status

WIDTH = 80
_NO_FACT = {"met": "nothing in the request says otherwise",
            "refuted": "none in the request, which lists them all",
            "unknown": "nothing in the request decides it"}


def render_text(review: Review) -> str:
    """Render a review as plain text for a person at a terminal."""
    parts = [f"necessity review of {review.request} (knowledge base {review.knowledge_version})"]
    parts += [_claim(c) for c in review.claims]
    if review.rejected:
        parts.append("Claims NOT reviewed (fix the request and run again):\n"
                     + "\n".join(_wrap(f"- {r.source}: {r.error}") for r in review.rejected))
    if review.notes:
        parts.append("Notes:\n" + "\n".join(_wrap(f"- {n}") for n in review.notes))
    parts.append(textwrap.fill(REVIEWER_NOTICE, WIDTH))
    return "\n\n".join(parts) + "\n"


def _claim(claim: ClaimReview) -> str:
    head = f"Claim {claim.claim_id} ({claim.use}, {claim.claim_type or 'type not given'}, " \
        f"service {claim.service_date} from {claim.service_date_source})"
    as_of = claim.other_policy_dates
    if as_of:
        head += f", with the guidelines, rules and codes in force on {', '.join(as_of)}"
    table = [f"{'#':>3}  {'code':<6} {'status':<14} {'claimed as':<23} deciding"]
    details = ["", "Lines in detail:"]
    facts = numbered_facts((claim,))
    for d in claim.determinations:
        ids = [c.id for c in _deciding_sources(d)]
        deciding = (ids[0] + (f" (+{len(ids) - 1})" if ids[1:] else "")) if ids else "-"
        status = d.status + ("!" if unconfirmed(d) else "")
        table.append(f"{d.sequence:>3}  {d.code:<6} {status:<14} {_cut(d.claimed_as or '-', 23):<23} {deciding}")
        details.append(f"{d.sequence:>3}  {d.code:<6} {d.status}")
        details.append(_wrap(f"our description: {d.display or '(none: no knowledge of this code)'}", indent=13))
        details += [_wrap(line, indent=13) for line in _deciding(d, facts)]
    if facts:
        details += ["", "Facts the criteria rest on (each stated once; the lines above refer to them by number):"]
        details += [_wrap(f"[{n}] {fact}", indent=2) for fact, n in facts.items()]
    if any(unconfirmed(d) for d in claim.determinations):
        table.append("     ! rests on a source not confirmed in its published text (see the warnings)")
    return "\n".join([head, "", *table, *_cancelled(claim), *details, *_missing(claim), *_warnings(claim)])


def _cancelled(claim: ClaimReview) -> list[str]:
    """The lines not decided, and why."""
    return [_wrap(f"{c.sequence:>3}  {c.code:<6} not decided: {c.reason} ({c.source})") for c in claim.cancelled]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _deciding_sources(d: Determination) -> list[Considered]:
    return [c for c in (*d.recommendations, *d.rules) if c.deciding]


def _deciding(d: Determination, facts: dict[str, int]) -> list[str]:
    lines = []
    for source in _deciding_sources(d):
        lines.append(f"deciding: {source.label} [{source.role}: {source.state}]")
        lines += [f"  {c.state}: {c.label} ({', '.join(f'fact [{facts[f]}]' for f in c.facts) or _NO_FACT[c.state]})"
                  for c in d.criteria if c.of == source.id and c.state == source.state and not c.exception]
    lines += [f"cites: {citation}" for citation in d.citations]
    return lines


def _missing(claim: ClaimReview) -> list[str]:
    before = any(d.before_service for d in claim.determinations)
    items = [_wrap(f"- line {d.sequence} {d.code}: {item.label} (linkId {item.link_id}; {item.state})")
             for d in claim.determinations for item in d.documentation if before or item.state != "met"]
    unknown = [_wrap(f"- line {d.sequence} {d.code}: {c.label}")
               for d in claim.determinations if d.status == Status.NEEDS_INFO
               for c in d.criteria if c.state == "unknown" and c.of not in {i.rule for i in d.documentation}]
    parts = []
    if items:
        parts += ["", f"Documentation {'to report with the request' if before else 'missing or answered no'}:", *items]
    if unknown:
        parts += ["", "Facts that would decide the lines that need information:", *unknown]
    return parts


def _warnings(claim: ClaimReview) -> list[str]:
    rows = [_wrap(f"- [{g.kind}] {g.message} ({', '.join(g.lines)})", indent=2) for g in grouped_warnings(claim)]
    return ["", "Warnings:", *rows] if rows else []


def _wrap(text: str, indent: int = 0) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * (indent + 2),
                         break_long_words=False, break_on_hyphens=False)
