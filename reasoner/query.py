"""SPARQL 1.1 SELECT, ASK and CONSTRUCT over the knowledge base, or over one claim's decided graph
(the knowledge, the request's facts, everything inferred and the decision): ``necessity query``.

Read-only and local: updates are refused, and so is any ``SERVICE`` clause (nothing leaves the
machine). Named queries live in ``queries/named/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyparsing import ParseResults
from rdflib import Graph
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.sparql import Query

from reasoner.engines import Engine
from reasoner.errors import NecessityError
from reasoner.knowledge import Knowledge
from reasoner.pipeline import decided
from reasoner.resources import Queries
from reasoner.results import NamedQuery, QueryResult
from reasoner.store import rdflib_term
from reasoner.vocab import bind_prefixes


class QueryError(NecessityError):
    """A query that does not parse, updates, or reaches outside the machine."""


def named_queries(queries: Queries) -> list[NamedQuery]:
    """The named queries of the knowledge's ``queries``, each with the first line of its opening comment."""
    return [NamedQuery(name=Path(n).stem, summary=queries.text(n).splitlines()[0].lstrip("# "))
            for n in queries.names("named", ".rq")]


def query_source(file: str, queries: Queries) -> str:
    """The text of a query file: a path, or the name of a named query of ``queries``."""
    named = {q.name for q in named_queries(queries)}
    if file in named:
        return queries.text(f"named/{file}.rq")
    try:
        return Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"{file}: cannot read the query ({exc.strerror}); named queries: {', '.join(sorted(named))}") \
            from exc


def run_query(text: str, knowledge: Knowledge, request: str | None = None, claim_id: str | None = None,
              engine: Engine | None = None) -> QueryResult:
    """Run a SELECT, ASK or CONSTRUCT query over the knowledge, or over the decided graph of a claim, in
    Oxigraph; necessity's prefixes may be used without declaring them."""
    _prepare(text)
    graph = decided(request, knowledge, engine, claim_id).store if request else knowledge.store.whole()
    result: Any = graph.query(_PREFIXES + text)
    if isinstance(result, ox.QueryBoolean):
        return QueryResult(columns=(), rows=(), boolean=bool(result))
    if isinstance(result, ox.QueryTriples):
        triples = sorted({(rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object)) for t in result})
        return QueryResult(columns=("subject", "predicate", "object"), rows=tuple(triples))
    names = [variable.value for variable in result.variables]
    rows = tuple(tuple(None if solution[n] is None else rdflib_term(solution[n]) for n in names) for solution in result)
    return QueryResult(columns=tuple(names), rows=rows)


def check_query(text: str) -> None:
    """Raise QueryError unless ``text`` parses as a SPARQL query (not an update) without a ``SERVICE``
    clause: necessity's graphs are local, and nothing may leave the machine."""
    try:
        tree = parseQuery(text)
    except Exception as exc:  # noqa: BLE001 - the SPARQL parser raises many types
        raise QueryError(f"the query does not parse (only SELECT, ASK, CONSTRUCT and DESCRIBE are queries): "
                         f"{exc}") from exc
    if _mentions(tree, "ServiceGraphPattern"):
        raise QueryError("SERVICE is refused: necessity queries only its local graph, nothing leaves the machine")


def _prepare(text: str) -> Query:
    check_query(text)
    try:
        prepared = prepareQuery(text)
    except Exception as exc:  # noqa: BLE001 - the SPARQL parser raises many types
        raise QueryError(f"the query does not parse (only SELECT, ASK and CONSTRUCT are allowed): {exc}") from exc
    if prepared.algebra.name == "DescribeQuery":
        raise QueryError("DESCRIBE is not supported: use CONSTRUCT")
    return prepared


def _mentions(node: Any, name: str) -> bool:
    """Whether the parse tree ``node`` holds a part called ``name``, at any depth (in expressions too)."""
    if getattr(node, "name", None) == name:
        return True
    if isinstance(node, dict):
        return any(_mentions(value, name) for value in node.values())
    if isinstance(node, list | tuple | ParseResults):
        return any(_mentions(value, name) for value in node)
    return False


def _prefix_lines() -> str:
    """PREFIX declarations for every prefix necessity binds, so a query may use them undeclared (as rdflib let
    it); a query's own declarations come after them and win."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    return "".join(f"PREFIX {prefix}: <{namespace}>\n" for prefix, namespace in graph.namespace_manager.namespaces())


_PREFIXES = _prefix_lines()
