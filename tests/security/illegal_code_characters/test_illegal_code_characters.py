"""Finding 6 of the security review (issue 15): codes with characters illegal in an IRI (``<``, ``"``,
``{``, ``\\``, a space, NUL or BEL in an ICD-10-CM or RxNorm code: all valid FHIR strings) gave a
ValueError traceback and exit 1; in batch the record said "a bug: please report it" and rdflib's
warnings leaked to standard error. A 5,001-digit integer gave a traceback too. Now each is one message
naming the file, the resource and the field, exit 2, as for every other bad input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bundles import bundle, write

CHARACTERS = ["<", '"', "{", "\\", " ", "\x00", "\x07", "|", "^", "`", "\x7f"]


def request_with(folder: Path, where: str, character: str) -> Path:
    """A request whose diagnosis (``icd``), drug (``rxnorm``) or billed code (``line``) holds ``character``."""
    conditions = (f"C92{character}00",) if where == "icd" else ("C92.00",)
    meds = ((f"30{character}41", None),) if where == "rxnorm" else ()
    lines = [{"code": f"365{character}61"}] if where == "line" else ["36561"]
    return write(folder, bundle(lines, conditions=conditions, meds=meds))


@pytest.mark.parametrize("where", ["icd", "rxnorm", "line"])
@pytest.mark.parametrize("character", CHARACTERS, ids=[f"U+{ord(c):04X}" for c in CHARACTERS])
def test_a_code_with_a_character_no_code_has_is_refused_with_one_message(where, character, tmp_path, run_cli):
    path = request_with(tmp_path, where, character)
    result = run_cli("determine", str(path), "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    field = {"icd": "code.coding[0].code", "rxnorm": "medicationCodeableConcept.coding[0].code",
             "line": "item[0].productOrService.coding[0].code"}[where]
    assert f": {field}: " in result.stderr and "a character no code has" in result.stderr


def test_in_batch_it_is_an_error_record_and_nothing_leaks_to_standard_error(tmp_path):
    bad = request_with(tmp_path, "icd", "<")
    good = write(tmp_path, bundle(["36561"], conditions=("C92.00",)), "good.json")
    out = tmp_path / "out.ndjson"
    done = subprocess.run([sys.executable, "-m", "reasoner", "batch", str(bad), str(good), "-o", str(out),
                           "--no-progress"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    errors = [r for r in records if r["record"] == "error"]
    assert len(errors) == 1 and "a character no code has" in errors[0]["error"]
    assert "bug" not in errors[0]["error"]
    assert [line for line in done.stderr.splitlines() if "warn" in line.lower() or "Traceback" in line] == []


def test_an_integer_of_5001_digits_is_refused_with_one_message(tmp_path, run_cli):
    path = tmp_path / "digits.json"
    text = json.dumps(bundle(["36561"], labs={"plt": 45}))
    path.write_text(text.replace('"value": 45', '"value": ' + "9" * 5001), encoding="utf-8")
    result = run_cli("determine", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"necessity: error: {path}: -: -: not JSON that can be read: a number has more digits "
                             "than any value of a request\n")


def test_a_turtle_code_notation_with_such_a_character_is_refused(tmp_path, run_cli):
    path = tmp_path / "line.ttl"
    path.write_text("""@prefix nec: <https://necessity.example/ns#> .
@prefix req: <https://necessity.example/request/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
req:patient a nec:Patient .
req:claim a nec:Claim ; nec:claimId "c1" ; nec:forPatient req:patient ; nec:claimUse nec:Preauthorization ;
    nec:serviceDate "2026-01-15"^^xsd:date .
req:line a nec:ClaimLine ; nec:onClaim req:claim ; nec:sequence 1 ; nec:codeNotation "365<61" ;
    nec:codeSystem "http://www.ama-assn.org/go/cpt"^^xsd:anyURI .
""", encoding="utf-8")
    result = run_cli("determine", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"necessity: error: {path}: req:line: nec:codeNotation: '365<61' holds '<', a character "
                             "no code has\n")
