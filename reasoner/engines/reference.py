"""The reference engine: owlrl's OWL 2 RL deductive closure, with owlrl's extension that evaluates
datatype restrictions with facets (numeric thresholds). It defines what is right; it is slow.
"""

from __future__ import annotations

import owlrl
from rdflib import Graph

from reasoner.vocab import bind_prefixes


def infer(knowledge: Graph, facts: Graph) -> Graph:
    """Return a new graph: the knowledge, the facts, and everything OWL 2 RL derives from them."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    for source in (knowledge, facts):
        for triple in source:
            graph.add(triple)
    closure = owlrl.DeductiveClosure(owlrl.OWLRL_Extension, rdfs_closure=False, axiomatic_triples=False,
                                     datatype_axioms=False)
    closure.expand(graph)
    return graph
