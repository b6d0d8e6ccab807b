"""``necessity batch``: many requests, one record per claim line, written as they are reviewed."""

from __future__ import annotations

import sys
from typing import Any

import click

from reasoner.batch.config import BatchConfig
from reasoner.batch.executors import Executor, OnSpark, ProcessPool, Sequential
from reasoner.batch.formats import FORMATS
from reasoner.batch.run import Summary, run_batch
from reasoner.cli.options import engine_option, knowledge
from reasoner.engines import Engine
from reasoner.render import REVIEWER_LINE
from reasoner.results import Status


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", "out", required=True, metavar="OUT",
              help="The output file (a new one, or the one to --resume); '-' writes to standard output.")
@click.option("--format", "output_format", type=click.Choice(list(FORMATS)), default="ndjson", show_default=True,
              help="ndjson: one JSON record per claim line or error; csv: the same records as rows; fhir: FHIR "
                   "NDJSON, a ClaimResponse per claim and an OperationOutcome per error.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes reviewing requests (each loads the knowledge base once).")
@click.option("--resume", is_flag=True,
              help="Finish an interrupted batch: keep what OUT holds, review only the requests it lacks.")
@click.option("--spark", "master", default=None, metavar="MASTER",
              help="Review on Apache Spark (e.g. local[2]); needs the extra necessity[spark] and Java 17+.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar on standard error (default: when it is a terminal).")
@engine_option
def batch(inputs: tuple[str, ...], out: str, output_format: str, workers: int, resume: bool, master: str | None,
          progress: bool | None, engine: Engine) -> None:
    """Review every request of INPUT... and write one record per claim line to OUT as it goes.

    INPUT is a request file (.json, .ttl), a folder of them (and of .ndjson files; not its subfolders), or
    NDJSON: one FHIR Bundle per line ('-' reads standard input). A request that cannot be reviewed is an
    error record, and the batch goes on. A summary ends the run on standard error; the exit code is 1 if
    any request of OUT has an error, 130 if the batch was interrupted (rerun it with --resume).

    Example: necessity batch examples -o reviews.ndjson
    """
    config = BatchConfig(tuple(inputs), out, output_format, resume)
    chosen = knowledge()
    executor: Executor = OnSpark(chosen, engine, master) if master is not None else \
        Sequential(chosen, engine) if workers == 1 else ProcessPool(chosen, engine, workers)
    bar = _Bar() if (sys.stderr.isatty() if progress is None else progress) else None
    try:
        summary = run_batch(config, chosen, engine, executor, bar.show if bar else None)
    except KeyboardInterrupt:  # before the first request: nothing written
        click.echo("necessity batch interrupted before it began", err=True)
        sys.exit(130)
    finally:
        if bar:
            bar.close()
    click.echo(summary_text(summary), err=True, nl=False)
    if summary.interrupted:
        sys.exit(130)
    if summary.failed:
        sys.exit(1)


def summary_text(summary: Summary) -> str:
    """The summary of a batch for people, several lines."""
    rate = f"{summary.requests / summary.seconds:.1f} requests/s, {summary.lines / summary.seconds:.1f} lines/s" \
        if summary.seconds else "no time"
    counts = ", ".join(f"{status} {summary.statuses[status]}" for status in Status)
    head = "interrupted" if summary.interrupted else "done"
    done = summary.done
    text = [f"necessity batch {head}: {summary.requests} requests, {summary.lines} claim lines in "
            f"{summary.seconds:.1f} s ({rate})",
            f"  lines: {counts}",
            f"  requests with an error: {summary.errors}" +
            (f" (and {done.errors} in the {len(done.requests)} requests already in the output)"
             if done.requests else ""),
            f"  written to {summary.output}; knowledge base {summary.knowledge_version}; {summary.engine} engine",
            *([f"  the output now holds {len(done.requests) + summary.requests} requests"] if done.requests else []),
            f"  {REVIEWER_LINE}"]
    if summary.interrupted and summary.resumable:
        text.append("  rerun the same command with --resume to finish the batch")
    return "\n".join(text) + "\n"


class _Bar:
    """A progress bar on standard error with rate and ETA (tqdm), made when the batch tells how much it has."""

    def __init__(self) -> None:
        self.bar: Any = None

    def show(self, summary: Summary) -> None:
        """Show the requests done, the lines and the errors so far."""
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=summary.total, unit=" requests", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
            return
        self.bar.update(1)
        self.bar.set_postfix_str(f"{summary.lines} lines, {summary.errors} errors", refresh=False)

    def close(self) -> None:
        """Leave the bar as it is."""
        if self.bar is not None:
            self.bar.close()
