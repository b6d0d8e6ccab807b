"""``necessity report``: a review report for a nurse or a medical director."""

from __future__ import annotations

from pathlib import Path

import click

from reasoner.cli.options import claim_option, engine_option, exit_if_rejected, knowledge, request_argument
from reasoner.engines import Engine
from reasoner.errors import NecessityError
from reasoner.files import destination, write_whole
from reasoner.render.report import render_report
from reasoner.report import review_report

FORMATS = {".md": "md", ".html": "html", ".htm": "html"}


@click.command()
@request_argument
@claim_option
@click.option("-o", "--output", "output", required=True, metavar="FILE",  # checked by reasoner/files.py
              help="The report to write: FILE.md (Markdown) or FILE.html (one offline page).")
@engine_option
def report(request: str, claim_id: str | None, output: str, engine: Engine) -> None:
    """Write a review report of REQUEST: the patient summary, a table of claim lines with status,
    deciding recommendation and sources, the documentation still missing, the warnings, a proof
    picture per line, the knowledge base version and the reviewer line.

    Example: necessity report examples/seed-aml-port.json -o seed-report.html
    """
    path = Path(output)
    if path.suffix.lower() not in FORMATS:
        raise NecessityError(f"{output}: the report is written as .md or .html")
    destination(path)  # refused before the review if it is not somewhere a report can be written
    result = review_report(request, knowledge(), engine, claim_id)
    write_whole(path, render_report(result, FORMATS[path.suffix.lower()]).encode("utf-8"))
    exit_if_rejected(result.review)
