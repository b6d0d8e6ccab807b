"""Each OWL 2 RL rule the fast engine implements, named after the W3C rule id (OWL 2 Profiles, section
4.3), proved on a small ontology: the fast engine derives the rule's conclusion, and derives exactly
what the reference engine (owlrl) derives about the request's individuals."""

from __future__ import annotations

import inspect
import sys

import pytest
from rdflib import OWL, RDF, Graph, Literal, Namespace
from rdflib.term import Node

from reasoner.cli.options import knowledge as installed
from reasoner.engines import FastEngine, ReferenceEngine, fast
from reasoner.errors import KnowledgeError, ReasoningError
from reasoner.knowledge import close_knowledge, datatype_supertypes

EX = Namespace("https://example.org/tbox#")
A = Namespace("https://example.org/abox/")
PREFIXES = """@prefix ex: <https://example.org/tbox#> . @prefix a: <https://example.org/abox/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

# The OWL construct that calls for each rule; the knowledge base's own use decides which rules it needs.
RULES_OF_CONSTRUCT: dict[Node, tuple[str, ...]] = {
    RDF.type: ("cax-sco",), OWL.equivalentClass: ("cax-eqc1", "cax-eqc2"),
    OWL.intersectionOf: ("cls-int1", "cls-int2"), OWL.unionOf: ("cls-uni",),
    OWL.someValuesFrom: ("cls-svf1", "cls-svf2"), OWL.hasValue: ("cls-hv1", "cls-hv2"),
    OWL.onDatatype: ("dt-restriction",), OWL.oneOf: ("cls-oo",),
    Namespace("http://www.w3.org/2000/01/rdf-schema#").domain: ("prp-dom",),
    Namespace("http://www.w3.org/2000/01/rdf-schema#").range: ("prp-rng",),
    Namespace("http://www.w3.org/2000/01/rdf-schema#").subPropertyOf: ("prp-spo1",),
    OWL.equivalentProperty: ("prp-eqp1", "prp-eqp2"), OWL.inverseOf: ("prp-inv1", "prp-inv2"),
    OWL.propertyChainAxiom: ("prp-spo2",), OWL.FunctionalProperty: ("prp-fp",),
    OWL.InverseFunctionalProperty: ("prp-ifp",), OWL.SymmetricProperty: ("prp-symp",),
    OWL.TransitiveProperty: ("prp-trp",),
}


def closures(tbox: str, abox: str) -> tuple[set, set]:
    """The triples about the individuals of ``abox`` that each engine derives with ``tbox``: (fast, reference)."""
    knowledge = Graph().parse(data=PREFIXES + tbox, format="turtle")
    facts = Graph().parse(data=PREFIXES + abox, format="turtle")
    closed = close_knowledge(knowledge)
    quick = set(FastEngine(fast.compile_rules(closed, datatype_supertypes())).entail(facts))
    slow = set(ReferenceEngine(knowledge, frozenset(closed)).entail(facts)) - set(facts)
    return about_individuals(quick), about_individuals(slow)


def about_individuals(triples: set) -> set:
    """The derived triples whose subject is an individual of the request (the a: namespace), sameAs x x aside."""
    return {(s, p, o) for s, p, o in triples if str(s).startswith(str(A)) and not (p == OWL.sameAs and s == o)}


def derives(tbox: str, abox: str, *expected: tuple) -> set:
    """Assert both engines derive ``expected`` and the same triples about the individuals; return them."""
    quick, slow = closures(tbox, abox)
    for triple in expected:
        assert triple in quick, f"the fast engine misses {triple}"
    assert quick == slow, f"fast only: {quick - slow}; reference only: {slow - quick}"
    return quick


def test_cax_sco():
    derives("ex:B rdfs:subClassOf ex:C . ex:C rdfs:subClassOf ex:D .", "a:x a ex:B .",
            (A.x, RDF.type, EX.C), (A.x, RDF.type, EX.D))


def test_cax_sco_through_the_request_hierarchy_slice():
    # The request brings its code's ancestors (as the ICD-10-CM slice does); the knowledge names the top.
    derives("ex:Top rdfs:subClassOf ex:Named .", "ex:Leaf rdfs:subClassOf ex:Mid . ex:Mid rdfs:subClassOf ex:Top . "
            "a:x a ex:Leaf .", (A.x, RDF.type, EX.Top), (A.x, RDF.type, EX.Named))


def test_cax_eqc1():
    derives("ex:B owl:equivalentClass ex:C .", "a:x a ex:B .", (A.x, RDF.type, EX.C))


def test_cax_eqc2():
    derives("ex:B owl:equivalentClass ex:C .", "a:x a ex:C .", (A.x, RDF.type, EX.B))


def test_cls_int1():
    derives("ex:BC owl:intersectionOf ( ex:B ex:C ) .", "a:x a ex:B, ex:C . a:y a ex:B .", (A.x, RDF.type, EX.BC))
    assert (A.y, RDF.type, EX.BC) not in closures("ex:BC owl:intersectionOf ( ex:B ex:C ) .", "a:y a ex:B .")[0]


def test_cls_int2():
    derives("ex:BC owl:intersectionOf ( ex:B ex:C ) .", "a:x a ex:BC .", (A.x, RDF.type, EX.B), (A.x, RDF.type, EX.C))


def test_cls_uni():
    derives("ex:BC owl:unionOf ( ex:B ex:C ) .", "a:x a ex:C .", (A.x, RDF.type, EX.BC))


def test_cls_svf1():
    tbox = "ex:R owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:p ; owl:someValuesFrom ex:C ] ."
    derives(tbox, "a:x ex:p a:y . a:y a ex:C .", (A.x, RDF.type, EX.R))
    derives(tbox, "a:y a ex:C . a:x ex:p a:y .", (A.x, RDF.type, EX.R))  # the filler's type may come first
    assert (A.x, RDF.type, EX.R) not in closures(tbox, "a:x ex:p a:y . a:y a ex:D .")[0]


def test_cls_svf2():
    derives("ex:R owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:p ; owl:someValuesFrom owl:Thing ] .",
            "a:x ex:p a:y .", (A.x, RDF.type, EX.R))


def test_cls_hv1():
    derives("ex:R owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:p ; owl:hasValue a:v ] .",
            "a:x a ex:R .", (A.x, EX.p, A.v))


def test_cls_hv2():
    tbox = 'ex:R owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:p ; owl:hasValue "19" ] .'
    derives(tbox, 'a:x ex:p "19" .', (A.x, RDF.type, EX.R))
    assert (A.x, RDF.type, EX.R) not in closures(tbox, 'a:x ex:p "21" .')[0]


@pytest.mark.parametrize(("value", "inside"), [("19.9", True), ("20", False), ("20.0", False), ("-5", True)])
def test_dt_restriction(value, inside):
    # owlrl's extension: a literal whose value satisfies a datatype restriction's facets is of that datatype.
    tbox = ("ex:Low owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:value ; owl:someValuesFrom "
            "[ a rdfs:Datatype ; owl:onDatatype xsd:decimal ; owl:withRestrictions ( [ xsd:maxExclusive 20 ] ) ] ] .")
    quick, slow = closures(tbox, f'a:x ex:value "{value}"^^xsd:decimal .')
    assert ((A.x, RDF.type, EX.Low) in quick) is inside
    assert quick == slow


def test_dt_restriction_accepts_subtypes_of_its_base():
    tbox = ("ex:Adult owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:age ; owl:someValuesFrom "
            "[ a rdfs:Datatype ; owl:onDatatype xsd:decimal ; owl:withRestrictions ( [ xsd:minInclusive 18 ] ) ] ] .")
    derives(tbox, "a:x ex:age 18 .", (A.x, RDF.type, EX.Adult))


def test_cls_oo():
    # cls-oo has no premise about the request: it runs once, when the knowledge base is closed.
    knowledge = Graph().parse(data=PREFIXES + "ex:Use owl:oneOf ( ex:before ex:after ) .", format="turtle")
    assert (EX.before, RDF.type, EX.Use) in close_knowledge(knowledge)


def test_prp_dom():
    derives("ex:p rdfs:domain ex:C .", "a:x ex:p a:y .", (A.x, RDF.type, EX.C))


def test_prp_rng():
    derives("ex:p rdfs:range ex:C .", "a:x ex:p a:y .", (A.y, RDF.type, EX.C))


def test_prp_spo1():
    derives("ex:p rdfs:subPropertyOf ex:q .", "a:x ex:p a:y .", (A.x, EX.q, A.y))


def test_prp_eqp1():
    derives("ex:p owl:equivalentProperty ex:q .", "a:x ex:p a:y .", (A.x, EX.q, A.y))


def test_prp_eqp2():
    derives("ex:p owl:equivalentProperty ex:q .", "a:x ex:q a:y .", (A.x, EX.p, A.y))


def test_prp_inv1():
    derives("ex:p owl:inverseOf ex:q .", "a:x ex:p a:y .", (A.y, EX.q, A.x))


def test_prp_inv2():
    derives("ex:p owl:inverseOf ex:q .", "a:x ex:q a:y .", (A.y, EX.p, A.x))


def test_prp_spo2():
    # The knowledge's own chain: two lines on one claim are on the same claim (onClaim o hasLine).
    derives("ex:sameClaimAs owl:propertyChainAxiom ( ex:onClaim ex:hasLine ) . ex:hasLine owl:inverseOf ex:onClaim .",
            "a:one ex:onClaim a:claim . a:two ex:onClaim a:claim .",
            (A.one, EX.sameClaimAs, A.two), (A.two, EX.sameClaimAs, A.one), (A.one, EX.sameClaimAs, A.one))


def test_prp_spo2_of_three_links():
    derives("ex:r owl:propertyChainAxiom ( ex:p ex:q ex:s ) .", "a:w ex:p a:x . a:y ex:s a:z . a:x ex:q a:y .",
            (A.w, EX.r, A.z))


def test_prp_symp():
    derives("ex:p a owl:SymmetricProperty .", "a:x ex:p a:y .", (A.y, EX.p, A.x))


def test_prp_trp():
    derives("ex:p a owl:TransitiveProperty .", "a:x ex:p a:y . a:y ex:p a:z . a:z ex:p a:w .",
            (A.x, EX.p, A.z), (A.x, EX.p, A.w))


@pytest.mark.parametrize("kind", ["FunctionalProperty", "InverseFunctionalProperty"])
def test_prp_fp(kind):
    # Two values of a functional property make them one individual (owl:sameAs). The fast engine does not
    # reason with equality: it refuses, naming the property, rather than give a partial closure.
    abox = "a:x ex:p a:y, a:z ." if kind == "FunctionalProperty" else "a:y ex:p a:x . a:z ex:p a:x ."
    knowledge = Graph().parse(data=PREFIXES + f"ex:p a owl:{kind} .", format="turtle")
    rules = fast.compile_rules(close_knowledge(knowledge), datatype_supertypes())
    with pytest.raises(ReasoningError, match="functional property https://example.org/tbox#p.*--engine reference"):
        fast.infer(rules, Graph().parse(data=PREFIXES + abox, format="turtle"))
    assert fast.infer(rules, Graph().parse(data=PREFIXES + "a:x ex:p a:y .", format="turtle")) == set()


test_prp_ifp = test_prp_fp


@pytest.mark.parametrize(("axiom", "named"), [
    ("ex:R owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:p ; owl:allValuesFrom ex:C ] .", "cls-avf"),
    ("ex:R owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:p ; owl:maxCardinality 1 ] .", "cls-maxc1/2"),
    ("ex:B owl:disjointWith ex:C .", "cax-dw"),
    ("ex:N owl:equivalentClass [ owl:complementOf ex:C ] .", "cls-com"),
])
def test_a_construct_outside_the_rules_is_refused_when_compiling(axiom, named):
    knowledge = Graph().parse(data=PREFIXES + axiom, format="turtle")
    with pytest.raises(KnowledgeError, match=f"does not implement the OWL 2 RL rules of .*{named}.*--engine reference"):
        fast.compile_rules(close_knowledge(knowledge), datatype_supertypes())


def test_a_facet_outside_the_rules_is_refused_when_compiling():
    axiom = ("ex:Short owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:text ; owl:someValuesFrom "
             "[ a rdfs:Datatype ; owl:onDatatype xsd:string ; owl:withRestrictions ( [ xsd:maxLength 3 ] ) ] ] .")
    with pytest.raises(KnowledgeError, match="facet http://www.w3.org/2001/XMLSchema#maxLength"):
        knowledge = Graph().parse(data=PREFIXES + axiom, format="turtle")
        fast.compile_rules(close_knowledge(knowledge), datatype_supertypes())


def test_every_rule_the_knowledge_uses_has_its_test():
    graph = installed().graph
    used = {construct for construct in RULES_OF_CONSTRUCT
            if any(graph.triples((None, construct, None))) or any(graph.triples((None, RDF.type, construct)))}
    rules = sorted({rule for construct in used for rule in RULES_OF_CONSTRUCT[construct]})
    tests = {name for name, _ in inspect.getmembers(sys.modules[__name__], inspect.isfunction)}
    assert {"cax-sco", "cls-int1", "cls-svf1", "cls-hv1", "prp-spo2", "dt-restriction"} <= set(rules)
    missing = [rule for rule in rules if f"test_{rule.replace('-', '_')}" not in tests]
    assert missing == [], f"rules the knowledge uses without a test: {missing}"


def test_literals_are_never_subjects_of_what_the_fast_engine_derives():
    quick, _ = closures("ex:p rdfs:range ex:C .", 'a:x ex:p "text" .')
    assert not any(isinstance(s, Literal) for s, _, _ in quick)


def test_cls_svf1_when_the_filler_type_is_derived_after_the_edge():
    # the filler's type comes from a rule that fires after the edge was seen (the filler-side lookup)
    derives("ex:p rdfs:range ex:C . "
            "ex:R owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:p ; owl:someValuesFrom ex:C ] .",
            "a:x ex:p a:y .", (A.x, RDF.type, EX.R))


def test_cls_int1_when_a_component_is_derived_later():
    derives("ex:BC owl:intersectionOf ( ex:B ex:C ) . ex:p rdfs:domain ex:C .",
            "a:x a ex:B . a:x ex:q a:z . a:x ex:p a:y .", (A.x, RDF.type, EX.BC))


def test_cls_svf1_with_an_individual_of_the_knowledge():
    # the knowledge's own individuals keep their types: the filler matches a value the request names
    derives("ex:Use owl:oneOf ( ex:before ex:after ) . "
            "ex:R owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:use ; owl:someValuesFrom ex:Use ] .",
            "a:x ex:use ex:before .", (A.x, RDF.type, EX.R))


def test_prp_spo2_through_an_edge_of_the_knowledge():
    derives("ex:r owl:propertyChainAxiom ( ex:p ex:q ) . ex:k ex:q ex:m .", "a:x ex:p ex:k .", (A.x, EX.r, EX.m))


def test_dt_restriction_in_a_union_and_a_named_range():
    tbox = ("ex:Out owl:equivalentClass [ owl:unionOf ( "
            "[ a rdfs:Datatype ; owl:onDatatype xsd:decimal ; owl:withRestrictions ( [ xsd:maxExclusive 10 ] ) ] "
            "[ a rdfs:Datatype ; owl:onDatatype xsd:decimal ; owl:withRestrictions ( [ xsd:minExclusive 400 ] ) ] "
            ") ] . "
            "ex:Odd owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:value ; owl:someValuesFrom ex:Out ] .")
    derives(tbox, 'a:x ex:value "5"^^xsd:decimal .', (A.x, RDF.type, EX.Odd))
    quick, slow = closures(tbox, 'a:x ex:value "50"^^xsd:decimal .')
    assert (A.x, RDF.type, EX.Odd) not in quick and quick == slow


def test_plain_literals_and_undeclared_ranges_are_as_in_owlrl():
    tbox = ("ex:S owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:text ; owl:someValuesFrom xsd:string ] . "
            "ex:L owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:value ; owl:someValuesFrom "
            "[ owl:onDatatype xsd:decimal ; owl:withRestrictions ( [ xsd:maxExclusive 10 ] ) ] ] .")
    quick, slow = closures(tbox, 'a:x ex:text "plain" ; ex:value "5"^^xsd:decimal .')
    assert quick == slow
