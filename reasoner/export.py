"""The export view (``necessity export``): the knowledge base, or the proof of a request's claim
lines, drawn by the CONSTRUCT queries of ``queries/export/`` in the view vocabulary
(``ontology/view.ttl``), both as RDF and as a networkx property graph.

In the property graph, a node is an IRI of the view (named by its CURIE); its literal values
(kind, label, state, ...) are its attributes; each object value is an edge labelled with the
property's label. The proof path of a line runs from the line through the outcomes its status
rests on (``view:decides``) to their criteria, facts, sources, guidelines and citations: those
nodes and edges carry ``proof = True``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import networkx as nx
from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from reasoner.engines import Engine
from reasoner.errors import InputError, NecessityError
from reasoner.knowledge import Knowledge
from reasoner.pipeline import decided
from reasoner.resources import Queries
from reasoner.results import ExportView
from reasoner.store import ClaimGraph
from reasoner.vocab import VIEW, bind_prefixes


def knowledge_view(knowledge: Knowledge, code: str | None = None) -> ExportView:
    """The knowledge base as a view: codes, recommendations, criteria, rules, guidelines, citations,
    conflicts. With ``code``, only what bears on that billing code."""
    rdf = _construct(knowledge.store.whole(), knowledge.queries, "knowledge")
    title = "necessity knowledge base" + (f": billing code {code}" if code else "")
    view = _view("knowledge", rdf, code, title, knowledge)
    if code and not view.graph:
        raise NecessityError(f"--code {code}: no billing code {code} in the knowledge base")
    return view


def proof_view(path: str | Path, knowledge: Knowledge, code: str | None = None, claim_id: str | None = None,
               engine: Engine | None = None) -> ExportView:
    """The proof of the claim lines of the request at ``path`` (of one claim; with ``code``, only the
    lines billed with it): each line, the outcomes considered, their criteria and facts, the sources,
    guidelines and citations, and the warnings."""
    result = decided(path, knowledge, engine, claim_id)
    claim = result.claim
    rdf = _construct(result.store, knowledge.queries, "proof")
    title = f"necessity proof: {Path(path).name}, claim {claim.id}" + (f", code {code}" if code else "")
    view = _view("proof", rdf, code, title, knowledge)
    if code and not view.graph:
        billed = ", ".join(sorted({line.code for line in claim.lines}))
        raise InputError(str(path), claim.source, "item.productOrService", f"no line billed with {code} ({billed})")
    return view


def _construct(source: ClaimGraph, queries: Queries, folder: str) -> Graph:
    """What the CONSTRUCT queries of ``queries/export/<folder>`` build from ``source``, in one rdflib graph."""
    rdf = Graph()
    bind_prefixes(rdf.namespace_manager)
    for name in queries.names(f"export/{folder}", ".rq"):
        rdf += source.construct(queries.text(name))
    return rdf


def _view(name: str, rdf: Graph, code: str | None, title: str, knowledge: Knowledge) -> ExportView:
    graph = property_graph(rdf, knowledge.graph)
    if code:
        kept = _reach(graph, [n for n, data in graph.nodes(data=True) if data.get("root") and data.get("code") == code])
        graph = _ordered(graph.subgraph(kept))
        rdf = _select(rdf, {n for n in kept})
    _mark_proof(graph)
    return ExportView(name=name, title=title, rdf=rdf, graph=graph, knowledge_version=knowledge.version)


def property_graph(rdf: Graph, knowledge: Graph) -> nx.DiGraph:
    """The view's triples as a directed property graph, nodes and edges in a stable order, each edge labelled
    with its property's label in ``knowledge``."""
    curie = node_namer(rdf)
    labels = _property_labels(knowledge)
    attributes: dict[str, dict[str, set[str | bool]]] = defaultdict(lambda: defaultdict(set))
    edges: dict[tuple[str, str], set[Node]] = defaultdict(set)
    for subject, predicate, value in rdf:
        if isinstance(value, Literal):
            attributes[curie(subject)][_local(predicate)].add(value.toPython() if value.datatype else str(value))
        else:
            edges[(curie(subject), curie(value))].add(predicate)
    graph = nx.DiGraph()
    for node in sorted(set(attributes) | {end for pair in edges for end in pair}):
        graph.add_node(node, **{key: _one(values) for key, values in sorted(attributes[node].items())})
        graph.nodes[node].setdefault("label", node)
        graph.nodes[node].setdefault("kind", "other")
    for (start, end), predicates in sorted(edges.items()):
        graph.add_edge(start, end, label=" | ".join(sorted(labels.get(p, _local(p)) for p in predicates)),
                       predicate=" | ".join(sorted(curie(p) for p in predicates)))
    return graph


