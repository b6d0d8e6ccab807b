"""`necessity batch --resume`: a batch killed or interrupted midway, rerun, ends with exactly the output
of a batch never interrupted: no record missing, none twice. And what a resume refuses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from generated import write_ndjson

from tests.batch.test_batch import EXAMPLES, batch

COUNT = 120  # generated requests: about 4 s of review in one process
SMALL = 12


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ndjson(tmp_path_factory.mktemp("resume") / "requests.ndjson", COUNT)


@pytest.fixture(scope="module")
def whole(source: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The output of each format from a batch never interrupted."""
    return outputs(source, tmp_path_factory.mktemp("whole"))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """Fewer generated requests, and their outputs."""
    folder = tmp_path_factory.mktemp("small")
    source = write_ndjson(folder / "requests.ndjson", SMALL)
    return source, outputs(source, folder)


def outputs(source: Path, folder: Path) -> dict[str, bytes]:
    """The output of each format from a batch of ``source`` never interrupted."""
    written = {}
    for form in ("ndjson", "csv", "fhir"):
        out = folder / f"out.{form}"
        assert batch(str(source), "-o", str(out), "--format", form)[0] == 0
        written[form] = out.read_bytes()
    return written


def start(source: Path, out: Path, *args: str) -> subprocess.Popen[bytes]:
    """``necessity batch`` in a process of its own (a session of its own, with its workers)."""
    command = [sys.executable, "-m", "reasoner", "batch", str(source), "-o", str(out), *args]
    return subprocess.Popen(command, stderr=subprocess.PIPE, start_new_session=True)


def wait_for_lines(out: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not (out.exists() and out.read_bytes().count(b"\n") >= count):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the batch wrote nothing in 2 minutes"
        time.sleep(0.05)


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.slow  # a kill, load or timeout test: seconds of waiting (CI runs it)
def test_a_batch_killed_midway_and_resumed_writes_every_record_once(source, whole, tmp_path, workers):
    out = tmp_path / "out.ndjson"
    process = start(source, out, "--workers", workers)
    wait_for_lines(out, 40, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    cut = out.read_bytes()
    assert 40 <= cut.count(b"\n") < whole["ndjson"].count(b"\n")
    code, stderr = batch(str(source), "-o", str(out), "--resume")
    assert code == 0, stderr
    assert out.read_bytes() == whole["ndjson"]
    done = len({json.loads(line)["request"] for line in cut.splitlines()[:-1]})
    assert f"in the {done - 1} requests already in the output" in stderr or \
        f"in the {done - 2} requests already in the output" in stderr  # the last (maybe cut) one is redone


@pytest.mark.slow  # a kill, load or timeout test: seconds of waiting (CI runs it)
def test_a_batch_interrupted_by_ctrl_c_says_so_and_resumes(source, whole, tmp_path):
    out = tmp_path / "out.ndjson"
    process = start(source, out)
    wait_for_lines(out, 40, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"necessity batch interrupted: " in stderr and b"--resume to finish the batch" in stderr
    assert out.read_bytes().endswith(b"\n") and out.read_bytes() != whole["ndjson"]
    assert batch(str(source), "-o", str(out), "--resume")[0] == 0
    assert out.read_bytes() == whole["ndjson"]


@pytest.mark.parametrize("form", ["ndjson", "csv", "fhir"])
def test_an_output_cut_anywhere_is_finished_exactly(small, tmp_path, form):
    """Cut in the header, inside a record, between records, and not at all."""
    source, whole = small
    full = whole[form]
    first_newline = full.index(b"\n")
    for cut in (0, first_newline // 2, first_newline + 1, len(full) // 3, len(full) // 2 + 7, len(full) - 1,
                len(full)):
        out = tmp_path / f"out-{cut}.{form}"
        out.write_bytes(full[:cut])
        code, stderr = batch(str(source), "-o", str(out), "--format", form, "--resume")
        assert code == 0, (cut, stderr)
        assert out.read_bytes() == full, cut


def test_resume_refuses_an_output_of_other_inputs_and_leaves_it_as_it_was(source, whole, tmp_path):
    out = tmp_path / "out.ndjson"
    out.write_bytes(whole["ndjson"][: len(whole["ndjson"]) // 2])
    before = out.read_bytes()
    code, stderr = batch(str(EXAMPLES), "-o", str(out), "--resume")
    assert code == 2 and "that are not the first requests of these inputs" in stderr
    assert "resume with the inputs it was written from" in stderr
    assert out.read_bytes() == before


def test_resume_refuses_an_output_of_another_knowledge_base(source, whole, tmp_path):
    out = tmp_path / "out.ndjson"
    lines = whole["ndjson"].decode().splitlines(keepends=True)
    version = json.loads(lines[0])["knowledge_base_version"]
    out.write_text(lines[0].replace(version, "0123456789ab") + "".join(lines[1:5]))
    code, stderr = batch(str(source), "-o", str(out), "--resume")
    assert code == 2
    assert f"written with knowledge base 0123456789ab, not {version}: a resumed batch would mix two" in stderr


@pytest.mark.parametrize("form, message", [
    ("csv", "not a batch output in this format: its first line is not the header"),
    ("fhir", "line 1: not a record of this batch format (KeyError)"),
])
def test_resume_refuses_an_output_in_another_format(source, whole, tmp_path, form, message):
    out = tmp_path / "out.ndjson"
    out.write_bytes(whole["ndjson"][:5000])
    code, stderr = batch(str(source), "-o", str(out), "--format", form, "--resume")
    assert code == 2 and message in stderr


def test_resume_needs_a_file(source):
    code, stderr = batch(str(source), "-o", "-", "--resume")
    assert code == 2 and "--resume needs an output file" in stderr


def test_errors_already_in_the_output_still_fail_the_batch(tmp_path):
    source = tmp_path / "in.ndjson"
    seed = json.dumps(json.loads((EXAMPLES / "seed-aml-port.json").read_text()))
    source.write_text(f"not json\n{seed}\n{seed}\n")
    out = tmp_path / "out.ndjson"
    assert batch(str(source), "-o", str(out))[0] == 1
    whole = out.read_bytes()
    out.write_bytes(whole[: whole.index(b"\n", whole.index(b"\n") + 1) + 1])  # the error and one line
    code, stderr = batch(str(source), "-o", str(out), "--resume")
    assert code == 1 and "requests with an error: 0 (and 1 in the 1 requests already in the output)" in stderr
    assert out.read_bytes() == whole


def test_resume_refuses_a_request_that_changed_since_it_was_reviewed(small, tmp_path):
    source, whole = small
    changed = tmp_path / "requests.ndjson"
    lines = source.read_text().splitlines(keepends=True)
    changed.write_text("".join([lines[1], lines[0], *lines[2:]]))  # the first two requests swapped
    out = tmp_path / "out.ndjson"
    out.write_bytes(whole["ndjson"].replace(str(source).encode(), str(changed).encode())[: len(whole["ndjson"]) // 2])
    before = out.read_bytes()
    code, stderr = batch(str(changed), "-o", str(out), "--resume")
    assert code == 2 and f"{changed}:1 has changed since it was reviewed (its SHA-256 differs)" in stderr
    assert out.read_bytes() == before
