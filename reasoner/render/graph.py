"""Writes an export view (reasoner/export.py) as GraphML, DOT, SVG (through Graphviz), Cytoscape.js
JSON, one offline HTML page (Cytoscape.js inlined from ``vendor/``), Turtle or N-Quads.

Every format carries the view's title, the knowledge base version and the reviewer notice.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from string import Template

import networkx as nx
from rdflib import Dataset, URIRef

from reasoner.errors import NecessityError
from reasoner.render import REVIEWER_LINE
from reasoner.results import ExportView, Status
from reasoner.vocab import BASE, bind_prefixes

FORMATS = ("graphml", "dot", "svg", "cytoscape", "html", "turtle", "nquads")

# Fill colour of each kind of node (presentation only).
KIND_COLORS = {
    "claim line": "#9ecae1", "outcome": "#eeeeee", "criterion": "#fdebd0", "fact": "#c7e9c0",
    "recommendation": "#dadaeb", "coding rule": "#fdd0a2", "indication requirement": "#fcbba1",
    "safety check": "#fcbba1", "policy check": "#fcbba1", "guideline": "#ffffff", "citation": "#fff7bc",
    "billing code": "#9ecae1", "warning": "#fc9272", "guideline conflict": "#fb6a4a", "other": "#f7f7f7",
}
# Border colour of a node by its state or status.
STATE_COLORS = {"met": "#238b45", Status.JUSTIFIED: "#238b45", "refuted": "#cb181d", Status.NOT_JUSTIFIED: "#cb181d",
                Status.CODING_ERROR: "#cb181d", "unknown": "#d69e00", Status.NEEDS_INFO: "#d69e00"}
PROOF_COLOR = "#08306b"
_LONG_WORD = 28  # characters: a longer word (a URL, say) may break after a slash, dot or hyphen
_VENDOR = Path(__file__).resolve().parent / "vendor"
_TEMPLATE = Path(__file__).resolve().parent / "templates" / "graph.html"


class GraphvizMissing(NecessityError):
    """SVG was asked for and Graphviz's ``dot`` program is not installed."""


def render_graph(view: ExportView, output_format: str) -> bytes:
    """Render ``view`` in one of FORMATS, as the bytes of the file to write."""
    graph = _annotated(view)
    if output_format == "graphml":
        buffer = io.BytesIO()
        nx.write_graphml(graph, buffer)
        return buffer.getvalue()
    renderers = {"dot": render_dot, "svg": render_svg, "cytoscape": render_cytoscape, "html": render_html}
    if output_format in renderers:
        return renderers[output_format](graph).encode("utf-8")
    return render_rdf(view, output_format).encode("utf-8")


def _annotated(view: ExportView) -> nx.DiGraph:
    graph = view.graph.copy()
    graph.graph.update(title=view.title, knowledge_version=view.knowledge_version, notice=REVIEWER_LINE)
    return graph


def render_dot(graph: nx.DiGraph) -> str:
    """Graphviz DOT, every node id quoted (a CURIE, with its colon, is not a DOT identifier)."""
    rows = ["digraph necessity {",
            f"  graph [rankdir=LR, labelloc=t, fontname=Helvetica, label={_dot_quote(_graph_caption(graph))}];",
            '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=10];',
            '  edge [fontname=Helvetica, fontsize=9, color="#999999", fontcolor="#555555"];']
    for node, data in graph.nodes(data=True):
        border = STATE_COLORS.get(str(data.get("state", data.get("status", ""))), "#666666")
        width = 3 if data["proof"] else 1
        rows.append(f"  {_dot_quote(node)} [label={_dot_quote(_wrapped(data['label']))}, "
                    f'fillcolor="{_color(data["kind"])}", color="{border}", '
                    f"penwidth={width}, tooltip={_dot_quote(data['kind'])}];")
    for start, end, data in graph.edges(data=True):
        style = f', color="{PROOF_COLOR}", penwidth=2.5' if data["proof"] else ""
        rows.append(f"  {_dot_quote(start)} -> {_dot_quote(end)} [label={_dot_quote(data['label'])}{style}];")
    return "\n".join(rows) + "\n}\n"


