"""A batch as an operation: every request of a ``BatchConfig`` reviewed on an executor (this process,
worker processes, Spark: ``executors.py``), its records written in input order as they come, and a
``Summary`` of what was done. Showing it (a progress bar, the summary's text) is the CLI's."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from reasoner.batch.config import BatchConfig
from reasoner.batch.executors import Executor
from reasoner.batch.formats import format_named
from reasoner.batch.inputs import Item, count, items, read_item, sources
from reasoner.batch.output import Done, open_output
from reasoner.batch.work import Reviewed
from reasoner.engines import Engine
from reasoner.errors import NecessityError
from reasoner.knowledge import Knowledge


@dataclass
class Summary:
    """What a batch did so far: requests reviewed now and found done, lines per status, errors, time."""

    output: str
    knowledge_version: str
    engine: str
    executor: str
    done: Done
    total: int | None = None  # requests this run has to review, when the inputs can be counted
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    resumable: bool = True  # a regular file; not standard output, a character device or a named pipe

    def add(self, reviewed: Reviewed) -> None:
        """Count one request done."""
        self.requests += 1
        self.statuses += reviewed.statuses
        self.errors += bool(reviewed.errors)

    @property
    def failed(self) -> bool:
        """Whether any request of the output, this run's or an earlier one's, has an error."""
        return bool(self.errors or self.done.errors)

    @property
    def lines(self) -> int:
        """The claim lines reviewed in this run."""
        return sum(self.statuses.values())


def run_batch(config: BatchConfig, knowledge: Knowledge, engine: Engine, executor: Executor,
              on_progress: Callable[[Summary], None] | None = None) -> Summary:
    """Review every request of ``config`` with ``knowledge`` and ``engine`` on ``executor``, write its records
    to the output as they come, and return what was done; ``on_progress`` is told after each request (and once
    before the first, with ``Summary.total`` set when the inputs can be counted). Ctrl-C ends the batch with
    ``Summary.interrupted``; what was written stays, for ``--resume``."""
    form = format_named(config.output_format)
    listed = sources(list(config.inputs), config.output)
    output = open_output(config.output, form, knowledge.version, config.resume)
    summary = Summary(config.output, knowledge.version, engine.name, executor.name, output.done,
                      resumable=output.file)
    if on_progress is not None:
        counted = count(listed)
        summary.total = None if counted is None else counted - len(output.done.requests)
        on_progress(summary)
    todo = _not_done(items(listed), output.done, config.output)
    started = time.perf_counter()
    try:
        for reviewed in executor.reviewed(todo, config.output_format):
            output.write_request(reviewed.text)
            summary.add(reviewed)
            if on_progress is not None:
                on_progress(summary)
    except KeyboardInterrupt:
        summary.interrupted = True
    except BaseException:
        output.close(failed=True)
        raise
    finally:
        summary.seconds = time.perf_counter() - started
        output.close()
    return summary


def _not_done(todo: Iterable[Item], done: Done, out: str) -> Iterator[Item]:
    """The items not in the output yet. An output is written in input order, so what it holds must be the
    first requests of the inputs; if not, it was written from other inputs and is refused."""
    found = 0
    for item in todo:
        if item.request in done.requests:
            if done.requests[item.request] != read_item(item).digest:
                raise NecessityError(f"{out}: {item.request} has changed since it was reviewed (its SHA-256 "
                                     "differs): resume with the inputs the output was written from")
            found += 1
            continue
        if found < len(done.requests):
            raise NecessityError(f"{out}: holds {len(done.requests) - found} requests that are not the first "
                                 f"requests of these inputs (the first not in it: {item.request}): resume "
                                 "with the inputs it was written from")
        yield item
    if found < len(done.requests):
        raise NecessityError(f"{out}: holds {len(done.requests) - found} requests that are not among these "
                             "inputs: resume with the inputs it was written from")
