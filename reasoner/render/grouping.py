"""What the report, the text output and the workbench say once instead of on every line: the warnings
grouped by kind and message (with the lines they concern), and the patient facts numbered, each stated
once and referred to by its number."""

from __future__ import annotations

from dataclasses import dataclass

from reasoner.results import ClaimReview, Determination


@dataclass(frozen=True)
class WarningGroup:
    """One warning and every line it is given for."""

    kind: str
    message: str
    lines: tuple[str, ...]  # "line 3 36561"


def grouped_warnings(claim: ClaimReview) -> list[WarningGroup]:
    """The claim's warnings, one per kind and message, in order of first appearance."""
    groups: dict[tuple[str, str], list[str]] = {}
    for d in claim.determinations:
        for w in d.warnings:
            lines = groups.setdefault((w.kind, w.message), [])
            if f"line {d.sequence} {d.code}" not in lines:
                lines.append(f"line {d.sequence} {d.code}")
    return [WarningGroup(kind, message, tuple(lines)) for (kind, message), lines in groups.items()]


def unconfirmed(d: Determination) -> bool:
    """True when the line rests on a source not confirmed in its published text."""
    return any(w.kind == "unconfirmed-source" for w in d.warnings)


def numbered_facts(claims: tuple[ClaimReview, ...]) -> dict[str, int]:
    """Every fact a criterion rests on, numbered from 1 in order of first use."""
    facts = (f for claim in claims for d in claim.determinations for c in d.criteria for f in c.facts)
    return {fact: number for number, fact in enumerate(dict.fromkeys(facts), start=1)}
