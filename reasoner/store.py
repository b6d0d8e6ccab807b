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

from reasoner.sources import split_by_source
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
        split = split_by_source(asserted, entailed)
        self.bearing = split.bearing
        self.core = tuple(quads(split.core))
        self.owned = {source: tuple(quads(triples)) for source, triples in split.owned.items()}
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
