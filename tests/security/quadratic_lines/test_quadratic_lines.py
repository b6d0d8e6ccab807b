"""Finding 3 of the security review (issue 15): a review cost quadratic time and memory in its lines.

150 lines took 2.1 s, 600 took 23.7 s and 553 MB, 3,000 were killed after 300 s at 8.5 GB. The cause was
the property chain nec:sameClaimAs (a triple for every pair of lines), decision queries that looked
through every outcome once per line (EXISTS over a join, which Oxigraph plans without the line bound),
and evidence that named every other line on every line. Now what is on the same claim is asked
through the claim, the decision sums each line's outcomes up in one pass, and evidence names the first
line of a code with the count of the others. These tests count the work, which does not depend on
the machine, and bound the time loosely; a claim of more than 999 lines is refused.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from bundles import bundle, write

from reasoner.cli.options import knowledge as installed
from reasoner.determine import decide
from reasoner.errors import InputError
from reasoner.ingest import read_request
from reasoner.ingest.model import MAX_CLAIM_LINES
from reasoner.pipeline import claim_triples, review

# Codes whose rules look at the other lines of the claim: add-ons and their primaries, devices, NCCI pairs.
CODES = ["36561", "77001", "76937", "85025", "85007", "85027", "85610", "J0690", "P9035", "99152", "99153",
         "C1788", "C1894", "86900"]


def lines_request(folder: Path, count: int) -> Path:
    """A request of ``count`` lines cycling through CODES, for a patient with AML and low counts."""
    lines = [CODES[i % len(CODES)] for i in range(count)]
    return write(folder, bundle(lines, conditions=("C92.00",), labs={"plt": 45, "wbc": 0.8}), f"lines-{count}.json")


def decided(folder: Path, count: int) -> tuple[int, int]:
    """The triples of a claim of ``count`` lines decided, and the facts named in its proofs."""
    knowledge = installed()
    request = read_request(lines_request(folder, count), knowledge)
    with knowledge.store.claim(claim_triples(request, request.claims[0], knowledge, knowledge.engine("fast"))) as graph:
        determinations = decide(graph, knowledge.queries)
        return len(graph), sum(len(c.facts) for d in determinations for c in d.criteria)


def test_the_decided_graph_and_the_proofs_grow_in_proportion_to_the_lines(tmp_path):
    base, small, large = decided(tmp_path, 1), decided(tmp_path, 140), decided(tmp_path, 560)
    grown = [(s - b, g - b) for b, s, g in zip(base, small, large, strict=True)]
    assert grown[0][1] < 4.2 * grown[0][0], f"triples beyond the knowledge: {grown[0]} for 140 and 560 lines"
    assert grown[1][1] < 4.2 * grown[1][0], f"facts in the proofs: {grown[1]} for 140 and 560 lines"


def test_nothing_in_the_knowledge_links_a_line_to_every_other_line():
    chains = [(s, o) for s, p, o in installed().asserted if str(p).endswith("#propertyChainAxiom")]
    assert chains, "the knowledge still uses property chains (hasClaimLine)"
    assert "https://necessity.example/ns#sameClaimAs" not in {str(s) for s, _ in chains}


def test_a_claim_of_999_lines_is_reviewed_in_seconds(tmp_path):
    started = time.perf_counter()
    result = review(lines_request(tmp_path, MAX_CLAIM_LINES), installed())
    elapsed = time.perf_counter() - started
    assert len(result.claims[0].determinations) == MAX_CLAIM_LINES
    assert elapsed < 30, f"{elapsed:.1f} s for {MAX_CLAIM_LINES} lines (before the fix, 600 lines took 23.7 s)"


def test_the_proof_names_the_first_line_of_a_code_and_counts_the_others(tmp_path):
    result = review(lines_request(tmp_path, 3 * len(CODES)), installed())
    sedation = next(d for d in result.claims[0].determinations if d.code == "99153")
    primary = next(c for c in sedation.criteria if c.id.endswith("-primary-on-claim"))
    assert primary.state == "met"
    assert primary.facts == ("claim line 10: 99152 (Claim/c1 item[9]) and 2 more line(s) of the claim",)


def test_lines_beyond_the_limit_are_refused_with_one_message(tmp_path, run_cli):
    path = lines_request(tmp_path, MAX_CLAIM_LINES + 1)
    result = run_cli("determine", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"necessity: error: {path}: Claim/c1: item: 1,000 lines: a claim may have at most 999 "
                             "(the most an X12 837 institutional claim carries); split it into several claims\n")


def test_lines_beyond_the_limit_are_refused_in_turtle_too(tmp_path):
    lines = "".join(f'req:line-{i} a nec:ClaimLine ; nec:onClaim req:claim ; nec:sequence {i} ; nec:codeNotation '
                    f'"36561" ; nec:codeSystem "http://www.ama-assn.org/go/cpt"^^xsd:anyURI .\n'
                    for i in range(1, MAX_CLAIM_LINES + 2))
    path = tmp_path / "many.ttl"
    path.write_text("""@prefix nec: <https://necessity.example/ns#> .
@prefix req: <https://necessity.example/request/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
req:patient a nec:Patient .
req:claim a nec:Claim ; nec:claimId "c1" ; nec:forPatient req:patient ; nec:claimUse nec:Preauthorization ;
    nec:serviceDate "2026-01-15"^^xsd:date .
""" + lines, encoding="utf-8")
    with pytest.raises(InputError, match="1,000 lines: a claim may have at most 999"):
        read_request(path, installed())


def test_the_limit_is_per_claim_not_per_request(tmp_path):
    data = json.loads(lines_request(tmp_path, 600).read_text(encoding="utf-8"))
    second = json.loads(json.dumps(next(e for e in data["entry"] if e["resource"]["resourceType"] == "Claim")))
    second["resource"]["id"] = "c2"
    second["fullUrl"] = "urn:uuid:c2"
    data["entry"].append(second)
    result = review(write(tmp_path, data, "two-claims.json"), installed())
    assert [len(c.determinations) for c in result.claims] == [600, 600]
