"""necessity on Spark (local[2]): the same records as the single-process batch. Needs the extra
``necessity[spark]`` and Java; marked ``spark``, deselected by default, run by CI (``pytest -m spark``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reasoner.batch.records import FIELDS
from reasoner.cli.options import knowledge as installed
from tests.batch.test_batch import BAD, EXAMPLES, batch, compact, records

pytestmark = pytest.mark.spark
# The examples give no needs-info line since knowledge v2 decided 85610; a policy test adds one.
NEEDS_INFO = EXAMPLES.parent / "kg" / "tests" / "cms-lcd-l33797-oxygen" / "no-blood-gas-study-needs-info.json"
BUNDLES = sorted(EXAMPLES.glob("*.json")) + [NEEDS_INFO, BAD / "not-json.json", BAD / "one-bad-claim.json"]


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from reasoner.spark import session

    spark = session("local[2]")
    yield spark
    spark.stop()


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The single-process batch of the Bundles."""
    out = tmp_path_factory.mktemp("single") / "out.ndjson"
    assert batch(*map(str, BUNDLES), "-o", str(out))[0] == 1
    return out


def test_determinations_of_a_dataframe_equal_the_single_process_batch(spark, single):
    from reasoner.spark import determinations

    frame = spark.createDataFrame([(str(p), p.read_text(encoding="utf-8")) for p in BUNDLES], ["request", "bundle"])
    result = determinations(frame, installed())
    assert result.columns == list(FIELDS)
    rows = [row.asDict() for row in result.collect()]
    assert rows == records(single)
    assert {r["status"] for r in rows} >= {"justified", "not-justified", "needs-info", "coding-error"}
    assert [r["record"] for r in rows].count("error") == 2


def test_determinations_of_an_rdd_of_strings_name_requests_by_their_place(spark):
    from reasoner.spark import determinations

    texts = [compact(EXAMPLES / "age-4-port.json"), "not json"]
    rows = [row.asDict() for row in determinations(spark.sparkContext.parallelize(texts, 2), installed()).collect()]
    assert [(r["request"], r["record"], r["code"]) for r in rows] == [
        ("row 1", "line", "36561"), ("row 1", "line", "99152"), ("row 2", "error", None)]
    assert rows[2]["error"] == "row 2: -: line 1 column 1: not JSON: Expecting value"


def test_batch_on_spark_writes_what_one_process_writes(single, tmp_path):
    out = tmp_path / "out.ndjson"
    done = subprocess.run([sys.executable, "-m", "reasoner", "batch", *map(str, BUNDLES), "-o", str(out),
                           "--spark", "local[2]"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    assert f"necessity batch done: {len(BUNDLES)} requests" in done.stderr
    assert out.read_bytes() == single.read_bytes()
    assert all(json.loads(line)["knowledge_base_version"] for line in out.read_text().splitlines())


def test_batch_on_spark_records_requests_that_could_not_be_read(tmp_path):
    out, seed = tmp_path / "out.ndjson", str(EXAMPLES / "age-4-port.json")
    command = [sys.executable, "-m", "reasoner", "batch", seed, seed, "-o", str(out), "--spark", "local[1]"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    assert [r["error"] for r in records(out) if r["record"] == "error"] == [
        f"{seed}: -: -: named again in this batch: reviewed once"]


def test_batch_on_spark_of_an_ndjson_file_writes_what_one_process_writes(tmp_path):
    # The driver lists the file's lines by their places; the executors read them.
    source = tmp_path / "in.ndjson"
    source.write_text("".join(compact(p) + "\n" for p in sorted(EXAMPLES.glob("*.json"))) + "not json\n",
                      encoding="utf-8")
    one, spread = tmp_path / "one.ndjson", tmp_path / "spark.ndjson"
    assert batch(str(source), "-o", str(one))[0] == 1
    done = subprocess.run([sys.executable, "-m", "reasoner", "batch", str(source), "-o", str(spread),
                           "--spark", "local[2]"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    assert spread.read_bytes() == one.read_bytes()
    assert len({r["request"] for r in records(one)}) == 7  # six examples and the line that is not JSON
