"""What a claim calls a line, matched against the knowledge's claim text classes when the line's facts are
built: the patterns are a table of the knowledge, compiled once, case-insensitive; a pattern that does not
compile is an error of the knowledge that names it."""

from __future__ import annotations

import pytest
from rdflib import RDFS, Graph

from reasoner.cli.options import knowledge as installed
from reasoner.errors import KnowledgeError
from reasoner.ingest.tables import _text_classes


def labels(text: str) -> list[str]:
    graph = installed().graph
    return sorted(str(graph.value(c, RDFS.label)) for c in installed().tables.text_classes_of(text))


def test_the_knowledge_patterns_classify_what_a_claim_calls_a_line():
    assert labels("ABO/Rh typing") == ["claim lines called blood typing"]
    assert labels("CBC WITH MANUAL DIFFERENTIAL") == ["claim lines called a smear or a differential"]
    assert labels("Lidocaine local infiltration") == ["claim lines called local anesthesia"]
    assert labels("Insertion of tunneled central venous port") == []
    assert labels("laboratory") == []  # "abo" inside a word is not ABO


def test_a_pattern_that_does_not_compile_is_an_error_naming_it():
    graph = Graph().parse(format="turtle", data="""@prefix nec: <https://necessity.example/ns#> .
        [] a nec:ClaimTextClass ; nec:textPattern "blood (typ" .""")
    with pytest.raises(KnowledgeError, match=r"the claim text pattern 'blood \(typ' is not a regular expression"):
        _text_classes(graph, installed().queries)
