"""``necessity determine``: one cited determination per claim line."""

from __future__ import annotations

import click

from reasoner.cli.options import claim_option, format_option, request_argument
from reasoner.pipeline import review
from reasoner.render.json import render_json
from reasoner.render.text import render_text


@click.command()
@request_argument
@claim_option
@format_option
def determine(request: str, claim_id: str | None, output_format: str) -> None:
    """Decide whether each claim line of REQUEST is medically necessary, and show why.

    REQUEST is a FHIR R4 Bundle (.json) or the same facts in Turtle (.ttl).

    Example: necessity determine examples/seed-aml-port.json --format json
    """
    result = review(request, claim_id)
    click.echo(render_json(result) if output_format == "json" else render_text(result), nl=False)
