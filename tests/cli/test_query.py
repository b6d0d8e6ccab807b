"""`necessity query`: SPARQL over the knowledge base and over a request's decided graph; named
queries; table, CSV and SPARQL JSON results; read-only and local."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from bundles import bundle, claim, write

SEED = str(Path(__file__).resolve().parents[2] / "examples" / "seed-aml-port.json")
NEC = "PREFIX nec: <https://necessity.example/ns#> "


def test_list_names_the_shipped_queries(run_cli):
    result = run_cli("query", "--list")
    assert result.exit_code == 0
    names = [line.split(":", 1)[0] for line in result.stdout.splitlines()]
    assert names == ["codes-a-guideline-supports", "line-statuses", "paths-from-code-to-citations",
                     "recommendations-citing-a-source"]


def test_named_query_over_the_knowledge_base_as_csv(run_cli):
    result = run_cli("query", "--file", "codes-a-guideline-supports", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    found = {(r["recommendation"].rsplit("/", 1)[1], r["role"], r["code"]) for r in rows}
    assert {("esmo-2015-port-for-iv-therapy", "supports", "36561"),
            ("esmo-2015-port-for-iv-therapy", "supports", "C1788"),
            ("cdc-2011-no-routine-antimicrobial-prophylaxis", "opposes", "J0690")} <= found


def test_paths_from_a_code_to_its_sources_as_sparql_json(run_cli):
    result = run_cli("query", "--file", "paths-from-code-to-citations", "--format", "json")
    document = json.loads(result.stdout)
    assert document["head"]["vars"] == ["code", "via", "kind", "guideline", "identifier"]
    paths = {(b["code"]["value"], b["identifier"]["value"]) for b in document["results"]["bindings"]}
    assert ("85007", "https://www.aapc.com/codes/coding-newsletters/my-pathology-lab-coding-alert/"
            "you-be-the-coder-beware-of-manual-diff-reflex-article") in paths
    assert ("J0690", "doi:10.1093/cid/cir257") in paths
    assert document["results"]["bindings"][0]["code"] == {"type": "literal", "value": "36430"}  # ordered by code


def test_ask_and_construct_in_a_table(run_cli):
    assert run_cli("query", "--query", NEC + "ASK { ?r a nec:Recommendation }").stdout == "true\n"
    assert run_cli("query", "--query", NEC + "ASK { ?r a nec:Nothing }").stdout == "false\n"
    query = NEC + "CONSTRUCT { ?r nec:cites ?c } WHERE { ?r a nec:Recommendation ; nec:citation ?c } LIMIT 2"
    lines = run_cli("query", "--query", query).stdout.splitlines()
    assert lines[0].split() == ["subject", "predicate", "object"] and lines[-1] == "(2 rows)"
    assert all(" nec:cites " in f" {line} " for line in lines[2:4])


def test_query_over_a_request_sees_the_decision(run_cli):
    result = run_cli("query", SEED, "--file", "line-statuses", "--format", "csv")
    statuses = {(r["code"], r["status"]) for r in csv.DictReader(io.StringIO(result.stdout))}
    assert {("85007", "coding-error"), ("P9037", "not-justified"), ("85610", "justified"), ("36561", "justified")} \
        <= statuses


def test_a_request_with_several_claims_needs_claim(run_cli, tmp_path):
    data = bundle(["36561"])
    data["entry"].append({"resource": claim(["99213"], claim_id="c2")})
    path = str(write(tmp_path, data))
    result = run_cli("query", path, "--file", "line-statuses")
    assert result.exit_code == 2 and "several claims (c1, c2): pick one with --claim" in result.stderr
    picked = run_cli("query", path, "--file", "line-statuses", "--claim", "c2", "--format", "csv")
    assert [r["code"] for r in csv.DictReader(io.StringIO(picked.stdout))] == ["99213"]


@pytest.mark.parametrize("args, words", [
    (("--query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"), "SERVICE is refused"),
    (("--query", "INSERT DATA { <urn:a> <urn:b> <urn:c> }"), "the query does not parse"),
    (("--query", "SELECT ?x WHERE {"), "the query does not parse"),
    (("--file", "no-such-query"), "no-such-query: cannot read the query"),
    (("--file", "line-statuses", "--query", "ASK {}"), "give exactly one of --file, --query or --list"),
])
def test_refused_queries_exit_2_with_one_message(run_cli, args, words):
    result = run_cli("query", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert words in result.stderr
