"""A batch: every request of the inputs reviewed, in this process, in worker processes or on Spark,
its records written in input order as they come, with a progress bar on a terminal and a summary at
the end."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reasoner.batch.formats import format_named
from reasoner.batch.inputs import Item, count, items, sources
from reasoner.batch.output import Done, open_output
from reasoner.batch.work import Reviewed, review_to_text
from reasoner.engines import Engine
from reasoner.errors import NecessityError
from reasoner.knowledge import Knowledge
from reasoner.processes import stop_with_parent
from reasoner.render import REVIEWER_LINE
from reasoner.results import Status

STATUSES = tuple(Status)
WINDOW = 32  # requests handed to each worker process at a time: the inputs are never all in memory


@dataclass
class Summary:
    """What a batch did: requests reviewed now and found done, lines per status, errors, time."""

    output: str
    knowledge_version: str
    engine: str
    done: Done
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

    def text(self) -> str:
        """The summary for people, several lines."""
        lines = sum(self.statuses.values())
        rate = f"{self.requests / self.seconds:.1f} requests/s, {lines / self.seconds:.1f} lines/s" \
            if self.seconds else "no time"
        counts = ", ".join(f"{status} {self.statuses[status]}" for status in STATUSES)
        head = "interrupted" if self.interrupted else "done"
        text = [f"necessity batch {head}: {self.requests} requests, {lines} claim lines in {self.seconds:.1f} s "
                f"({rate})",
                f"  lines: {counts}",
                f"  requests with an error: {self.errors}" +
                (f" (and {self.done.errors} in the {len(self.done.requests)} requests already in the output)"
                 if self.done.requests else ""),
                f"  written to {self.output}; knowledge base {self.knowledge_version}; {self.engine} engine",
                *([f"  the output now holds {len(self.done.requests) + self.requests} requests"]
                  if self.done.requests else []),
                f"  {REVIEWER_LINE}"]
        if self.interrupted and self.resumable:
            text.append("  rerun the same command with --resume to finish the batch")
        return "\n".join(text) + "\n"


def run_batch(inputs: list[str], out: str, knowledge: Knowledge, engine: Engine, output_format: str = "ndjson",
              workers: int = 1, resume: bool = False, spark: str | None = None,
              progress: bool | None = None) -> Summary:
    """Review every request of ``inputs`` with ``knowledge`` and ``engine`` and write its records to ``out``
    (``-``: standard output) as they come. ``workers`` processes (or the Spark master ``spark``) review
    them, each loading the same knowledge; ``resume`` finishes an interrupted batch. A progress bar shows
    on a terminal (``progress`` None) or when asked."""
    form = format_named(output_format)
    listed = sources(inputs, out)
    if spark is not None:
        from reasoner.spark import require_pyspark

        require_pyspark()
    version = knowledge.version
    output = open_output(out, form, version, resume)
    summary = Summary(out, version, engine.name, output.done, resumable=output.file)
    todo = _not_done(items(listed), output.done, out)
    total = count(listed) if (sys.stderr.isatty() if progress is None else progress) else None
    bar = _progress(None if total is None else total - len(output.done.requests), progress)
    started = time.perf_counter()
    try:
        for reviewed in _reviewed(todo, output_format, knowledge, engine, workers, spark):
            output.write_request(reviewed.text)
            summary.add(reviewed)
            bar.update(1)
            bar.set_postfix_str(f"{sum(summary.statuses.values())} lines, {summary.errors} errors", refresh=False)
    except KeyboardInterrupt:
        summary.interrupted = True
    except BaseException:
        output.close(failed=True)
        raise
    finally:
        summary.seconds = time.perf_counter() - started
        bar.close()
        output.close()
    return summary


def _not_done(todo: Iterable[Item], done: Done, out: str) -> Iterator[Item]:
    """The items not in the output yet. An output is written in input order, so what it holds must be the
    first requests of the inputs; if not, it was written from other inputs and is refused."""
    found = 0
    for item in todo:
        if item.request in done.requests:
            if done.requests[item.request] != item.digest:
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


def _reviewed(todo: Iterator[Item], output_format: str, knowledge: Knowledge, engine: Engine, workers: int,
              spark: str | None) -> Iterable[Reviewed]:
    if spark is not None:
        from reasoner.spark import reviewed_on_spark

        return reviewed_on_spark(todo, spark, output_format, knowledge, engine.name)
    if workers == 1:
        return (review_to_text(item, output_format, knowledge, engine) for item in todo)
    return _in_processes(todo, output_format, knowledge, engine.name, workers)


def _in_processes(todo: Iterator[Item], output_format: str, knowledge: Knowledge, engine: str,
                  workers: int) -> Iterator[Reviewed]:
    """Reviewed by ``workers`` processes, in input order, a window of requests at a time. A worker that
    dies (killed, out of memory) stops the batch with an error; what was written stays for --resume.

    Each worker stops when this process dies, even by SIGKILL (``stop_with_parent``). The kernel signals
    when the *thread* that started the worker ends, so this thread, which outlives the pool, starts them
    all: with the "spawn" context the pool starts workers from the thread that submits work (all of them
    at the first window), and from its management thread only to replace a worker ended by
    ``max_tasks_per_child``, not set here. ("fork" would copy locks other threads hold; "forkserver"
    would make the workers the fork server's children, not this process's.)"""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(os.getpid(), knowledge.root, knowledge.version, engine)) as pool:
        while window := list(itertools.islice(todo, workers * WINDOW)):
            try:
                yield from pool.map(_WorkerTask(output_format), window)
            except BrokenProcessPool as exc:
                raise NecessityError("a worker process died (killed, or out of memory): the requests written so "
                                     "far are kept; rerun the same command with --resume") from exc


def _start_worker(parent: int, root: Path, version: str, engine: str) -> None:
    """In a worker process, its edge: stop when the batch process ``parent`` dies, leave Ctrl-C to the batch
    (which stops the workers), and load the batch's knowledge (of ``root``, from the cache) and engine once."""
    stop_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    knowledge = Knowledge.load(root)
    if knowledge.version != version:
        raise NecessityError(f"a worker read knowledge {knowledge.version}, the batch has {version}: the knowledge "
                             "files changed while the batch started")
    _WORKER["knowledge"], _WORKER["engine"] = knowledge, knowledge.engine(engine)


# The knowledge and engine of a worker process, set once by _start_worker (never in the batch's own process).
_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class _WorkerTask:
    output_format: str

    def __call__(self, item: Item) -> Reviewed:
        return review_to_text(item, self.output_format, _WORKER["knowledge"], _WORKER["engine"])


class Bar(Protocol):
    """A progress bar: what the batch uses of tqdm's."""

    def update(self, n: int) -> object:
        """Count ``n`` more requests done."""
        ...

    def set_postfix_str(self, text: str, refresh: bool = True) -> object:
        """Show ``text`` after the bar."""
        ...

    def close(self) -> object:
        """Leave the bar as it is."""
        ...


def _progress(total: int | None, shown: bool | None) -> Bar:
    """A progress bar on standard error with rate and ETA (tqdm), or one that shows nothing."""
    if not (sys.stderr.isatty() if shown is None else shown):
        return _NoBar()
    from tqdm import tqdm

    bar: Bar = tqdm(total=total, unit=" requests", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
    return bar


class _NoBar:
    """No progress bar: what tqdm's bar offers, doing nothing."""

    def update(self, n: int) -> None:
        """Nothing."""

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        """Nothing."""

    def close(self) -> None:
        """Nothing."""
