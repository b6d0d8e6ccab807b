"""Finding 8 of the security review (issue 15): blank nodes in a Turtle request made the JSON differ on
every run (rdflib draws blank node ids at random and they reached the facts' sources), which broke
byte-identical output and batch resume. Now blank nodes are renamed after what they say.
"""

from __future__ import annotations

import os
import subprocess
import sys

from rdflib import BNode, Graph

from reasoner.cli.options import knowledge as installed
from reasoner.ingest.turtle import skolemized
from reasoner.pipeline import review
from reasoner.render.json import render_json

TURTLE = """@prefix nec: <https://necessity.example/ns#> .
@prefix icd: <https://necessity.example/code/icd10cm/> .
@prefix loinc: <https://necessity.example/code/loinc/> .
@prefix cpt: <https://necessity.example/code/cpt/> .
@prefix req: <https://necessity.example/request/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
req:patient a nec:Patient ; nec:birthDate "1968-03-14"^^xsd:date ;
  nec:hasCondition [ a nec:Condition, icd:C92.00 ] , [ a nec:Condition, icd:D61.818 ] ;
  nec:hasLabResult [ a nec:LabResult, loinc:777-3 ; nec:value 45.0 ; nec:unit "10*3/uL" ;
                     nec:effectiveDate "2026-01-14"^^xsd:date ] ,
                   [ a nec:LabResult, loinc:777-3 ; nec:value 40.0 ; nec:unit "10*3/uL" ;
                     nec:effectiveDate "2026-01-13"^^xsd:date ] .
_:claim a nec:Claim ; nec:claimId "c1" ; nec:forPatient req:patient ; nec:claimUse nec:Preauthorization ;
    nec:serviceDate "2026-01-15"^^xsd:date .
[] a nec:ClaimLine, cpt:36561 ; nec:onClaim _:claim ; nec:sequence 1 ; nec:codeNotation "36561" ;
    nec:codeSystem "http://www.ama-assn.org/go/cpt"^^xsd:anyURI .
[] a nec:ClaimLine, cpt:77001 ; nec:onClaim _:claim ; nec:sequence 2 ; nec:codeNotation "77001" ;
    nec:codeSystem "http://www.ama-assn.org/go/cpt"^^xsd:anyURI .
"""


def test_the_same_turtle_request_gives_the_same_json_every_time(tmp_path):
    path = tmp_path / "blank.ttl"
    path.write_text(TURTLE, encoding="utf-8")
    outputs = {render_json(review(path, installed())) for _ in range(3)}
    assert len(outputs) == 1
    assert "_:b" in outputs.pop()


def test_and_in_new_processes_with_other_hash_seeds(tmp_path):
    path = tmp_path / "blank.ttl"
    path.write_text(TURTLE, encoding="utf-8")
    outputs = set()
    for seed in ("1", "2", "random"):
        done = subprocess.run([sys.executable, "-m", "reasoner", "determine", str(path), "--format", "json"],
                              capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_skolemized_names_follow_what_the_nodes_say_not_the_names_drawn():
    first, second = Graph().parse(data=TURTLE, format="turtle"), Graph().parse(data=TURTLE, format="turtle")
    assert {t for t in first if isinstance(t[0], BNode)} != {t for t in second if isinstance(t[0], BNode)}
    assert set(skolemized(first)) == set(skolemized(second))
    assert len(skolemized(first)) == len(first)
