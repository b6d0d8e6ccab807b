"""The knowledge store: the closed knowledge as Oxigraph quads, where each claim's facts and entailments
are decided by the updates of ``queries/decide/`` and read by the queries of ``queries/determination/``
(Oxigraph's SPARQL engine is tens of times faster than rdflib's on these); and the conversions
between rdflib's terms and pyoxigraph's, which keep blank node ids, so a node of the knowledge is the
same node in both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from reasoner.vocab import NEC, bind_prefixes

Triple = tuple[Node, Node, Node]


def ox_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term of an rdflib term."""
    if isinstance(term, URIRef):
        return _named(term)
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=_named(term.datatype) if term.datatype else None)
    raise TypeError(f"not an RDF term: {term!r}")


def rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """The rdflib term of a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value, datatype=None if datatype == _STRING else URIRef(datatype))


def python_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> Any:
    """A query result value for Python: an IRI as a URIRef, a blank node as a BNode, a boolean or integer
    literal as bool or int, any other literal as its lexical form, an unbound variable as None."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return _iri(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    datatype = term.datatype.value
    if datatype == _BOOLEAN:
        return term.value in ("true", "1")
    if datatype == _INTEGER:
        return int(term.value)
    return term.value


@lru_cache(maxsize=1 << 16)
def _named(iri: URIRef) -> ox.NamedNode:
    """The pyoxigraph node of an IRI (a claim's facts name the same properties and classes again and again)."""
    return ox.NamedNode(str(iri))


@lru_cache(maxsize=1 << 16)
def _iri(value: str) -> URIRef:
    return URIRef(value)


def quads(triples: Iterable[Triple]) -> list[ox.Quad]:
    """Triples as quads of the default graph; a triple whose subject is a literal (owlrl types literals) has
    no place in RDF and is left out."""
    return [ox.Quad(ox_term(s), ox_term(p), ox_term(o)) for s, p, o in triples  # type: ignore[arg-type]
            if not isinstance(s, Literal)]


class KnowledgeStore:
    """The closed knowledge as Oxigraph quads, made once per knowledge, and the decision updates. Each claim
    is decided in a store of its own (``claim``): the quads of the knowledge it needs and the claim's,
    where the updates and queries run on one default graph, read, and dropped.

    What a claim needs: the knowledge's core, and of its recommendations, coding rules and checks (its
    *sources*) only those bearing on a code its lines are instances of; not what owlrl entails about
    class expressions (blank nodes), which inference has used already. A source's own triples (its
    subject, and the blank nodes only it links: its patient class, its derivation axioms) are kept
    apart by source and indexed by the codes it supports, opposes or applies to, so the copy and the
    updates follow the claim's codes, not the size of the knowledge. Every decision query reaches a
    source through a line it bears on (``queries/decide/``), so the sources left out change nothing.

    A claim's store is a copy because Oxigraph 0.5 decides slower in one long-lived store: a union of
    named graphs as the dataset (``USING``) doubles the updates' time, and its in-memory store slows with
    every graph dropped (decision record 0014 has the figures)."""

    def __init__(self, asserted: Iterable[Triple], entailed: Iterable[Triple], updates: Iterable[str]) -> None:
        entailed = tuple(entailed)
        # What owlrl entails about class expressions (blank nodes: their subclasses, equivalents and types)
        # serves inference, which is done before the decision; no decision query reads it.
        read = (*asserted, *(t for t in entailed if not isinstance(t[0], BNode)))
        core, owned, self.bearing = _sliced(read)
        self.core = tuple(quads(core))
        self.owned = {source: tuple(quads(triples)) for source, triples in owned.items()}
        self.unread = tuple(quads(t for t in entailed if isinstance(t[0], BNode)))
        self.quads = (*self.core, *(q for source in sorted(self.owned, key=str) for q in self.owned[source]),
                      *self.unread)
        self.updates = tuple(updates)

    def sources_for(self, triples: Iterable[Triple]) -> list[Node]:
        """The sources bearing on a code that a claim line of ``triples`` is an instance of, in a stable order."""
        types = [(s, o) for s, p, o in triples if p == _TYPE]
        lines = {s for s, o in types if o == _CLAIM_LINE}
        return sorted({source for s, o in types if s in lines for source in self.bearing.get(o, ())}, key=str)

    def whole(self) -> ClaimGraph:
        """A store of the whole knowledge and no claim, for the queries that read the knowledge alone."""
        store = ox.Store()
        store.extend(self.quads)
        return ClaimGraph(store, self.updates)

    @contextmanager
    def claim(self, triples: Iterable[Triple], whole: bool = False) -> Iterator[ClaimGraph]:
        """A store holding ``triples`` (a claim's facts and entailments) and the knowledge they need (all of
        it with ``whole``: for the readers of the decided graph, explain, query, export and serve)."""
        triples = list(triples)
        store = ox.Store()
        if whole:
            store.extend(self.quads)
        else:
            store.extend(self.core)
            for source in self.sources_for(triples):
                store.extend(self.owned[source])
        store.extend(quads(triples))
        yield ClaimGraph(store, self.updates)


