"""The small proof picture of one claim line, drawn from its Determination: the line, each
recommendation, rule and check considered (the deciding ones first, drawn thick), and the criteria
of each with their state. As a Mermaid flowchart (Markdown viewers draw it) or as inline SVG.
"""

from __future__ import annotations

from html import escape

from reasoner.results import Considered, Criterion, Determination

STATE_FILLS = {"met": "#dfd", "refuted": "#fdd", "unknown": "#ffd"}
OTHER_FILL = "#eee"
ROW = 30  # pixels per row of the SVG picture
COLUMNS = ((10, 170), (210, 330), (580, 400))  # (x, width) of the line, source and criterion columns
LABEL_CHARACTERS = {170: 24, 330: 50, 400: 62}  # what fits in a box of that width at 12 px


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
            rows.append(f'  S{i}C{j}["{_quote(criterion.label)}"]:::{_state_class(criterion.state)}')
            rows.append(f"  S{i} -->|{criterion.state}| S{i}C{j}")
        if source.guideline:
            rows.append(f'  S{i}G["{_quote(source.guideline)}"]:::source')
            rows.append(f"  S{i} -.-> S{i}G")
    rows += ["  classDef line fill:#eef,stroke:#336", "  classDef met fill:#dfd,stroke:#363",
             "  classDef refuted fill:#fdd,stroke:#933", "  classDef unknown fill:#ffd,stroke:#993",
             "  classDef other fill:#eee,stroke:#666", "  classDef source fill:#fff,stroke:#666"]
    return "\n".join(rows) + "\n"


def proof_svg(d: Determination) -> str:
    """An SVG picture: the line on the left, each source in the middle, its criteria on the right;
    a box's fill is its state, the deciding sources and their edges are thick. Full labels are in
    each box's tooltip."""
    sources = proof_sources(d)
    bands = [max(1, len(proof_criteria(d, s))) for s in sources] or [1]
    height = sum(bands) * ROW + 10
    (line_x, line_w), (source_x, source_w), (criterion_x, criterion_w) = COLUMNS
    middle = height / 2 - 12
    parts = [_box(line_x, middle, line_w, f"line {d.sequence} {d.code}: {d.status}", "#eef", thick=True)]
    top = 5
    for source, band in zip(sources, bands, strict=False):
        y = top + (band * ROW) / 2 - 12
        parts.append(_edge(line_x + line_w, middle + 12, source_x, y + 12, source.deciding))
        parts.append(_box(source_x, y, source_w, f"{source.role}, {source.state}: {source.label}",
                          STATE_FILLS.get(source.state, OTHER_FILL), thick=source.deciding))
        for k, criterion in enumerate(proof_criteria(d, source)):
            cy = top + k * ROW + 3
            parts.append(_edge(source_x + source_w, y + 12, criterion_x, cy + 12, False))
            parts.append(_box(criterion_x, cy, criterion_w, f"{criterion.state}: {criterion.label}",
                              STATE_FILLS.get(criterion.state, OTHER_FILL), thick=False))
        top += band * ROW
    width = criterion_x + criterion_w + 10
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12" '
            f'role="img" aria-label="{escape(f"proof of line {d.sequence} {d.code}")}">'
            + "".join(parts) + "</svg>")


def _box(x: float, y: float, width: int, label: str, fill: str, thick: bool) -> str:
    limit = LABEL_CHARACTERS[width]
    shown = label if len(label) <= limit else label[: limit - 1] + "…"
    stroke = 'stroke="#08306b" stroke-width="3"' if thick else 'stroke="#666" stroke-width="1"'
    return (f'<g><title>{escape(label)}</title><rect x="{x}" y="{y:.0f}" width="{width}" height="24" rx="5" '
            f'fill="{fill}" {stroke}/><text x="{x + 6}" y="{y + 16:.0f}">{escape(shown)}</text></g>')


def _edge(x1: float, y1: float, x2: float, y2: float, thick: bool) -> str:
    style = 'stroke="#08306b" stroke-width="3"' if thick else 'stroke="#999" stroke-width="1"'
    return f'<line x1="{x1}" y1="{y1:.0f}" x2="{x2}" y2="{y2:.0f}" {style}/>'


def _state_class(state: str) -> str:
    return state if state in STATE_FILLS else "other"


def _quote(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;")
