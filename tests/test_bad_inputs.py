"""Every request of tests/bad_inputs/ is refused with its one expected message, naming the file, the
resource and the field: exit code 2 and nothing on standard output (a request with one bad claim among
good ones: the good ones reported, the bad one named, exit code 1)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from bundles import bundle, write

FOLDER = Path(__file__).resolve().parent / "bad_inputs"
EXPECTED = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))


def test_every_bad_input_has_its_expected_message():
    files = {p.name for p in FOLDER.iterdir()} - {"expected.json", "README.md"}
    assert files == set(EXPECTED)
    assert len(files) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_bad_input_is_refused_with_one_clear_message(run_cli, name):
    path = str(FOLDER / name)
    result = run_cli("determine", path, "--format", "json")
    expected = EXPECTED[name]
    assert result.exit_code == expected["exit"], result.stderr
    assert result.stderr.rstrip("\n") == expected["stderr"].replace("{file}", path)
    assert result.stderr.count("\n") == 1
    if expected["exit"] == 2:
        assert result.stdout == ""
    else:
        reviewed = json.loads(result.stdout)
        assert [c["claim"] for c in reviewed["claims"]] == ["c1"]
        assert reviewed["rejected_claims"][0]["claim"] == "Claim/c2"


def test_a_50_mb_bundle_is_refused_before_it_is_read(run_cli, tmp_path):
    request = bundle(["36561"])
    request["entry"].append({"resource": {"resourceType": "Basic", "id": "padding",
                                          "code": {"text": "x" * (50 << 20)}}})
    path = write(tmp_path, request)
    assert path.stat().st_size > 50 << 20
    result = run_cli("determine", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"necessity: error: {path}: -: -: {path.stat().st_size:,} bytes: a request may be at most "
                             "32 MiB (one patient's review request, not a whole record)\n")


def test_a_bundle_nested_too_deep_is_refused(run_cli, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"resourceType": "Bundle", "type": "collection", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = run_cli("determine", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"necessity: error: {path}: -: -: not JSON")


ONE_BAD = str(FOLDER / "one-bad-claim.json")


def test_a_claim_left_out_is_named_in_every_output(run_cli, tmp_path):
    text = run_cli("determine", ONE_BAD)
    assert text.exit_code == 1 and "Claims NOT reviewed" in text.stdout and "- Claim/c2:" in text.stdout
    fhir = run_cli("determine", ONE_BAD, "--format", "fhir")
    outcomes = [e["resource"] for e in json.loads(fhir.stdout)["entry"]
                if e["resource"]["resourceType"] == "OperationOutcome"]
    assert fhir.exit_code == 1 and len(outcomes) == 1
    assert outcomes[0]["issue"][0]["diagnostics"].startswith("Claim/c2 not reviewed: ")
    report = run_cli("report", ONE_BAD, "-o", str(tmp_path / "report.md"))
    assert report.exit_code == 1 and "Claim/c2 was not reviewed" in report.stderr
    assert "## Claims not reviewed" in (tmp_path / "report.md").read_text()


def test_a_proof_of_a_request_with_a_claim_left_out_needs_claim(run_cli):
    refused = run_cli("query", ONE_BAD, "--query", "ASK { ?s ?p ?o }")
    assert refused.exit_code == 2 and "Claim/c2" in refused.stderr and "--claim" in refused.stderr
    assert run_cli("query", ONE_BAD, "--claim", "c1", "--query", "ASK { ?s ?p ?o }").exit_code == 0
    assert run_cli("explain", ONE_BAD, "--claim", "c2", "--code", "85610").exit_code == 2


def test_an_old_implausible_lab_is_refused_too(run_cli, tmp_path):
    request = bundle(["36561"], labs={"plt": (-5, "10*3/uL", "2026-01-01")})
    request["entry"].insert(2, copy.deepcopy(request["entry"][1]))
    request["entry"][2]["resource"]["id"] = "observation-recent"
    request["entry"][2]["resource"]["valueQuantity"]["value"] = 45
    request["entry"][2]["resource"]["effectiveDateTime"] = "2026-11-20"
    result = run_cli("determine", str(write(tmp_path, request)))
    assert result.exit_code == 2 and "Observation/observation-1: valueQuantity.value: -5 10*3/uL" in result.stderr
