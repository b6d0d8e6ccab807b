"""Every request of tests/bad_inputs/ is refused with its one expected message, naming the file, the
resource and the field: exit code 2 and nothing on standard output (a request with one bad claim among
good ones: the good ones reported, the bad one named, exit code 1)."""

from __future__ import annotations

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
