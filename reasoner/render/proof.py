"""The small proof picture of one claim line, drawn from its Determination: the line, each
recommendation, rule and check considered (the deciding ones first, drawn thick), and the criteria
of each with their state. As a Mermaid flowchart (Markdown viewers draw it) or as inline SVG.
"""

from __future__ import annotations

import textwrap
from html import escape

from reasoner.results import Considered, Criterion, Determination

STATE_FILLS = {"met": "#dfd", "refuted": "#fdd", "unknown": "#ffd"}
OTHER_FILL = "#eee"
LINE_HEIGHT = 15  # pixels per line of text in a box
GAP = 6  # pixels between boxes
COLUMNS = ((10, 170), (210, 330), (580, 400))  # (x, width) of the line, source and criterion columns
LABEL_CHARACTERS = {170: 24, 330: 48, 400: 60}  # what fits on one line of a box of that width at 12 px
EXCEPTION_WORDS = {"refuted": "does not apply", "met": "applies", "unknown": "not known"}


def proof_sources(d: Determination) -> list[Considered]:
    """The recommendations, rules and checks considered for the line, the deciding ones first."""
    return sorted((*d.recommendations, *d.rules), key=lambda c: (not c.deciding, c.kind, c.id))


def proof_criteria(d: Determination, source: Considered) -> list[Criterion]:
    """The criteria of ``source`` assessed for the line."""
    return [c for c in d.criteria if c.of == source.id]


def mermaid_flowchart(d: Determination) -> str:
    """A Mermaid ``flowchart LR``: line, sources (deciding edges labelled), criteria, guidelines."""
    rows = ["flowchart LR", f'  L["{_quote(f"line {d.sequence} {d.code}: {d.status}")}"]:::line']
    for i, source in enumerate(proof_sources(d)):
        rows.append(f'  S{i}["{_quote(source.label)}"]:::{_state_class(source.state)}')
        rows.append(f"  L -->|{'decides' if source.deciding else _quote(source.role)}| S{i}")
        for j, criterion in enumerate(proof_criteria(d, source)):
            shown = {"refuted": "met", "met": "refuted"}.get(criterion.state, criterion.state) \
                if criterion.exception else criterion.state
            rows.append(f'  S{i}C{j}["{_quote(_criterion_label(criterion))}"]:::{_state_class(shown)}')
            rows.append(f"  S{i} -->|{'exception' if criterion.exception else criterion.state}| S{i}C{j}")
        if source.guideline:
            rows.append(f'  S{i}G["{_quote(source.guideline)}"]:::source')
            rows.append(f"  S{i} -.-> S{i}G")
    rows += ["  classDef line fill:#eef,stroke:#336", "  classDef met fill:#dfd,stroke:#363",
             "  classDef refuted fill:#fdd,stroke:#933", "  classDef unknown fill:#ffd,stroke:#993",
             "  classDef other fill:#eee,stroke:#666", "  classDef source fill:#fff,stroke:#666"]
    return "\n".join(rows) + "\n"


def proof_svg(d: Determination) -> str:
    """An SVG picture: the line on the left, each source in the middle, its criteria on the right;
    a box's fill is its state, the deciding sources and their edges are thick. Every label is drawn
    whole, wrapped over as many lines as it needs; an exception refuted is drawn as met (the
    recommendation applies), an exception met as refuted."""
    sources = proof_sources(d)
    (line_x, line_w), (source_x, source_w), (criterion_x, criterion_w) = COLUMNS
    parts: list[str] = []
    top: float = GAP
    for source in sources:
        source_label = _wrapped(f"{source.role}, {source.state}: {source.label}", source_w)
        criteria = [(c, _wrapped(_criterion_label(c), criterion_w)) for c in proof_criteria(d, source)]
        band = max(_height(source_label), sum(_height(lines) + GAP for _, lines in criteria) - GAP)
        y = top + (band - _height(source_label)) / 2
        parts.append(_edge(source_x, y + _height(source_label) / 2, source.deciding))
        parts.append(_box(source_x, y, source_w, source_label, STATE_FILLS.get(source.state, OTHER_FILL),
                          thick=source.deciding))
        cy = top
        for criterion, lines in criteria:
            parts.append(f'<line x1="{source_x + source_w}" y1="{y + _height(source_label) / 2:.0f}" '
                         f'x2="{criterion_x}" y2="{cy + _height(lines) / 2:.0f}" stroke="#999" stroke-width="1"/>')
            parts.append(_box(criterion_x, cy, criterion_w, lines, _criterion_fill(criterion), thick=False))
            cy += _height(lines) + GAP
        top += band + 2 * GAP
    height = max(top, 40)
    line_label = _wrapped(f"line {d.sequence} {d.code}: {d.status}", line_w)
    middle = height / 2 - _height(line_label) / 2
    parts = [p.replace("LINE_Y", f"{middle + _height(line_label) / 2:.0f}") for p in parts]
    parts.insert(0, _box(line_x, middle, line_w, line_label, "#eef", thick=True))
    width = criterion_x + criterion_w + 10
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
            f'viewBox="0 0 {width} {height:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="12" '
            f'role="img" aria-label="{escape(f"proof of line {d.sequence} {d.code}")}">'
            + "".join(parts) + "</svg>")


def _criterion_label(c: Criterion) -> str:
    if c.exception:
        return f"exception {EXCEPTION_WORDS.get(c.state, c.state)}: {c.label}"
    return f"{c.state}: {c.label}"


def _criterion_fill(c: Criterion) -> str:
    state = {"refuted": "met", "met": "refuted"}.get(c.state, c.state) if c.exception else c.state
    return STATE_FILLS.get(state, OTHER_FILL)


def _wrapped(label: str, width: int) -> list[str]:
    return textwrap.wrap(label, LABEL_CHARACTERS[width], break_long_words=True) or [""]


def _height(lines: list[str]) -> float:
    return len(lines) * LINE_HEIGHT + 8


def _box(x: float, y: float, width: int, lines: list[str], fill: str, thick: bool) -> str:
    stroke = 'stroke="#08306b" stroke-width="3"' if thick else 'stroke="#666" stroke-width="1"'
    text = "".join(f'<tspan x="{x + 6}" dy="{LINE_HEIGHT if i else 0}">{escape(line)}</tspan>'
                   for i, line in enumerate(lines))
    return (f'<g><rect x="{x}" y="{y:.0f}" width="{width}" height="{_height(lines):.0f}" rx="5" '
            f'fill="{fill}" {stroke}/><text x="{x + 6}" y="{y + 16:.0f}">{text}</text></g>')


def _edge(x2: float, y2: float, thick: bool) -> str:
    """An edge from the line's box (its height known only at the end: LINE_Y) to a source."""
    style = 'stroke="#08306b" stroke-width="3"' if thick else 'stroke="#999" stroke-width="1"'
    x1 = COLUMNS[0][0] + COLUMNS[0][1]
    return f'<line x1="{x1}" y1="LINE_Y" x2="{x2}" y2="{y2:.0f}" {style}/>'


def _state_class(state: str) -> str:
    return state if state in STATE_FILLS else "other"


def _quote(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;")
