"""Where a batch's requests are reviewed, behind one protocol: ``Executor.reviewed(todo, output_format)``
gives each item's records rendered, in input order, as they come. ``Sequential`` reviews them in
this process; ``ProcessPool`` in worker processes, a window of requests at a time; ``OnSpark`` on a
Spark master (``reasoner/spark.py``). Each worker process and Spark executor loads the batch's
knowledge once, at its own edge, and reads the request files itself (``read_item``)."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from reasoner.batch.inputs import Item
from reasoner.batch.work import Reviewed, review_to_text
from reasoner.engines import Engine
from reasoner.errors import NecessityError
from reasoner.knowledge import Knowledge
from reasoner.processes import stop_with_parent

WINDOW = 32  # requests handed to each worker process at a time: the inputs are never all in memory


class Executor(Protocol):
    """Reviews a batch's items and renders their records."""

    @property
    def name(self) -> str:
        """What the summary calls it."""
        ...

    def reviewed(self, todo: Iterator[Item], output_format: str) -> Iterable[Reviewed]:
        """Each item of ``todo`` reviewed and rendered in ``output_format``, in input order."""
        ...


@dataclass(frozen=True)
class Sequential:
    """In this process, one request after another."""

    knowledge: Knowledge
    engine: Engine
    name: str = "one process"

    def reviewed(self, todo: Iterator[Item], output_format: str) -> Iterable[Reviewed]:
        """Each item reviewed here, as it is read."""
        return (review_to_text(item, output_format, self.knowledge, self.engine) for item in todo)


@dataclass(frozen=True)
class ProcessPool:
    """In ``workers`` processes, each loading the knowledge of ``knowledge.root`` once (from the cache)."""

    knowledge: Knowledge
    engine: Engine
    workers: int
    name: str = "worker processes"

    def reviewed(self, todo: Iterator[Item], output_format: str) -> Iterable[Reviewed]:
        """Reviewed by the worker processes, in input order, a window of requests at a time. A worker that
        dies (killed, out of memory) stops the batch with an error; what was written stays for --resume.

        Each worker stops when this process dies, even by SIGKILL (``stop_with_parent``). The kernel signals
        when the *thread* that started the worker ends, so this thread, which outlives the pool, starts them
        all: with the "spawn" context the pool starts workers from the thread that submits work (all of them
        at the first window), and from its management thread only to replace a worker ended by
        ``max_tasks_per_child``, not set here. ("fork" would copy locks other threads hold; "forkserver"
        would make the workers the fork server's children, not this process's.)"""
        context = multiprocessing.get_context("spawn")
        start = (os.getpid(), self.knowledge.root, self.knowledge.version, self.engine.name)
        with ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker, initargs=start) as pool:
            while window := list(itertools.islice(todo, self.workers * WINDOW)):
                try:
                    yield from pool.map(_WorkerTask(output_format), window)
                except BrokenProcessPool as exc:
                    raise NecessityError("a worker process died (killed, or out of memory): the requests written "
                                         "so far are kept; rerun the same command with --resume") from exc


@dataclass(frozen=True)
class OnSpark:
    """On the Spark master ``master`` (``local[2]``, a cluster's URL)."""

    knowledge: Knowledge
    engine: Engine
    master: str
    name: str = "Spark"

    def __post_init__(self) -> None:
        from reasoner.spark import require_pyspark

        require_pyspark()

    def reviewed(self, todo: Iterator[Item], output_format: str) -> Iterable[Reviewed]:
        """Reviewed by Spark's executors, in input order, as they come back to this process."""
        from reasoner.spark import reviewed_on_spark

        return reviewed_on_spark(todo, self.master, output_format, self.knowledge, self.engine.name)


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