def _sliced(closed: tuple[Triple, ...]) -> tuple[list[Triple], dict[Node, list[Triple]], dict[Node, set[Node]]]:
    """The closed knowledge split into its core and each source's own triples, and the sources by the codes
    they bear on. A blank node belongs to a source when its connected part of the graph links that source
    alone; else it stays in the core."""
    bearing: dict[Node, set[Node]] = {}
    for s, p, o in closed:
        if p in _BEARING:
            bearing.setdefault(o, set()).add(s)
    sources = {s for found in bearing.values() for s in found}
    parts = _blank_parts(closed)
    links: dict[Node, set[Node]] = {}
    for s, _, o in closed:
        if isinstance(s, BNode) and o in sources:
            links.setdefault(parts(s), set()).add(o)
        if s in sources and isinstance(o, BNode):
            links.setdefault(parts(o), set()).add(s)
    core: list[Triple] = []
    owned: dict[Node, list[Triple]] = {source: [] for source in sources}
    for triple in closed:
        subject = triple[0]
        owners = {subject} if subject in sources else links.get(parts(subject), set()) if isinstance(subject, BNode) \
            else set()
        if len(owners) == 1:
            owned[next(iter(owners))].append(triple)
        else:
            core.append(triple)
    return core, owned, bearing


def _blank_parts(closed: tuple[Triple, ...]) -> Any:
    """A function giving each blank node the representative of its connected part (blank to blank links)."""
    parent: dict[Node, Node] = {}

    def find(node: Node) -> Node:
        root = node
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(node, node) != root:
            parent[node], node = root, parent[node]
        return root

    for s, _, o in closed:
        if isinstance(s, BNode) and isinstance(o, BNode):
            a, b = find(s), find(o)
            if a != b:
                parent[a] = b
    return find


class ClaimGraph:
    """One claim's graph together with the knowledge, where it is decided and read."""

    def __init__(self, store: ox.Store, updates: tuple[str, ...]) -> None:
        self._store, self._updates = store, updates

    def apply_updates(self) -> None:
        """Run the knowledge's decision updates, in order, in place."""
        for text in self._updates:
            self._store.update(text)

    def query(self, text: str) -> Any:
        """Run a SPARQL query over the knowledge and the claim: pyoxigraph's solutions, boolean or triples."""
        return self._store.query(text)

    def construct(self, text: str) -> Graph:
        """The triples a CONSTRUCT query builds, as an rdflib graph with necessity's prefixes bound."""
        graph = Graph()
        bind_prefixes(graph.namespace_manager)
        triples: Any = self._store.query(text)
        for triple in triples:
            graph.add((rdflib_term(triple.subject), rdflib_term(triple.predicate), rdflib_term(triple.object)))
        return graph

    def __len__(self) -> int:
        return len(self._store)

    def as_graph(self) -> Graph:
        """The knowledge and the claim as one rdflib graph, with necessity's prefixes bound."""
        graph = Graph()
        bind_prefixes(graph.namespace_manager)
        for quad in self._store:
            graph.add((rdflib_term(quad.subject), rdflib_term(quad.predicate), rdflib_term(quad.object)))
        return graph


_STRING = "http://www.w3.org/2001/XMLSchema#string"
_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_TYPE, _CLAIM_LINE = RDF.type, NEC.ClaimLine
# The properties by which a recommendation, coding rule or check bears on the codes of claim lines.
_BEARING = (NEC.supportsCode, NEC.opposesCode, NEC.appliesTo)
