"""The SHACL patient shapes accept every example's facts graph and name what breaks them."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal

from reasoner.cli.options import knowledge as installed
from reasoner.errors import InputError
from reasoner.facts import claim_facts
from reasoner.ingest import read_request
from reasoner.ingest.shapes import check_patient_graph
from reasoner.vocab import NEC, REQ

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.json"))


def facts_of(path):
    request = read_request(path, installed())
    return claim_facts(request, request.claims[0], installed().tables)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_facts_of_every_example_fit_the_shapes(path):
    check_patient_graph(facts_of(path), str(path), installed().shapes)


def test_a_lab_result_without_its_unit_is_named():
    graph = facts_of(EXAMPLES[-1])
    lab = graph.value(REQ.patient, NEC.hasLabResult)
    graph.remove((lab, NEC.unit, None))
    with pytest.raises(InputError) as caught:
        check_patient_graph(graph, "request.json", installed().shapes)
    assert (caught.value.path, caught.value.field) == ("request.json", "nec:unit")
    assert caught.value.resource.startswith("Observation/")
    assert "a lab result needs one UCUM unit" in caught.value.problem


def test_an_answer_needs_exactly_one_value():
    graph = facts_of(EXAMPLES[0])
    answer = graph.value(REQ.patient, NEC.hasAnswer)
    graph.add((answer, NEC.stringAnswer, Literal("also this")))
    with pytest.raises(InputError) as caught:
        check_patient_graph(graph, "request.json", installed().shapes)
    assert caught.value.resource.startswith("QuestionnaireResponse/")
    assert "an answer needs exactly one value" in caught.value.problem
