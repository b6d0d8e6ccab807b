"""SPARQL 1.1 SELECT, ASK and CONSTRUCT over the knowledge base, or over one claim's decided graph
(the knowledge, the request's facts, everything inferred and the decision): ``necessity query``.

Read-only and local: updates are refused, and so is any ``SERVICE`` clause (nothing leaves the
machine). Named queries live in ``queries/named/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyparsing import ParseResults
from rdflib import Graph
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from reasoner import resources
from reasoner.compiled import load_knowledge
from reasoner.errors import NecessityError
from reasoner.pipeline import decided


class QueryError(NecessityError):
    """A query that does not parse, updates, or reaches outside the machine."""


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows (SELECT; CONSTRUCT gives subject, predicate, object rows), or a boolean (ASK)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Node | None, ...], ...]
    boolean: bool | None = None


@dataclass(frozen=True)
class NamedQuery:
    """A query shipped in queries/named/: its name and what it returns (its opening comment)."""

    name: str
    summary: str


def named_queries() -> list[NamedQuery]:
    """The named queries, each with the first line of its opening comment."""
    names = resources.query_names("named", ".rq")
    return [NamedQuery(name=Path(n).stem, summary=resources.query_text(n).splitlines()[0].lstrip("# "))
            for n in names]


def query_source(file: str) -> str:
    """The text of a query file: a path, or the name of a named query."""
    named = {q.name for q in named_queries()}
    if file in named:
        return resources.query_text(f"named/{file}.rq")
    try:
        return Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"{file}: cannot read the query ({exc.strerror}); named queries: {', '.join(sorted(named))}") \
            from exc


def run_query(text: str, request: str | None = None, claim_id: str | None = None,
              engine: str = "fast") -> QueryResult:
    """Run a SELECT, ASK or CONSTRUCT query over the knowledge base, or over the decided graph of a claim."""
    prepared = _prepare(text)
    graph = decided(request, claim_id, engine).graph if request else load_knowledge().graph
    result: Any = graph.query(prepared)
    if result.type == "ASK":
        return QueryResult(columns=(), rows=(), boolean=bool(result.askAnswer))
    if result.type == "CONSTRUCT":
        triples = sorted(result.graph or Graph())
        return QueryResult(columns=("subject", "predicate", "object"), rows=tuple(tuple(t) for t in triples))
    columns = tuple(str(v) for v in result.vars)
    return QueryResult(columns=columns, rows=tuple(tuple(row) for row in result))


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
