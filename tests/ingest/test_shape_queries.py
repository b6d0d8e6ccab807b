"""The patient shapes compiled to one ASK query give pyshacl's answer (conforms or not): on every example's
facts, on generated requests, and on graphs broken one constraint at a time: each property of each shape's
targets removed, doubled, given a value of another kind, and a node given a second class of its code system."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from bundles import write
from generated import generated_requests
from pyshacl import validate
from rdflib import RDF, XSD, Graph, Literal, URIRef

from reasoner import resources
from reasoner.cli.options import knowledge as installed
from reasoner.errors import InputError, KnowledgeError
from reasoner.facts import claim_facts
from reasoner.ingest import read_request
from reasoner.ingest.shape_queries import SH, compile_shapes
from reasoner.vocab import ICD, NEC

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = [*sorted((ROOT / "examples").glob("*.json")), ROOT / "examples" / "seed-aml-port.ttl"]
SHAPES = installed().shapes


def pyshacl_conforms(graph: Graph) -> bool:
    return validate(graph, shacl_graph=SHAPES.graph, advanced=False, allow_warnings=False)[0]


def facts(path: Path) -> Graph:
    request = read_request(path, installed())
    return claim_facts(request, request.claims[0], installed().tables)


def broken(graph: Graph, step: int = 1) -> list[tuple[str, Graph]]:
    """The graph broken one way at a time, for every property every shape constrains on the nodes it targets: every
    ``step``-th of those ways (only those graphs are built)."""
    paths = sorted({p for p in SHAPES.graph.objects(None, SH.path)}, key=str)
    foreign = [Literal("text"), Literal("3", datatype=XSD.integer), Literal("2.5", datatype=XSD.decimal),
               Literal("2020-01-01", datatype=XSD.date), URIRef("https://example.org/other"), ICD["C92.00"],
               NEC.RouteNotGiven, Literal("true", datatype=XSD.boolean), Literal("active")]
    ways = []
    for subject, path in itertools.product(sorted(set(graph.subjects()), key=str), paths):
        if (subject, path, None) not in graph:
            continue
        ways.append((f"{subject} without {path}", subject, path, False, None))
        for value in foreign:
            ways.append((f"{subject} {path} also {value}", subject, path, True, value))
            ways.append((f"{subject} {path} only {value}", subject, path, False, value))
    return [(name, _broken(graph, subject, path, keep, value)) for name, subject, path, keep, value in ways[::step]]


def _broken(graph: Graph, subject: URIRef, path: URIRef, keep: bool, value: object) -> Graph:
    """``graph`` with the values of ``path`` on ``subject`` kept or removed, and ``value`` added (unless None)."""
    changed = Graph()
    changed += graph
    if not keep:
        changed.remove((subject, path, None))
    if value is not None:
        changed.add((subject, path, value))  # type: ignore[arg-type]
    return changed


# pyshacl takes about 50 ms a graph here: the README's command tries every twelfth variant of the seed (19 ways to
# break each property, 12 prime to 19: every way is still tried, on some 16 properties each), CI all of them on every
# example.
@pytest.mark.parametrize("path, step", [
    (ROOT / "examples" / "seed-aml-port.json", 12),
    *(pytest.param(p, 1, marks=pytest.mark.slow) for p in REQUESTS)], ids=lambda v: getattr(v, "name", str(v)))
def test_the_query_and_pyshacl_agree_on_every_example_and_its_broken_variants(path, step):
    graph = facts(path)
    assert not SHAPES.violated(graph) and pyshacl_conforms(graph)
    variants = broken(graph, step)
    assert len(variants) > 100
    disagree = [name for name, variant in variants if SHAPES.violated(variant) == pyshacl_conforms(variant)]
    assert disagree == []
    assert sum(SHAPES.violated(v) for _, v in variants) > 40  # the variants do break the shapes


def test_the_query_and_pyshacl_agree_on_generated_requests(tmp_path):
    for number, data in enumerate(generated_requests(500)[:40]):
        try:
            graph = facts(write(tmp_path, data, f"generated-{number}.json"))
        except InputError:
            continue
        assert SHAPES.violated(graph) == (not pyshacl_conforms(graph)), f"generated-{number}.json"


def test_an_ill_typed_literal_is_left_to_pyshacl():
    graph = facts(REQUESTS[0])
    claim = next(graph.subjects(RDF.type, NEC.Claim))
    graph.set((claim, NEC.serviceDate, Literal("2026-13-45", datatype=XSD.date)))
    assert SHAPES.violated(graph) and not pyshacl_conforms(graph)


def test_a_constraint_the_compiler_does_not_know_leaves_the_shapes_to_pyshacl():
    shapes = Graph().parse(resources.shapes_file("patient"))
    shape = next(shapes.subjects(SH.targetClass, NEC.Patient))
    shapes.add((shape, SH.closed, Literal(True)))
    compiled = compile_shapes(shapes)
    assert compiled.ask is None and "closed" in (compiled.refusal or "")
    assert compiled.violated(facts(REQUESTS[0]))


def test_the_installed_shapes_compile():
    assert SHAPES.ask is not None and SHAPES.refusal is None
    with pytest.raises(KnowledgeError):
        from reasoner.ingest.shape_queries import _Names, _property_violations

        text = "@prefix sh: <http://www.w3.org/ns/shacl#> . [] sh:path ( <a:b> ) ."
        bad = Graph().parse(data=text, format="turtle")
        list(_property_violations(bad, next(bad.subjects(SH.path, None)), "?focus", _Names()))
