"""Turtle requests: the same facts as a FHIR Bundle, checked by the SHACL patient shapes; every
W3C negative Turtle syntax test is refused with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoner.cli.options import knowledge as installed
from reasoner.errors import InputError
from reasoner.ingest import read_request
from reasoner.pipeline import review

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
W3C_BAD = sorted((Path(__file__).resolve().parents[1] / "corpora" / "w3c-turtle-bad").glob("*.ttl"))


def test_turtle_seed_gives_the_same_determinations_as_the_fhir_seed():
    def summary(path):
        return [(d.sequence, d.code, d.status, tuple((c.id, c.state) for c in d.criteria), d.citations)
                for d in review(path, installed()).claims[0].determinations]
    assert summary(EXAMPLES / "seed-aml-port.ttl") == summary(EXAMPLES / "seed-aml-port.json")


def test_turtle_request_model():
    request = read_request(EXAMPLES / "seed-aml-port.ttl", installed())
    assert [c.code for c in request.conditions] == ["C92.00", "D61.818"]
    assert {lab.loinc: str(lab.value) for lab in request.labs}["777-3"] == "45.0"
    assert [(d.rxnorm, d.route) for d in request.drugs] == [("3041", "47625008"), ("3109", "47625008")]
    assert [(a.link_id, a.value) for a in request.answers] == [("lidocaine.route", "local-infiltration")]
    claim = request.claims[0]
    assert (claim.id, claim.use, claim.type, len(claim.lines)) == ("claim-11", "preauthorization", "institutional", 15)


def error_of_edited_seed(tmp_path, old, new):
    text = (EXAMPLES / "seed-aml-port.ttl").read_text()
    assert old in text
    path = tmp_path / "bad.ttl"
    path.write_text(text.replace(old, new))
    with pytest.raises(InputError) as caught:
        read_request(path, installed())
    return caught.value


def test_shapes_name_the_node_and_property(tmp_path):
    error = error_of_edited_seed(tmp_path, 'nec:value 45.0 ;', 'nec:value "45" ;')
    assert (error.resource, error.field) == ("req:plt", "nec:value")
    assert "xsd:decimal" in error.problem


def test_a_claim_needs_its_use(tmp_path):
    error = error_of_edited_seed(tmp_path, "nec:claimUse nec:Preauthorization ;", "")
    assert (error.resource, error.field) == ("req:claim", "nec:claimUse")


@pytest.mark.parametrize("path", W3C_BAD, ids=lambda p: p.stem)
def test_w3c_negative_syntax_tests_are_refused(path):
    with pytest.raises(InputError) as caught:
        read_request(path, installed())
    assert str(path) in str(caught.value)
