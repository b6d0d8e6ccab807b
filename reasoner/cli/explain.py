"""``necessity explain``: the proof of one claim line as a tree."""

from __future__ import annotations

from datetime import date

import click

from reasoner.cli.options import as_of_option, claim_option, engine_option, knowledge, request_argument
from reasoner.engines import Engine
from reasoner.explain import explain as explain_line
from reasoner.render.explain import render_explanations


@click.command()
@request_argument
@click.option("--code", required=True, metavar="CODE", help="The billed code of the line to explain.")
@claim_option
@click.option("--format", "output_format", type=click.Choice(["text", "json", "mermaid"]), default="text",
              show_default=True, help="Output format (mermaid: a flowchart for a Markdown viewer).")
@engine_option
@as_of_option
def explain(request: str, code: str, claim_id: str | None, output_format: str, engine: Engine,
            as_of: date | None) -> None:
    """Show the proof of the claim line billed with CODE: each recommendation and rule considered,
    its criteria with the facts that decide them, its guideline and citations, and, for a line that
    is not justified, the smallest set of facts that would change its status.

    Example: necessity explain examples/seed-aml-port.json --code P9037
    """
    explanations = explain_line(request, code, knowledge(), engine, claim_id, as_of)
    click.echo(render_explanations(explanations, output_format), nl=False)
