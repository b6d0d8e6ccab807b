"""What a batch is asked to do, as one frozen value that checks itself when made: its inputs, its
output, the output's format and whether to resume. How it runs (``executors.py``) and how it is shown
(the CLI's progress bar and summary) are not part of it. What needs the disk (the inputs exist, the
output may be resumed) is checked when the batch starts, before anything is written."""

from __future__ import annotations

from dataclasses import dataclass

from reasoner.batch.formats import FORMATS
from reasoner.errors import NecessityError


@dataclass(frozen=True)
class BatchConfig:
    """A batch: review every request of ``inputs`` (files, folders, NDJSON, ``-`` for standard input) and write
    one record per claim line to ``output`` (``-``: standard output) in ``output_format``; ``resume`` finishes
    an interrupted batch of the same inputs."""

    inputs: tuple[str, ...]
    output: str
    output_format: str = "ndjson"
    resume: bool = False

    def __post_init__(self) -> None:
        if not self.inputs:
            raise NecessityError("a batch needs at least one input")
        if not self.output:
            raise NecessityError("a batch needs an output (-o OUT; '-' for standard output)")
        if self.output_format not in FORMATS:
            raise NecessityError(f"--format {self.output_format}: the formats are {', '.join(FORMATS)}")
