"""Lints the knowledge base (``necessity check``): every knowledge file parses, every query parses,
the knowledge conforms to the SHACL shapes of ``ontology/shapes/knowledge.ttl`` (citations with a
DOI, PMID or URL; recommendations with a guideline, a strength and criteria; rules with a
requirement, ...), every code a file names exists (``queries/check/``; ICD-10-CM in the full
hierarchy), every criterion used is declared, and the fast engine implements every OWL construct used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib.plugins.sparql import prepareQuery, prepareUpdate

from reasoner import resources
from reasoner.errors import KnowledgeError
from reasoner.hierarchy import read_hierarchy
from reasoner.knowledge import Knowledge, asserted_knowledge, compile_knowledge, parse_knowledge
from reasoner.resources import Queries, read_queries
from reasoner.vocab import ICD, ICD_GROUP

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge: where (a file, a node) and what."""

    where: str
    message: str


def check_knowledge(root: Path | None = None) -> list[Problem]:
    """Every problem found in the knowledge base under ``root`` (default: the installed one); empty when it passes."""
    root = root or resources.data_root()
    problems = _query_problems(root)
    queries = read_queries(root)
    try:
        graph = asserted_knowledge(root)
    except KnowledgeError as exc:
        return [*problems, Problem(where="kg/", message=str(exc))]
    problems += _shape_problems(graph, root, "criteria")  # the vocabulary as written, before it is compiled
    graph = compile_knowledge(graph, queries)
    problems += _shape_problems(graph, root, "knowledge") + _code_problems(graph, root, queries) + _todo_problems(root)
    problems = problems or _engine_problems(root)  # the engine compiles knowledge that passes the rest
    return sorted(set(problems), key=lambda p: (p.where, p.message))


def _engine_problems(root: Path) -> list[Problem]:
    """The fast engine's rules cover the knowledge (this also builds the compiled knowledge cache)."""
    refusal = Knowledge.load(root).refusal
    return [Problem(where="reasoner/engines/fast.py", message=refusal)] if refusal else []


def knowledge_counts(root: Path | None = None, graph: Graph | None = None) -> dict[str, int]:
    """How many recommendations, rules, criteria, citations, codes and ICD-10-CM classes the knowledge holds;
    ``graph`` is its parsed knowledge when the caller has it already."""
    root = root or resources.data_root()
    graph = graph if graph is not None else parse_knowledge(root)
    kinds = {"recommendations": "nec:Recommendation", "coding rules": "nec:CodingRule",
             "indication requirements": "nec:IndicationRequirement", "checks": "nec:Check",
             "criteria": "nec:Criterion", "citations": "nec:Citation", "guidelines": "nec:Guideline"}
    counts = {name: _count(graph, f"?x a/rdfs:subClassOf* {kind}") for name, kind in kinds.items()}
    counts["billing codes"] = _count(graph, "?x skos:notation ?n ; rdfs:subClassOf+ nec:BillingCode")
    counts["ICD-10-CM classes"] = len(read_hierarchy(resources.code_hierarchy_file(root)))
    return counts


def _count(graph: Graph, pattern: str) -> int:
    query = f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }}"
    return int(next(iter(graph.query(query)))[0])  # type: ignore[index, arg-type]


def _query_problems(root: Path) -> list[Problem]:
    problems = []
    for path in resources.query_files(root):
        text = path.read_text(encoding="utf-8")
        if not text.startswith("# "):
            problems.append(Problem(str(path.relative_to(root)),
                                    "does not open with a comment that says what it returns"))
        error = _parse_error(text, path.suffix == ".ru")
        if error:
            problems.append(Problem(str(path.relative_to(root)), f"does not parse: {error}"))
    return problems


@lru_cache(maxsize=512)
def _parse_error(text: str, update: bool) -> str | None:
    """Why rdflib cannot parse this query or update, or None (kept per text: parsing them all takes seconds)."""
    try:
        (prepareUpdate if update else prepareQuery)(text)
    except Exception as exc:  # noqa: BLE001 - the SPARQL parser raises many types
        return str(exc)
    return None


def _todo_problems(root: Path) -> list[Problem]:
    """Every line of a knowledge file where a skeleton's TODO is left (``necessity new guideline``)."""
    return [Problem(where=f"{path.relative_to(root)}:{number}",
                    message="a TODO is left: fill it in (docs/authoring.md)")
            for path in resources.knowledge_files(root)
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if "TODO" in line]


def _shape_problems(graph: Graph, root: Path, shapes_name: str) -> list[Problem]:
    shapes = Graph().parse(resources.shapes_file(shapes_name, root))
    conforms, report, _ = validate(graph, shacl_graph=shapes, inference="none")
    if conforms:
        return []
    return [Problem(where=_where(focus, graph, root), message=str(report.value(result, SH.resultMessage)))
            for result in report.subjects(SH.focusNode, None)
            for focus in [report.value(result, SH.focusNode)]]


def _where(node: object, graph: Graph, root: Path) -> str:
    """``file:line subject`` for a node a knowledge file states (the line where its statement begins), else
    the subject alone; a blank node is placed by the named subject whose statement holds it."""
    node = _named_holder(node, graph)
    if not isinstance(node, URIRef):
        return "(a blank node)"
    curie = graph.namespace_manager.normalizeUri(node)
    starts = (f"{curie} ", f"<{node}> ")
    for path in resources.knowledge_files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith(starts):
                return f"{path.relative_to(root)}:{number} {curie}"
    return curie


def _named_holder(node: object, graph: Graph) -> object:
    """``node``, or for a blank node the first named subject found above it (a criterion for an item of its
    nec:anyOf list); the blank node itself when nothing named holds it."""
    seen: set[object] = set()
    while not isinstance(node, URIRef) and node not in seen:
        seen.add(node)
        holders = list(graph.subjects(None, node))  # type: ignore[arg-type]
        if not holders:
            break
        node = next((h for h in holders if isinstance(h, URIRef)), holders[0])
    return node


def _code_problems(graph: Graph, root: Path, queries: Queries) -> list[Problem]:
    curie = graph.namespace_manager.normalizeUri
    problems = [Problem(where=_where(row.focus, graph, root), message=str(row.message))  # type: ignore[union-attr]
                for name in queries.names("check", ".rq")
                for row in graph.query(queries.text(name))]
    hierarchy = read_hierarchy(resources.code_hierarchy_file(root))
    named = {node for triple in graph for node in triple
             if isinstance(node, URIRef) and str(node).startswith((str(ICD), str(ICD_GROUP)))}
    problems += [Problem(where=curie(node), message="names an ICD-10-CM class that is not in kg/codes/icd10cm.ttl.gz")
                 for node in sorted(named) if not hierarchy.contains(str(node))]
    return problems
