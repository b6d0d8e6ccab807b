"""``necessity determine``: the done-criteria of the core on the seed request, output formats, and
bad input (exit code 2, one message naming the file, resource and field, nothing on stdout)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bundles import bundle, claim, write

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = str(EXAMPLES / "seed-aml-port.json")
JSON_KEYS = {"sequence", "code", "system", "display", "claimed_as", "status", "citations", "recommendations",
             "criteria", "warnings"}
WARNING_KINDS = {"descriptor-mismatch", "age-band", "add-on-without-primary", "ncci-bundle", "mue-exceeded",
                 "time-short", "documentation-short", "claim-type", "policy-dependent", "unconfirmed-source", "safety"}


@pytest.fixture(scope="module")
def seed_json():
    from click.testing import CliRunner

    from reasoner.cli.main import cli

    result = CliRunner().invoke(cli, ["determine", SEED, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_seed_port_and_guidance_are_justified_with_citation_and_criteria(seed_json):
    lines = {d["code"]: d for d in seed_json["claims"][0]["determinations"]}
    for code in ("36561", "76937", "77001"):
        line = lines[code]
        assert line["status"] == "justified", code
        assert line["citations"] and all(("doi:" in c or "http" in c) for c in line["citations"])
        assert any(c["state"] == "met" and c["facts"] for c in line["criteria"])
        assert any(r["deciding"] and r["statement"] for r in line["recommendations"])


def test_seed_json_keeps_the_contract_keys(seed_json):
    determinations = seed_json["claims"][0]["determinations"]
    assert len(determinations) == 15
    for d in determinations:
        assert JSON_KEYS <= set(d)
        assert {w["kind"] for w in d["warnings"]} <= WARNING_KINDS
        assert all(c["state"] in ("met", "refuted", "unknown") for c in d["criteria"])
    assert seed_json["knowledge_base_version"]
    assert "licensed reviewer decides" in seed_json["notice"]


def test_seed_statuses_are_those_a_reviewer_expects(seed_json):
    statuses = {d["code"]: d["status"] for d in seed_json["claims"][0]["determinations"]}
    assert statuses == {
        "76937": "justified", "77001": "justified", "36561": "justified", "J0690": "not-justified",
        "J2001": "coding-error", "J3010": "justified", "J2250": "justified", "85007": "coding-error",
        "85027": "justified", "85610": "justified", "P9037": "not-justified", "99152": "justified",
        "99153": "justified", "C1894": "justified", "C1788": "justified"}


def test_text_output_rows_missing_documentation_and_reviewer_line(run_cli):
    result = run_cli("determine", SEED)
    assert result.exit_code == 0
    out = result.stdout
    assert "  3  36561  justified!     Power Port insertion    rec:asco-2013-r1.1 (+2)" in out
    assert " 11  P9037  not-justified! Irradiated platelets    rec:aabb-ictmg-2025-ir-low-risk (+4)" in out
    assert "refuted: latest platelet count below 10 ×10³/µL (fact [" in out  # each fact stated once, by number
    assert re.search(r"\[\d+\] LOINC 777-3 Platelets \[#/volume\] in Blood by Automated count = 45 ×10³/µL", out)
    assert out.count("= 45 ×10³/µL") == 1
    assert "! rests on a source not confirmed in its published text" in out
    assert "  3  36561  justified\n             our description: Port placement" in out
    assert "cites: Sousa B" in out
    assert "Documentation to report with the request:" in out and "us-guidance.vessel-patency" in out
    assert out.rstrip().endswith("it rests on.") and "a licensed reviewer decides" in out


def test_claim_option_picks_one_claim(run_cli, tmp_path):
    data = bundle(["36561"])
    data["entry"].append({"resource": claim(["99213"], claim_id="c2")})
    result = run_cli("determine", str(write(tmp_path, data)), "--claim", "c2", "--format", "json")
    claims = json.loads(result.stdout)["claims"]
    assert [(c["claim"], [d["code"] for d in c["determinations"]]) for c in claims] == [("c2", ["99213"])]


@pytest.mark.parametrize("content, words", [
    ("{not json", "request.json: -: line 1 column 2: not JSON"),
    (json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}), "request.json: Bundle: entry: "),
])
def test_bad_input_exit_2_one_message_nothing_on_stdout(run_cli, tmp_path, content, words):
    path = tmp_path / "request.json"
    path.write_text(content)
    result = run_cli("determine", str(path), "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert words in result.stderr and result.stderr.count("\n") == 1


def test_a_unit_that_does_not_convert_leaves_the_lab_unknown_and_strict_refuses_it(run_cli, tmp_path):
    path = tmp_path / "request.json"
    path.write_text(json.dumps(bundle(["36561"], labs={"plt": (45, "mmol/L", "2026-11-20")})))
    lenient = run_cli("determine", str(path), "--format", "json")
    assert lenient.exit_code == 0, lenient.stderr
    assert any("'mmol/L' cannot be converted" in n for n in json.loads(lenient.stdout)["notes"])
    result = run_cli("determine", str(path), "--format", "json", "--strict")
    words = "Observation/observation-1: valueQuantity.code: unit 'mmol/L' cannot be converted to 10*3/uL"
    assert result.exit_code == 2
    assert result.stdout == ""
    assert words in result.stderr and result.stderr.count("\n") == 1


def test_unknown_claim_id(run_cli):
    result = run_cli("determine", SEED, "--claim", "nope")
    assert result.exit_code == 2 and "Claim/nope: id: no such claim (the request has: claim-11)" in result.stderr


def test_missing_file(run_cli, tmp_path):
    result = run_cli("determine", str(tmp_path / "absent.json"))
    assert result.exit_code == 2 and "no such file" in result.stderr and result.stdout == ""


@pytest.mark.slow  # the reference engine closes the knowledge with the facts: seconds (CI runs it)
def test_the_reference_engine_gives_the_same_output_but_for_its_name(run_cli):
    request = str(EXAMPLES / "no-iv-therapy.json")
    quick = run_cli("determine", request, "--format", "json")
    slow = run_cli("determine", request, "--format", "json", "--engine", "reference")
    assert quick.exit_code == slow.exit_code == 0, slow.stderr
    quick_json, slow_json = json.loads(quick.stdout), json.loads(slow.stdout)
    assert quick_json.pop("engine") == "fast (OWL 2 RL rules compiled from the closed knowledge base)"
    assert slow_json.pop("engine") == "reference (owlrl OWL 2 RL closure)"
    assert quick_json == slow_json


def test_an_unknown_engine_is_refused(run_cli):
    result = run_cli("determine", SEED, "--engine", "fastest")
    assert result.exit_code == 2
    assert "'fastest' is not one of 'fast', 'reference'" in result.stderr
    assert result.stdout == ""
