"""``necessity batch``: many requests, one record per claim line, written as they are reviewed."""

from __future__ import annotations

import sys

import click

from reasoner.batch.formats import FORMATS
from reasoner.batch.run import run_batch
from reasoner.cli.options import engine_option, knowledge
from reasoner.engines import Engine


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
    try:
        summary = run_batch(list(inputs), out, knowledge(), engine, output_format, workers, resume, master, progress)
    except KeyboardInterrupt:  # before the first request: nothing written
        click.echo("necessity batch interrupted before it began", err=True)
        sys.exit(130)
    click.echo(summary.text(), err=True, nl=False)
    if summary.interrupted:
        sys.exit(130)
    if summary.failed:
        sys.exit(1)
