"""``necessity determine``: one cited determination per claim line."""

from __future__ import annotations

from datetime import date

import click

from reasoner.cli.options import (
    as_of_option,
    claim_option,
    engine_option,
    exit_if_rejected,
    format_option,
    knowledge,
    request_argument,
    strict_option,
)
from reasoner.engines import Engine
from reasoner.pipeline import review
from reasoner.render.fhir import render_fhir
from reasoner.render.json import render_json
from reasoner.render.text import render_text


@click.command()
@request_argument
@claim_option
@format_option
@engine_option
@as_of_option
@strict_option
def determine(request: str, claim_id: str | None, output_format: str, engine: Engine, as_of: date | None,
              strict: bool) -> None:
    """Decide whether each claim line of REQUEST is medically necessary, and show why.

    REQUEST is a FHIR R4 Bundle (.json) or the same facts in Turtle (.ttl). --format fhir writes a
    FHIR R4 Bundle with one ClaimResponse per Claim (Da Vinci PAS review actions).

    Example: necessity determine examples/seed-aml-port.json --format json
    """
    result = review(request, knowledge(), engine, claim_id, as_of, strict)
    renderers = {"json": render_json, "fhir": render_fhir, "text": render_text}
    click.echo(renderers[output_format](result), nl=False)
    exit_if_rejected(result)