def render_svg(graph: nx.DiGraph) -> str:
    """SVG laid out by Graphviz's ``dot`` program."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing("SVG needs Graphviz's 'dot' program, which is not installed (Debian: "
                              "apt install graphviz); --format dot, html or graphml need nothing more")
    try:
        done = subprocess.run([dot, "-Tsvg"], input=render_dot(graph).encode("utf-8"), capture_output=True,
                              check=False, timeout=300)
    except subprocess.TimeoutExpired as exc:
        raise NecessityError("Graphviz dot did not finish the SVG within 300 s: use --format dot or html") from exc
    if done.returncode != 0:
        raise NecessityError(f"Graphviz dot failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8")


def render_cytoscape(graph: nx.DiGraph) -> str:
    """Cytoscape.js JSON (``elements`` with ``nodes`` and ``edges``), as Cytoscape desktop imports it."""
    data = nx.cytoscape_data(graph)
    data["data"] = dict(graph.graph)
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def render_html(graph: nx.DiGraph) -> str:
    """One offline HTML page: the graph drawn by Cytoscape.js (inlined), nodes coloured by kind, the
    proof path highlighted, a node's attributes shown on click."""
    elements = nx.cytoscape_data(graph)["elements"]
    for node in elements["nodes"]:
        node["data"]["label"] = _breakable(node["data"]["label"])
        node["data"]["color"] = _color(node["data"]["kind"])
        state = str(node["data"].get("state", node["data"].get("status", "")))
        node["data"]["border"] = STATE_COLORS.get(state, "#666666")
    legend = "".join(f'<span class="kind"><i style="background:{_color(kind)}"></i>{html.escape(kind)}</span>'
                     for kind in sorted({data["kind"] for _, data in graph.nodes(data=True)}))
    return Template(_TEMPLATE.read_text(encoding="utf-8")).substitute(
        title=html.escape(graph.graph["title"]), notice=html.escape(graph.graph["notice"]),
        version=html.escape(graph.graph["knowledge_version"]), legend=legend, proof_color=PROOF_COLOR,
        elements=_script_json(elements), library=(_VENDOR / "cytoscape.min.js").read_text(encoding="utf-8"))


def render_rdf(view: ExportView, output_format: str) -> str:
    """The view's triples as Turtle, or as N-Quads in a named graph, with the title, version and notice
    as comments."""
    header = "".join(f"# {line}\n" for line in (view.title, f"knowledge base version {view.knowledge_version}",
                                                 REVIEWER_LINE))
    if output_format == "turtle":
        return header + view.rdf.serialize(format="turtle")
    dataset = Dataset()
    bind_prefixes(dataset.namespace_manager)
    named = dataset.graph(URIRef(f"{BASE}export/{view.name}"))
    for triple in view.rdf:
        named.add(triple)
    return header + "".join(sorted(dataset.serialize(format="nquads").splitlines(keepends=True)))


def _color(kind: str) -> str:
    return KIND_COLORS.get(kind, KIND_COLORS["other"])


def _breakable(label: str) -> str:
    """Let the browser wrap long words (URLs, identifiers) after a slash, dot or hyphen."""
    return " ".join(re.sub(r"([/.\-])", "\\1\u200b", word) if len(word) > _LONG_WORD else word
                    for word in label.split(" "))


def _graph_caption(graph: nx.DiGraph) -> str:
    return f"{graph.graph['title']}\nknowledge base {graph.graph['knowledge_version']}. {graph.graph['notice']}"


def _wrapped(label: str) -> str:
    return "\n".join(textwrap.wrap(label, 42, break_long_words=False)) or label


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _script_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
