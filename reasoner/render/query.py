"""Renders ``necessity query`` results: an aligned table, CSV, or SPARQL 1.1 Query Results JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from reasoner.results import QueryResult


def render_query(result: QueryResult, output_format: str, names: NamespaceManager) -> str:
    """Render a query result as ``table``, ``csv`` or ``json``."""
    if output_format == "json":
        return _json(result)
    if output_format == "csv":
        return _csv(result)
    return _table(result, names)


def _table(result: QueryResult, names: NamespaceManager) -> str:
    if result.boolean is not None:
        return f"{str(result.boolean).lower()}\n"
    cells = [[_short(value, names) for value in row] for row in result.rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(result.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _short(value: Node | None, names: NamespaceManager) -> str:
    if value is None:
        return ""
    if isinstance(value, URIRef):
        return names.normalizeUri(value)
    return str(value)


def _csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if result.boolean is not None:
        writer.writerow(["boolean"])
        writer.writerow([str(result.boolean).lower()])
    else:
        writer.writerow(result.columns)
        writer.writerows([["" if v is None else str(v) for v in row] for row in result.rows])
    return out.getvalue()


def _json(result: QueryResult) -> str:
    if result.boolean is not None:
        document: dict[str, Any] = {"head": {}, "boolean": result.boolean}
    else:
        bindings = [{name: _term(value) for name, value in zip(result.columns, row, strict=True) if value is not None}
                    for row in result.rows]
        document = {"head": {"vars": list(result.columns)}, "results": {"bindings": bindings}}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _term(value: Node) -> dict[str, str]:
    if isinstance(value, URIRef):
        return {"type": "uri", "value": str(value)}
    if isinstance(value, BNode):
        return {"type": "bnode", "value": str(value)}
    term = {"type": "literal", "value": str(value)}
    if isinstance(value, Literal) and value.language:
        term["xml:lang"] = value.language
    elif isinstance(value, Literal) and value.datatype:
        term["datatype"] = str(value.datatype)
    return term
