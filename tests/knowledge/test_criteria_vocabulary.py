"""The criteria vocabulary (``nec:analyte``, ``nec:onValue``, ``nec:asks`` with a comparator; ``nec:noneOf``,
``nec:onClaimOfType``, ``nec:notOnClaim``, ``nec:notCalled``, ``nec:billedCodeInForce``; ``nec:condition``,
``nec:drug`` with ``nec:byRoute``, ``nec:lineOnClaim``, ``nec:plannedService``, ``nec:anyOf``, ``nec:unknownIf``),
compiled to OWL by ``queries/compile/05-*.rq``: the compiled axioms are those that were written by hand, and the
refuted side of a threshold is the exact opposite of the met side."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.compare import isomorphic

from reasoner import resources
from reasoner.knowledge import parse_knowledge
from reasoner.vocab import NEC

OWL = Namespace("http://www.w3.org/2002/07/owl#")  # plain namespaces: pytest reads module attributes
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
HERE = Path(__file__).parent
HANDWRITTEN = Graph().parse(HERE / "handwritten-criteria.ttl")
HANDWRITTEN_FACTS = Graph().parse(HERE / "handwritten-fact-criteria.ttl")
AXIOMS = (OWL.equivalentClass, NEC.refutedWhen, NEC.unknownWhen)
# What an author writes on a fact of nec:anyOf or nec:unknownIf stays on the node the compile turns into the
# class expression: annotations, which the engines do not read.
VOCABULARY = {NEC.condition, NEC.drug, NEC.byRoute, NEC.lineOnClaim, NEC.plannedService, NEC.answered, NEC.answer}


@pytest.fixture(scope="module")
def compiled() -> Graph:
    return parse_knowledge(resources.data_root())


def axioms_of(graph: Graph, criterion: URIRef) -> Graph:
    """The criterion's class axioms: its owl:equivalentClass and nec:refutedWhen, with the blank nodes they
    reach."""
    out, stack = Graph(), []
    for axiom in AXIOMS:
        for expression in graph.objects(criterion, axiom):
            out.add((criterion, axiom, expression))
            stack.append(expression)
    seen: set = set()
    while stack:
        node = stack.pop()
        if node in seen or not isinstance(node, BNode):
            continue
        seen.add(node)
        for predicate, value in graph.predicate_objects(node):
            if predicate in VOCABULARY:
                continue
            out.add((node, predicate, value))
            stack.append(value)
    return out


CRITERIA = sorted({s for s, p, _ in HANDWRITTEN if p in AXIOMS}, key=str)
FACT_CRITERIA = sorted({s for s, p, _ in HANDWRITTEN_FACTS if p in AXIOMS}, key=str)


def test_the_handwritten_axioms_cover_every_kind():
    assert len(CRITERIA) == 20 and len(FACT_CRITERIA) == 12


@pytest.mark.parametrize("criterion", CRITERIA, ids=lambda c: str(c).rsplit("/", 1)[1])
def test_compiled_axioms_are_the_handwritten_ones(compiled, criterion):
    assert isomorphic(axioms_of(compiled, criterion), axioms_of(HANDWRITTEN, criterion)), \
        axioms_of(compiled, criterion).serialize(format="turtle")


@pytest.mark.parametrize("criterion", FACT_CRITERIA, ids=lambda c: str(c).rsplit("/", 1)[1])
def test_compiled_fact_axioms_are_the_handwritten_ones(compiled, criterion):
    """The class axioms and the unknowns of the criteria on diagnoses, drugs, claim lines and services."""
    assert isomorphic(axioms_of(compiled, criterion), axioms_of(HANDWRITTEN_FACTS, criterion)), \
        axioms_of(compiled, criterion).serialize(format="turtle")


def test_no_handwritten_threshold_or_refutation_is_left_in_kg():
    """What the vocabulary compiles is never written by hand (comments aside)."""
    found = [f"{path}:{number}" for path in sorted((resources.data_root() / "kg").rglob("*.ttl"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"owl:withRestrictions|nec:refutedWhen", line.split("#", 1)[0])]
    assert found == []


def _holds(facet: URIRef, bound: Decimal, value: Decimal) -> bool:
    """What an XSD facet of a datatype restriction says of a value (XML Schema 1.1 part 2, 4.3)."""
    return {XSD.minInclusive: value >= bound, XSD.minExclusive: value > bound,
            XSD.maxInclusive: value <= bound, XSD.maxExclusive: value < bound}[facet]


ONTOLOGY = Graph().parse(resources.data_root() / "ontology" / "necessity.ttl")
COMPARATORS = sorted(ONTOLOGY.subjects(None, NEC.Comparator), key=str)


def test_the_ontology_has_the_four_comparators():
    assert {str(c).rsplit("#", 1)[1] for c in COMPARATORS} == {"below", "atMost", "atLeast", "above"}


@pytest.mark.parametrize("comparator", COMPARATORS, ids=lambda c: str(c).rsplit("#", 1)[1])
@given(bound=st.decimals(-1000, 1000, places=1), value=st.decimals(-1000, 1000, places=1))
def test_exactly_one_side_holds_for_every_value(comparator, bound, value):
    """A value meets the criterion or refutes it, never both and never neither: no range of values is
    left unknown by a typo in the opposite facet."""
    met = _holds(ONTOLOGY.value(comparator, NEC.metFacet), bound, value)  # type: ignore[arg-type]
    refuted = _holds(ONTOLOGY.value(comparator, NEC.refutedFacet), bound, value)  # type: ignore[arg-type]
    assert met != refuted

