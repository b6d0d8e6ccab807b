"""`necessity batch`: folders, files and NDJSON in; one record per claim line out, in three formats;
errors recorded and the batch going on; workers; the summary and the progress bar."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from reasoner.batch.formats import JOINED, REQUEST_EXTENSION
from reasoner.batch.records import FIELDS
from reasoner.cli.main import cli
from reasoner.cli.options import knowledge as installed
from reasoner.pipeline import review
from reasoner.render import REVIEWER_LINE
from reasoner.render.fhir import collection

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BAD = ROOT / "tests" / "bad_inputs"


def batch(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    """Run ``necessity batch`` in this process; return the exit code and standard error."""
    result = CliRunner().invoke(cli, ["batch", *args], input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def compact(path: Path) -> str:
    """A request file as one NDJSON line."""
    return json.dumps(json.loads(path.read_text(encoding="utf-8"))) + "\n"


def test_a_folder_gives_a_record_per_claim_line_with_the_status_determine_gives(tmp_path):
    out = tmp_path / "out.ndjson"
    code, stderr = batch(str(EXAMPLES), "-o", str(out))
    assert code == 0, stderr
    found = records(out)
    requests = sorted(EXAMPLES.glob("*.json")) + sorted(EXAMPLES.glob("*.ttl"))
    assert sorted({r["request"] for r in found}) == sorted(str(p) for p in requests)
    for path in requests:
        expected = [(c.claim_id, d.sequence, d.code, d.status, list(d.citations))
                    for c in review(path, installed()).claims for d in c.determinations]
        got = [(r["claim"], r["sequence"], r["code"], r["status"], r["citations"]) for r in found
               if r["request"] == str(path)]
        assert got == expected, path.name
    assert all(list(r) == list(FIELDS) and r["record"] == "line" and r["error"] is None for r in found)
    assert {r["knowledge_base_version"] for r in found} == {installed().version}
    assert {r["notice"] for r in found} == {REVIEWER_LINE}
    seed = {r["code"]: r for r in found if r["request"].endswith("seed-aml-port.json")}
    assert seed["85007"]["status"] == "coding-error" and seed["85007"]["deciding"]
    assert seed["P9037"]["status"] == "not-justified" and seed["P9037"]["citations"]


def test_the_summary_counts_what_was_written(tmp_path):
    out = tmp_path / "out.ndjson"
    code, stderr = batch(str(EXAMPLES), "-o", str(out))
    written = records(out)
    statuses = Counter(r["status"] for r in written)
    assert code == 0
    assert f"done: 7 requests, {len(written)} claim lines in" in stderr
    assert "lines: " + ", ".join(f"{s} {statuses[s]}" for s in
                                 ("justified", "not-justified", "needs-info", "coding-error", "no-policy")) in stderr
    assert "requests with an error: 0" in stderr and REVIEWER_LINE in stderr
    assert "requests/s" in stderr and "lines/s" in stderr


def test_every_bad_input_is_an_error_record_with_its_message_and_the_batch_goes_on(tmp_path):
    """The files of tests/bad_inputs in one batch: each gives the error `necessity determine` gives it
    (or, for the Bundle with one bad Claim, the good claim's lines and the bad claim's error), and the
    batch ends with exit code 1."""
    out = tmp_path / "out.ndjson"
    code, stderr = batch(str(BAD), str(EXAMPLES / "seed-aml-port.json"), "-o", str(out))
    assert code == 1
    expected = json.loads((BAD / "expected.json").read_text())
    found = records(out)
    for name, spec in expected.items():
        path = str(BAD / name)
        errors = [r["error"] for r in found if r["request"] == path and r["record"] == "error"]
        message = spec["stderr"].splitlines()[-1].removeprefix("necessity: error: ").replace("{file}", path)
        if spec["exit"] == 1:  # one bad Claim: the other claim is reviewed, the bad one is named
            assert any(r["request"] == path and r["record"] == "line" for r in found), name
            assert [f"necessity: error: Claim/{r['claim']} was not reviewed: {r['error']}" for r in found
                    if r["request"] == path and r["record"] == "error"] == [spec["stderr"].replace("{file}", path)]
        else:
            assert errors == [message], name
    assert sum(r["request"].endswith("seed-aml-port.json") for r in found) == 15
    not_a_bundle = [r["error"] for r in found if r["request"] == str(BAD / "expected.json")]  # the folder's key
    assert not_a_bundle == [f"{BAD / 'expected.json'}: -: resourceType: expected a FHIR Bundle"]
    assert f"requests with an error: {len(expected) + 1}" in stderr


def test_ndjson_from_standard_input_with_blank_and_bad_lines(tmp_path):
    out = tmp_path / "out.ndjson"
    lines = compact(EXAMPLES / "seed-aml-port.json") + "\n" + "not json\n" + '{"resourceType": "Patient"}\n' \
        + compact(EXAMPLES / "age-4-port.json")
    code, _ = batch("-", "-o", str(out), stdin=lines.encode())
    assert code == 1
    found = records(out)
    assert [r["request"] for r in found if r["record"] == "error"] == ["<stdin>:3", "<stdin>:4"]
    errors = {r["request"]: r["error"] for r in found if r["record"] == "error"}
    assert errors["<stdin>:3"] == "<stdin>:3: -: line 1 column 1: not JSON: Expecting value"
    assert errors["<stdin>:4"] == "<stdin>:4: Patient: resourceType: expected a FHIR Bundle"
    assert Counter(r["request"] for r in found if r["record"] == "line") == {"<stdin>:1": 15, "<stdin>:5": 2}


def test_an_ndjson_line_over_the_size_limit_is_an_error_record(tmp_path, monkeypatch):
    monkeypatch.setattr("reasoner.batch.inputs.MAX_REQUEST_BYTES", 1000)
    monkeypatch.setattr("reasoner.ingest.MAX_REQUEST_BYTES", 1000)
    source = tmp_path / "in.ndjson"
    source.write_text(compact(EXAMPLES / "seed-aml-port.json") + '{"resourceType": "Bundle"}\n')
    out = tmp_path / "out.ndjson"
    assert batch(str(source), "-o", str(out))[0] == 1
    found = records(out)
    assert len(found) == 2 and found[0]["error"].startswith(f"{source}:1: -: -: ")
    assert "bytes: a request may be at most" in found[0]["error"]
    assert found[1]["request"] == f"{source}:2" and "Bundle: type" in found[1]["error"]


def test_a_request_named_twice_is_reviewed_once(tmp_path):
    out = tmp_path / "out.ndjson"
    seed = EXAMPLES / "seed-aml-port.json"
    assert batch(str(seed), str(EXAMPLES), "-o", str(out))[0] == 1
    found = records(out)
    assert sum(r["request"] == str(seed) for r in found) == 15
    assert [r["error"] for r in found if r["request"] == f"{seed}#2"] == [
        f"{seed}: -: -: named again in this batch: reviewed once"]


def test_the_request_id_is_the_same_however_the_file_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    out = tmp_path / "out.ndjson"
    assert batch("seed-aml-port.json", "-o", str(out))[0] == 0
    assert {r["request"] for r in records(out)} == {str(EXAMPLES / "seed-aml-port.json")}


def test_csv_holds_the_same_records_as_ndjson(tmp_path):
    ndjson, table = tmp_path / "out.ndjson", tmp_path / "out.csv"
    assert batch(str(EXAMPLES), str(BAD / "one-bad-claim.json"), "-o", str(ndjson))[0] == 1
    assert batch(str(EXAMPLES), str(BAD / "one-bad-claim.json"), "-o", str(table), "--format", "csv")[0] == 1
    with table.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == list(FIELDS)

    def cell(value: object) -> str:
        text = JOINED.join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
        return " ".join(text.split())
    assert rows == [{k: cell(v) for k, v in r.items()} for r in records(ndjson)]
    assert any(r["record"] == "error" and r["claim"] for r in rows)


def test_fhir_gives_a_valid_claim_response_per_claim_and_an_operation_outcome_per_error(tmp_path):
    out = tmp_path / "out.ndjson"
    assert batch(str(EXAMPLES), str(BAD / "not-json.json"), str(BAD / "one-bad-claim.json"), "-o", str(out),
                 "--format", "fhir")[0] == 1
    resources = records(out)
    collection(resources)  # raises if one is not valid FHIR R4
    kinds = Counter(r["resourceType"] for r in resources)
    assert kinds == {"ClaimResponse": 8, "OperationOutcome": 2}
    assert len({r["id"] for r in resources}) == len(resources)
    requests = {e["valueString"] for r in resources for e in r["extension"] if e["url"] == REQUEST_EXTENSION}
    assert str(BAD / "not-json.json") in requests and len(requests) == 9
    seed = next(r for r in resources if r["resourceType"] == "ClaimResponse"
                and str(EXAMPLES / "seed-aml-port.json") in json.dumps(r["extension"]))
    assert len(seed["item"]) == 15 and any(REVIEWER_LINE.split(":")[0] in n["text"] for n in seed["processNote"])


def test_two_workers_write_what_one_process_writes(tmp_path):
    one, two = tmp_path / "one.ndjson", tmp_path / "two.ndjson"
    inputs = (str(EXAMPLES), str(BAD / "not-json.json"))
    assert batch(*inputs, "-o", str(one))[0] == 1
    assert batch(*inputs, "-o", str(two), "--workers", "2")[0] == 1
    assert one.read_bytes() == two.read_bytes()


def test_standard_output(tmp_path):
    result = CliRunner().invoke(cli, ["batch", str(EXAMPLES / "age-4-port.json"), "-o", "-", "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == ",".join(FIELDS) and len(result.stdout.splitlines()) == 3


def test_progress_bar_when_asked_and_none_otherwise(tmp_path):
    code, shown = batch(str(EXAMPLES), "-o", str(tmp_path / "a.ndjson"), "--progress")
    assert code == 0 and "7/7" in shown and "requests/s" in shown.split("necessity batch done")[0]
    code, quiet = batch(str(EXAMPLES), "-o", str(tmp_path / "b.ndjson"))
    assert code == 0 and quiet.startswith("necessity batch done")


@pytest.mark.parametrize("args, message", [
    (["missing.json"], "missing.json: no such file or folder"),
    (["-", "-"], "standard input ('-') may be named once"),
])
def test_inputs_that_are_not_there_stop_the_batch_before_it_writes(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, stderr = batch(*args, "-o", "out.ndjson")
    assert code == 2 and stderr == f"necessity: error: {message}\n"
    assert not (tmp_path / "out.ndjson").exists()


def test_an_existing_output_is_kept_unless_resumed(tmp_path):
    out = tmp_path / "out.ndjson"
    out.write_text("mine\n")
    code, stderr = batch(str(EXAMPLES), "-o", str(out))
    assert code == 2 and "already exists: --resume finishes the batch it holds" in stderr
    assert out.read_text() == "mine\n"
    assert os.access(out, os.W_OK)


def test_a_bug_on_one_request_is_an_error_record_and_the_batch_goes_on(tmp_path, monkeypatch):
    from reasoner.batch import records as batch_records

    real = batch_records.review_request

    def failing(request, *args, **kwargs):
        if request.path.endswith("age-4-port.json"):
            raise RuntimeError("a bug")
        return real(request, *args, **kwargs)

    monkeypatch.setattr(batch_records, "review_request", failing)
    out = tmp_path / "out.ndjson"
    code, _ = batch(str(EXAMPLES / "age-4-port.json"), str(EXAMPLES / "seed-aml-port.json"), "-o", str(out))
    found = records(out)
    assert code == 1
    assert found[0]["record"] == "error" and found[0]["request"].endswith("age-4-port.json")
    assert found[0]["error"] == "necessity failed on this request (a bug: please report it): RuntimeError: a bug"
    assert sum(r["record"] == "line" for r in found) == 15
