"""A batch as an operation: the config checks itself, request files are listed by path and read where they
are reviewed, and run_batch reports its progress to whoever shows it, not to a terminal of its own."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from reasoner.batch.config import BatchConfig
from reasoner.batch.executors import Sequential
from reasoner.batch.inputs import items, read_item, sources
from reasoner.batch.run import run_batch
from reasoner.cli.options import knowledge as installed
from reasoner.errors import NecessityError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("arguments, problem", [
    ({"inputs": (), "output": "out.ndjson"}, "at least one input"),
    ({"inputs": ("a.json",), "output": ""}, "needs an output"),
    ({"inputs": ("a.json",), "output": "out", "output_format": "xml"}, "the formats are ndjson, csv, fhir"),
])
def test_a_config_that_cannot_run_is_refused_when_made(arguments, problem):
    with pytest.raises(NecessityError, match=problem):
        BatchConfig(**arguments)


def test_a_config_is_frozen():
    config = BatchConfig(("a.json",), "out.ndjson")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.resume = True  # type: ignore[misc]


def test_request_files_are_listed_by_path_and_read_where_they_are_reviewed():
    listed = [item for item in items(sources([str(EXAMPLES)])) if item.request.endswith("seed-aml-port.json")]
    [item] = listed
    assert item.data == b"" and item.path == str(EXAMPLES / "seed-aml-port.json")
    read = read_item(item)
    assert read.data == (EXAMPLES / "seed-aml-port.json").read_bytes() and read.digest and read.path is None


def test_a_file_gone_before_it_is_reviewed_is_an_error_item(tmp_path):
    request = tmp_path / "r.json"
    request.write_text("{}")
    [item] = list(items(sources([str(request)])))
    request.unlink()
    assert "cannot be read" in str(read_item(item).error)


def test_run_batch_tells_its_progress_to_the_caller(tmp_path):
    knowledge = installed()
    engine = knowledge.engine("fast")
    seen: list[tuple[int | None, int]] = []
    out = tmp_path / "out.ndjson"
    config = BatchConfig((str(EXAMPLES / "seed-aml-port.json"), str(EXAMPLES / "age-4-port.json")), str(out))
    summary = run_batch(config, knowledge, engine, Sequential(knowledge, engine),
                        lambda s: seen.append((s.total, s.requests)))
    assert seen == [(2, 0), (2, 1), (2, 2)]
    assert summary.requests == 2 and summary.lines == 17 and not summary.failed
    records = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    assert {r["request"] for r in records} == {str(EXAMPLES / "seed-aml-port.json"), str(EXAMPLES / "age-4-port.json")}
