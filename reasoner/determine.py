"""The decision layer: runs the SPARQL updates of ``queries/decide/`` over one claim's graph in the
knowledge store (criterion assessments, outcomes, statuses, warnings), then reads one Determination
per claim line with the SELECT queries of ``queries/determination/``. Closed-world decision over
open-world inference, whichever engine closed the graph (``reasoner/store.py``).
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

from rdflib import Graph, URIRef

from reasoner.resources import Queries
from reasoner.results import Considered, Criterion, Determination, DocumentationItem, Status, Warning
from reasoner.store import ClaimGraph, python_value
from reasoner.vocab import bind_prefixes


def decide(claim: ClaimGraph, queries: Queries) -> list[Determination]:
    """Run the decision updates on the claim's graph (in place) and return one Determination per claim line."""
    claim.apply_updates()
    return read_determinations(claim, queries)


def read_determinations(claim: ClaimGraph, queries: Queries) -> list[Determination]:
    """Read the determinations written by the decision updates, ordered by claim line sequence."""
    curie = curie_namer()

    def _select(name: str) -> list[_Row]:
        return select(claim, queries.text(f"determination/{name}.rq"))

    def _grouped(name: str, make: Any, key: str | tuple[str, ...] = "line") -> dict[Any, list[Any]]:
        return grouped(_select(name), make, key)

    citations = _grouped("citations", lambda r: str(r.citation), key="source")
    facts = _grouped("evidence", lambda r: str(r.factLabel), key=("subject", "criterion", "state"))
    criteria = _grouped("criteria", lambda r: Criterion(
        id=curie(r.criterion), label=str(r.label), state=str(r.state), of=curie(r.source),
        facts=tuple(sorted(set(facts.get((r.subject, r.criterion, r.stateNode), ())))), exception=bool(r.exception)))
    outcomes = _grouped("outcomes", lambda r: r)
    warnings = _grouped("warnings", lambda r: Warning(kind=str(r.kind), message=str(r.message),
                                                             source=curie(r.source)))
    return [_determination(row, curie, citations, criteria.get(row.line, []), outcomes.get(row.line, []),
                           warnings.get(row.line, []))
            for row in _select("lines")]


def _determination(row: Any, curie: Any, citations: dict[Any, list[str]], criteria: list[Criterion],
                   outcomes: list[Any], warnings: list[Warning]) -> Determination:
    considered = sorted((_considered(o, curie, citations) for o in outcomes), key=lambda c: (c.kind, c.id, c.role))
    documentation = sorted((DocumentationItem(link_id=str(o.linkId), label=str(o.label), state=str(o.state),
                                              rule=curie(o.source))
                            for o in outcomes if o.documentation and o.linkId is not None), key=lambda d: d.link_id)
    deciding = [c for c in considered if c.deciding]
    cited = [text for c in (deciding or considered) for text in c.citations]
    return Determination(
        sequence=int(row.sequence), code=str(row.code), system=str(row.system),
        display=_text(row.display), claimed_as=_text(row.claimedAs), status=Status(str(row.status)),
        service_date=str(row.serviceDate), policy_date=str(row.policyDate), before_service=bool(row.beforeService),
        service_date_source=_text(row.serviceDateSource),
        citations=tuple(dict.fromkeys(cited)),
        recommendations=tuple(c for c in considered if c.kind == "recommendation"),
        rules=tuple(c for c in considered if c.kind != "recommendation"),
        criteria=tuple(sorted(criteria, key=lambda c: (c.of, c.id))),
        documentation=tuple(documentation),
        warnings=tuple(sorted(set(warnings), key=lambda w: (w.kind, w.source, w.message))),
    )


def _considered(row: Any, curie: Any, citations: dict[Any, list[str]]) -> Considered:
    return Considered(
        id=curie(row.source), kind=str(row.kind), role=str(row.role), state=str(row.state),
        deciding=bool(row.deciding), label=str(row.label), statement=_text(row.statement),
        strength=_text(row.strength), evidence=_text(row.evidence), guideline=_text(row.guideline),
        citations=tuple(sorted(citations.get(row.source, []))),
    )


class _Row(dict[str, Any]):
    """One solution of a SELECT query, its values for Python (``python_value``), by attribute or key."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


def select(claim: ClaimGraph, text: str) -> list[_Row]:
    """The solutions of the SELECT query ``text`` over the claim and the knowledge, as rows for Python."""
    solutions: Any = claim.query(text)
    names = [variable.value for variable in solutions.variables]
    return [_Row((n, python_value(solution[n])) for n in names) for solution in solutions]


def grouped(rows: list[_Row], make: Any, key: str | tuple[str, ...] = "line") -> dict[Any, list[Any]]:
    """``rows`` made into records by ``make``, grouped by the value of ``key`` (a variable, or a tuple of them)."""
    groups: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row[key] if isinstance(key, str) else tuple(row[k] for k in key)].append(make(row))
    return groups


@cache
def curie_namer() -> Any:
    """A function naming an IRI by its CURIE in necessity's prefixes (any other value as its string)."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    manager = graph.namespace_manager

    @cache
    def curie(node: Any) -> str:
        return manager.normalizeUri(node) if isinstance(node, URIRef) else str(node)

    return curie


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
