"""Renders ``necessity explain``: the proof of a claim line as a tree (text for an 80-column terminal),
as JSON, or as a Mermaid flowchart that renders in a Markdown viewer."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from reasoner.render import REVIEWER_NOTICE
from reasoner.render.proof import mermaid_flowchart, proof_criteria, proof_sources
from reasoner.results import Considered, Criterion, Explanation

WIDTH = 80


def render_explanations(explanations: list[Explanation], output_format: str) -> str:
    """Render explanations as ``text``, ``json`` or ``mermaid``."""
    if output_format == "json":
        return json.dumps([_json(e) for e in explanations], indent=2, ensure_ascii=False) + "\n"
    if output_format == "mermaid":
        return "\n".join(_mermaid(e) for e in explanations)
    return "\n".join(_text(e) for e in explanations) + "\n" + textwrap.fill(REVIEWER_NOTICE, WIDTH) + "\n"


def _sources(e: Explanation) -> list[Considered]:
    return proof_sources(e.determination)


def _criteria(e: Explanation, source: Considered) -> list[Criterion]:
    return proof_criteria(e.determination, source)


def _text(e: Explanation) -> str:
    d = e.determination
    lines = [f"line {d.sequence} {d.code} on claim {e.claim_id}: {d.status}",
             *_node(f"our description: {d.display or '(none)'}", "", last=False)]
    sources = _sources(e)
    for i, source in enumerate(sources):
        last = i == len(sources) - 1 and not e.changes
        mark = "DECIDES " if source.deciding else ""
        lines += _node(f"{mark}{source.role}, {source.state}: {source.label} ({source.id})", "", last)
        pad = "   " if last else "│  "
        children = [f"{c.state}: {c.label}" + (f" [{'; '.join(c.facts)}]" if c.facts else "")
                    for c in _criteria(e, source)]
        children += [f"strength: {source.strength}"] if source.strength else []
        children += [f"evidence: {source.evidence}"] if source.evidence else []
        children += [f"guideline: {source.guideline}"] if source.guideline else []
        children += [f"cites: {citation}" for citation in source.citations]
        for j, child in enumerate(children):
            lines += _node(child, pad, j == len(children) - 1)
    if e.changes:
        lines += _node("what would change the status:", "", last=True)
        for j, change in enumerate(e.changes):
            lines += _node(f"{change.label} (now {change.state}; {change.source})", "   ", j == len(e.changes) - 1)
    lines += [f"warning [{w.kind}]: {w.message}" for w in d.warnings]
    return "\n".join(_fill(line) for line in lines)


def _node(text: str, pad: str, last: bool) -> list[str]:
    return [f"{pad}{'└─ ' if last else '├─ '}{text}"]


def _fill(line: str) -> str:
    if len(line) <= WIDTH:
        return line
    prefix = line[: len(line) - len(line.lstrip("│ ├└─"))]
    continuation = prefix.replace("├─ ", "│  ").replace("└─ ", "   ") + "  "
    return textwrap.fill(line, WIDTH, subsequent_indent=continuation, break_long_words=False,
                         break_on_hyphens=False)


def _json(e: Explanation) -> dict[str, Any]:
    d = e.determination
    return {
        "request": e.request, "claim": e.claim_id, "knowledge_base_version": e.knowledge_version,
        "sequence": d.sequence, "code": d.code, "display": d.display, "status": d.status,
        "proof": [{"id": s.id, "kind": s.kind, "role": s.role, "state": s.state, "deciding": s.deciding,
                   "label": s.label, "statement": s.statement, "strength": s.strength, "evidence": s.evidence,
                   "guideline": s.guideline, "citations": list(s.citations),
                   "criteria": [{"id": c.id, "label": c.label, "state": c.state, "facts": list(c.facts)}
                                for c in _criteria(e, s)]} for s in _sources(e)],
        "what_would_change": [vars(change) for change in e.changes],
        "warnings": [{"kind": w.kind, "message": w.message, "source": w.source} for w in d.warnings],
        "notice": REVIEWER_NOTICE,
    }


def _mermaid(e: Explanation) -> str:
    return mermaid_flowchart(e.determination)
