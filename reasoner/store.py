"""The decision store: one claim's closed graph in an embedded pyoxigraph store, where the decision
updates of ``queries/decide/`` and the queries of ``queries/determination/`` run (Oxigraph's SPARQL
engine is tens of times faster than rdflib's on these); and the conversions between rdflib's terms
and pyoxigraph's, which keep blank node ids, so a node of the knowledge is the same node in both.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from reasoner.vocab import bind_prefixes

Triple = tuple[Node, Node, Node]


def ox_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term of an rdflib term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)
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
def _iri(value: str) -> URIRef:
    return URIRef(value)


def quads(triples: Iterable[Triple]) -> list[ox.Quad]:
    """Triples as quads of the default graph; a triple whose subject is a literal (owlrl types
    literals) has no place in RDF and is left out."""
    return [ox.Quad(ox_term(s), ox_term(p), ox_term(o)) for s, p, o in triples  # type: ignore[arg-type]
            if not isinstance(s, Literal)]


def decision_store(content: Iterable[ox.Quad]) -> ox.Store:
    """A new in-memory store holding ``content``."""
    store = ox.Store()
    store.extend(content)
    return store


def as_graph(store: ox.Store) -> Graph:
    """The store's default graph as an rdflib graph, with necessity's prefixes bound."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    for quad in store:
        graph.add((rdflib_term(quad.subject), rdflib_term(quad.predicate), rdflib_term(quad.object)))
    return graph


_STRING = "http://www.w3.org/2001/XMLSchema#string"
_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
