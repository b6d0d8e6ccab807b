"""`necessity batch` at its edges (found by a review): an output inside an input folder, an error item
in a worker, a worker killed, NDJSON lines at the size limit and with a byte order mark, request ids
CSV must keep, outputs that cannot be written or are locked, and no empty output left by a failure."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from generated import write_ndjson

from reasoner.batch import inputs
from tests.batch.test_batch import EXAMPLES, batch, compact, records


def test_an_output_inside_an_input_folder_is_not_read(tmp_path):
    folder = tmp_path / "requests"
    shutil.copytree(EXAMPLES, folder)
    out = folder / "out.ndjson"
    assert batch(str(folder), "-o", str(out))[0] == 0
    first = out.read_bytes()
    assert str(out) not in {r["request"].split(":")[0] for r in records(out)}
    out.write_bytes(first[: len(first) // 2])
    assert batch(str(folder), "-o", str(out), "--resume")[0] == 0  # listed again, still left out
    assert out.read_bytes() == first


def test_an_output_named_as_an_input_is_refused(tmp_path):
    out = tmp_path / "out.ndjson"
    assert batch(str(EXAMPLES / "age-4-port.json"), "-o", str(out))[0] == 0
    code, stderr = batch(str(out), "-o", str(out), "--resume")
    assert code == 2 and "is the output: a batch does not read what it writes" in stderr


def test_workers_record_requests_that_could_not_be_read(tmp_path):
    """An error item (here a request named twice) crosses to a worker process and back."""
    out = tmp_path / "out.ndjson"
    seed = str(EXAMPLES / "seed-aml-port.json")
    done = subprocess.run([sys.executable, "-m", "reasoner", "batch", seed, seed, "-o", str(out), "--workers", "2"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert [r["error"] for r in records(out) if r["record"] == "error"] == [
        f"{seed}: -: -: named again in this batch: reviewed once"]


@pytest.mark.slow  # a kill, load or timeout test: seconds of waiting (CI runs it)
def test_a_worker_killed_stops_the_batch_and_resume_finishes_it(tmp_path):
    source = write_ndjson(tmp_path / "requests.ndjson", 80)
    whole = tmp_path / "whole.ndjson"
    assert batch(str(source), "-o", str(whole))[0] == 0
    out = tmp_path / "out.ndjson"
    process = subprocess.Popen([sys.executable, "-m", "reasoner", "batch", str(source), "-o", str(out),
                                "--workers", "2"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out.exists() and out.read_bytes().count(b"\n") >= 10):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(_a_worker_of(process.pid), signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    assert "a worker process died (killed, or out of memory)" in stderr and "--resume" in stderr
    assert batch(str(source), "-o", str(out), "--resume")[0] == 0
    assert out.read_bytes() == whole.read_bytes()


def _a_worker_of(parent: int) -> int:
    """A process that ``parent`` spawned to review requests."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in command:
            return int(entry.name)
    raise AssertionError("no worker process found")


def test_ndjson_lines_at_the_size_limit_and_the_next_one(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_REQUEST_BYTES", 12)
    source = tmp_path / "in.ndjson"
    source.write_bytes(b"A" * 12 + b"\r\n" + b"B" * 13 + b"\n" + b"C" * 40 + b"\n" + b'{"c":1}\n')
    found = list(inputs.items(inputs.sources([str(source)])))
    assert [(i.request.rsplit(":", 1)[1], inputs.read_item(i).data, i.error is not None) for i in found] == [
        ("1", b"A" * 12, False), ("2", b"", True), ("3", b"", True), ("4", b'{"c":1}', False)]


def test_an_ndjson_file_is_listed_by_the_places_of_its_lines_and_read_where_reviewed(tmp_path):
    # The batch's process (a Spark driver) holds no request: each line is read by whoever reviews it.
    source = tmp_path / "in.ndjson"
    source.write_bytes(b"\xef\xbb\xbf" + b'{"a":1}\r\n' + b"  \n" + b'{"b":22}\n' + b'{"c":333}')
    found = list(inputs.items(inputs.sources([str(source)])))
    assert [i.data for i in found] == [b"", b"", b""] and all(i.path == str(source) for i in found)
    assert [i.span for i in found] == [(3, 7), (15, 8), (24, 9)]
    assert [inputs.read_item(i).data for i in found] == [b'{"a":1}', b'{"b":22}', b'{"c":333}']
    assert [i.request.rsplit(":", 1)[1] for i in found] == ["1", "3", "4"]


def test_a_byte_order_mark_before_the_first_line_is_dropped(tmp_path):
    source = tmp_path / "in.ndjson"
    source.write_bytes(b"\xef\xbb\xbf" + compact(EXAMPLES / "age-4-port.json").encode())
    out = tmp_path / "out.ndjson"
    assert batch(str(source), "-o", str(out))[0] == 0
    assert [r["code"] for r in records(out)] == ["36561", "99152"]


def test_csv_keeps_request_ids_exactly_so_that_resume_finds_them(tmp_path):
    folder = tmp_path / "two  spaces"
    shutil.copytree(EXAMPLES, folder)
    out = tmp_path / "out.csv"
    assert batch(str(folder), "-o", str(out), "--format", "csv")[0] == 0
    whole = out.read_bytes()
    assert f"{folder}/age-4-port.json".encode() in whole
    out.write_bytes(whole[: len(whole) // 2])
    assert batch(str(folder), "-o", str(out), "--format", "csv", "--resume")[0] == 0
    assert out.read_bytes() == whole


def test_an_output_that_cannot_be_written_is_a_clean_error(tmp_path):
    code, stderr = batch(str(EXAMPLES), "-o", str(tmp_path / "missing" / "out.ndjson"))
    assert code == 2 and stderr.startswith("necessity: error: ") and "cannot be written (No such file" in stderr
    code, stderr = batch(str(EXAMPLES), "-o", str(tmp_path), "--resume")
    assert code == 2 and f"{tmp_path}: is a directory: an output is written to a regular file" in stderr


def test_an_output_another_batch_is_writing_is_refused(tmp_path):
    out = tmp_path / "out.ndjson"
    assert batch(str(EXAMPLES / "age-4-port.json"), "-o", str(out))[0] == 0
    with out.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        code, stderr = batch(str(EXAMPLES / "age-4-port.json"), "-o", str(out), "--resume")
    assert code == 2 and "another necessity batch is writing it" in stderr


def test_a_failure_before_the_first_record_leaves_no_output(tmp_path, monkeypatch):
    from reasoner.batch.formats import Ndjson

    def broken(self, outcome):
        raise RuntimeError("a bug in a renderer")

    monkeypatch.setattr(Ndjson, "render", broken)
    out = tmp_path / "out.ndjson"
    with pytest.raises(RuntimeError):
        batch(str(EXAMPLES), "-o", str(out))
    assert not out.exists()


def test_spark_without_pyspark_says_how_to_install_it_and_writes_nothing(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    out = tmp_path / "out.ndjson"
    code, stderr = batch(str(EXAMPLES), "-o", str(out), "--spark", "local[1]")
    assert code == 2 and "--spark needs PySpark: pip install 'necessity[spark]'" in stderr
    assert not out.exists()