def node_namer(rdf: Graph) -> Callable[[Node], str]:
    """A function naming a term by its CURIE: the longest bound namespace it starts with, and the rest
    (``req:claim/c1/line/3``), or the whole IRI in angle brackets."""
    namespaces = sorted(((str(ns), prefix) for prefix, ns in rdf.namespace_manager.namespaces() if prefix),
                        key=lambda pair: -len(pair[0]))

    def name(term: Node) -> str:
        text = str(term)
        for namespace, prefix in namespaces:
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace):]}"
        return f"<{text}>"

    return name


def _property_labels(knowledge: Graph) -> dict[Node, str]:
    return {p: str(label) for p, label in knowledge.subject_objects(RDFS.label) if isinstance(p, URIRef)}


def _local(predicate: Node) -> str:
    text = str(predicate)
    return text.removeprefix(str(VIEW)) if text.startswith(str(VIEW)) else text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _one(values: set[str | bool]) -> str | bool:
    if len(values) == 1:
        return next(iter(values))
    return " | ".join(sorted(str(v) for v in values))


def _reach(graph: nx.DiGraph, roots: list[str]) -> set[str]:
    """The roots and every node they reach, without passing through another root (a line or a code)."""
    seen, stack = set(roots), list(roots)
    while stack:
        node = stack.pop()
        for successor in graph.successors(node):
            if successor not in seen:
                seen.add(successor)
                if not _is_root(graph, successor):
                    stack.append(successor)
    return seen


def _ordered(graph: nx.DiGraph) -> nx.DiGraph:
    """A copy with nodes and edges in sorted order, so that every output is byte-identical across runs."""
    ordered = nx.DiGraph()
    ordered.add_nodes_from(sorted(graph.nodes(data=True)))
    ordered.add_edges_from(sorted(graph.edges(data=True), key=lambda edge: (edge[0], edge[1])))
    return ordered


def _select(rdf: Graph, kept: set[str]) -> Graph:
    curie = node_namer(rdf)
    selected = Graph()
    bind_prefixes(selected.namespace_manager)
    for triple in rdf:
        subject, _, value = triple
        if curie(subject) in kept and (isinstance(value, Literal) or curie(value) in kept):
            selected.add(triple)
    return selected


def _mark_proof(graph: nx.DiGraph) -> None:
    """Mark the proof path of every line: the line, its deciding outcomes and all they reach."""
    nx.set_node_attributes(graph, False, "proof")
    nx.set_edge_attributes(graph, False, "proof")
    for line in [node for node in graph if _is_root(graph, node)]:
        for outcome in graph.successors(line):
            if graph.nodes[outcome].get("decides") is True:
                graph.nodes[line]["proof"] = True
                graph.edges[line, outcome]["proof"] = True
                _mark_reach(graph, outcome)


def _is_root(graph: nx.DiGraph, node: str) -> bool:
    return graph.nodes[node].get("root") is True


def _mark_reach(graph: nx.DiGraph, start: str) -> None:
    reached = _reach(graph, [start])
    for node in reached:
        graph.nodes[node]["proof"] = True
    for start_node, end in graph.edges:
        if start_node in reached and end in reached and not _is_root(graph, start_node):
            graph.edges[start_node, end]["proof"] = True
