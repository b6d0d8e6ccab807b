"""A focused closure: the fast engine leaves out the memberships in a recommendation's own class expressions
while no claim line bears on it, so inference follows the claim's codes, not the size of the knowledge; and
what it leaves out is only about recommendations the claim does not name, so every determination is the
same as with the whole closure."""

from __future__ import annotations

from pathlib import Path

import pytest
from generated import each_readable
from rdflib import RDF, Graph

from reasoner.cli.options import knowledge as installed
from reasoner.determine import decide
from reasoner.engines import fast
from reasoner.facts import claim_facts
from reasoner.ingest import read_request
from reasoner.knowledge import close_knowledge, datatype_supertypes
from reasoner.sources import split_by_source
from reasoner.vocab import NEC

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [*sorted((ROOT / "examples").glob("*.json")), ROOT / "examples" / "seed-aml-port.ttl"]


def closures(path: Path) -> tuple[list, set, set]:
    """The facts of the request's first claim, and what the fast engine derives from them, whole and focused."""
    knowledge = installed()
    request = read_request(path, knowledge)
    facts = claim_facts(request, request.claims[0], knowledge.tables)
    engine = knowledge.engine("fast")
    return facts, set(engine.entail(facts)), set(engine.entail(facts, focused=True))


def decided(triples: list) -> list:
    knowledge = installed()
    with knowledge.store.claim(triples) as graph:
        return decide(graph, knowledge.queries)


def left_out_only_about_other_sources(facts: list, whole: set, focused: set) -> None:
    """Assert that every triple the focused closure leaves out is a membership in the own class expression of a
    source no line bears on, a triple naming such a source as its value, or a triple of the closed knowledge."""
    knowledge = installed()
    owners = knowledge.rules.owners
    bearing = set(knowledge.store.sources_for([*facts, *whole]))
    for s, p, o in whole - focused:
        about = owners.get(o, o)
        assert (about in set(owners.values()) and about not in bearing) or (s, p, o) in knowledge.closed, (s, p, o)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_a_focused_closure_decides_every_example_as_the_whole_one(path):
    facts, whole, focused = closures(path)
    assert focused <= whole and len(focused) < len(whole)
    left_out_only_about_other_sources(facts, whole, focused)
    assert decided([*facts, *focused]) == decided([*facts, *whole])


def test_a_focused_closure_decides_generated_requests_as_the_whole_one(tmp_path):
    compared = each_readable(tmp_path, closures)
    for name, (facts, whole, focused) in compared:
        left_out_only_about_other_sources(facts, whole, focused)
        assert decided([*facts, *focused]) == decided([*facts, *whole]), name
    assert len(compared) >= 50


def test_every_recommendation_of_the_knowledge_can_be_left_out():
    # What makes inference flat as the recommendations grow: a recommendation whose class expressions entail
    # something beyond themselves is always closed, and its copies would make every claim slower.
    knowledge = installed()
    recommendations = {s for s, p, o in knowledge.asserted if p == RDF.type and o == NEC.Recommendation}
    assert recommendations and recommendations <= set(knowledge.rules.owners.values())


def test_the_memberships_kept_are_those_of_the_recommendations_on_the_claims_codes():
    knowledge = installed()
    owners = knowledge.rules.owners
    facts, whole, focused = closures(ROOT / "examples" / "seed-aml-port.json")
    bearing = set(knowledge.store.sources_for([*facts, *whole]))

    def members(triples: set) -> set:
        return {owners[o] for _, p, o in triples if p == RDF.type and o in owners}

    assert members(focused) == members(whole) & bearing and members(focused)
    assert members(whole) - bearing, "the seed's patient meets recommendations on codes the claim does not bill"


TBOX = """@prefix ex: <https://example.org/tbox#> . @prefix nec: <https://necessity.example/ns#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:rec a nec:Recommendation ; nec:supportsCode ex:Code ;
    nec:patientClass [ owl:intersectionOf ( ex:Sick ex:Old ) {extra} ] .
"""


def focusable(extra: str) -> set:
    knowledge = Graph().parse(data=TBOX.replace("{extra}", extra), format="turtle")
    closed = close_knowledge(knowledge)
    split = split_by_source(tuple(knowledge), tuple(t for t in closed if t not in knowledge))
    rules = fast.compile_rules(closed, datatype_supertypes(), split)
    return set(rules.owners.values())


def test_a_recommendation_whose_class_entails_a_named_class_is_always_closed():
    assert {str(s) for s in focusable("")} == {"https://example.org/tbox#rec"}
    # A member of the patient class would be an ex:Frail, which another recommendation may read.
    assert focusable("; rdfs:subClassOf ex:Frail") == set()
    # A value restriction naming something else than the recommendation itself.
    assert focusable("; rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ex:flag ; owl:hasValue ex:x ]") == set()
