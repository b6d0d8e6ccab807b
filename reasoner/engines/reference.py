"""The reference engine: owlrl's OWL 2 RL deductive closure, with owlrl's extension that evaluates
datatype restrictions with facets (numeric thresholds). It defines what is right; it is slow.
"""

from __future__ import annotations

import owlrl
from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

Triple = tuple[Node, Node, Node]

_ASSERTED = URIRef("urn:necessity:asserted")
_INFERRED = URIRef("urn:necessity:inferred")


def entailments(knowledge: Graph, facts: Graph) -> Graph:
    """What OWL 2 RL derives from the knowledge and the facts together, kept apart from them: owlrl reads
    the union of the asserted graph and what it has inferred so far, and writes only to the inferred
    graph (``destination=``). A few triples may repeat asserted ones that owlrl derives again."""
    dataset = Dataset(default_union=True)
    asserted = dataset.graph(_ASSERTED)
    for source in (knowledge, facts):
        for triple in source:
            asserted.add(triple)
    closure = owlrl.DeductiveClosure(owlrl.OWLRL_Extension, rdfs_closure=False, axiomatic_triples=False,
                                     datatype_axioms=False)
    closure.expand(dataset, destination=_INFERRED)
    inferred = Graph()
    for triple in dataset.graph(_INFERRED):
        inferred.add(triple)
    return inferred
