"""`necessity explain`: the proof of one claim line as a text tree, JSON or Mermaid, with what would
change a status other than justified."""

from __future__ import annotations

import json
from pathlib import Path

SEED = str(Path(__file__).resolve().parents[2] / "examples" / "seed-aml-port.json")


PT_BREAST_CANCER = str(Path(__file__).resolve().parents[2] / "kg" / "tests" / "sir-2019-periprocedural-bleeding" /
                       "prothrombin-time-breast-cancer-without-anticoagulant.json")


def test_text_tree_fits_80_columns_and_shows_the_proof(run_cli):
    """A line that needs information: PT/INR before a port for breast cancer without an anticoagulant."""
    result = run_cli("explain", PT_BREAST_CANCER, "--code", "85610")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "line 2 85610 on claim c1: needs-info"
    assert max(len(line) for line in lines) <= 80
    text = result.stdout
    assert "├─ DECIDES supports, unknown: SIR 2019: PT/INR before a low-bleeding-risk" in text
    assert "│  ├─ met: a central venous access device placement on the claim (e.g. 36561)" in text
    justified = run_cli("explain", SEED, "--code", "85610").stdout  # the seed's AML: a higher bleeding risk
    assert justified.splitlines()[0] == "line 10 85610 on claim claim-11: justified"
    assert "│  ├─ met: an inherently higher risk of bleeding: a hematologic malignancy" in justified
    assert "└─ what would change the status:" in text and "doi:10.1016/j.jvir.2019.04.017" in text
    assert "a licensed reviewer decides" in text


def test_json_proof_and_the_smallest_change_for_platelets(run_cli):
    platelets = run_cli("explain", SEED, "--code", "P9037", "--format", "json")
    assert platelets.exit_code == 0
    [line] = json.loads(platelets.stdout)
    assert (line["code"], line["status"]) == ("P9037", "not-justified")
    deciding = {p["id"] for p in line["proof"] if p["deciding"]}
    assert {"rec:aabb-ictmg-2025-r1.1", "rule:bsh-2020-irradiation-indication"} <= deciding
    assert "rec:aabb-2015-r1" not in {p["id"] for p in line["proof"]}  # superseded on 2025-05-29
    r1 = next(p for p in line["proof"] if p["id"] == "rec:aabb-ictmg-2025-r1.1")
    platelet = next(c for c in r1["criteria"] if c["id"] == "crit:platelets-below-10")
    assert platelet["state"] == "refuted" and any("= 45 ×10³/µL" in f for f in platelet["facts"])
    changes = {(c["source"], c["criterion"]) for c in line["what_would_change"]}
    assert ("rec:aabb-ictmg-2025-r1.1", "crit:platelets-below-10") in changes
    assert ("rule:bsh-2020-irradiation-indication", "crit:irradiation-indication") in changes
    assert all(c["criterion"] != "crit:adult" for c in line["what_would_change"])


def test_a_justified_line_has_nothing_to_change(run_cli):
    [line] = json.loads(run_cli("explain", SEED, "--code", "36561", "--format", "json").stdout)
    assert line["status"] == "justified" and line["what_would_change"] == []


def test_mermaid_flowchart(run_cli):
    result = run_cli("explain", SEED, "--code", "J2001", "--format", "mermaid")
    out = result.stdout
    assert out.startswith("flowchart LR\n") and 'L["line 5 J2001: coding-error"]:::line' in out
    assert "-->|decides|" in out and ":::refuted" in out and "classDef met" in out


def test_a_code_not_on_the_claim_is_an_error(run_cli):
    result = run_cli("explain", SEED, "--code", "99999")
    assert result.exit_code == 2 and result.stdout == ""
    assert "Claim/claim-11: item.productOrService: no line billed with 99999" in result.stderr
