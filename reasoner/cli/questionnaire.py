"""``necessity questionnaire``: the documentation a claim line billed with a code needs."""

from __future__ import annotations

import click

from reasoner.cli.options import knowledge
from reasoner.questionnaire import documentation_needs
from reasoner.render.questionnaire import render_questionnaire


@click.command()
@click.argument("code")
@click.option("--format", "output_format", type=click.Choice(["fhir", "text"]), default="fhir", show_default=True,
              help="fhir: a FHIR R4 Questionnaire (JSON); text: the questions and what asks each.")
def questionnaire(code: str, output_format: str) -> None:
    """Print the documentation a claim line billed with CODE may need, generated from the knowledge
    base: a FHIR R4 Questionnaire whose item linkIds are those determine reads from a
    QuestionnaireResponse.

    Example: necessity questionnaire 76937 --format text
    """
    click.echo(render_questionnaire(documentation_needs(code, knowledge()), output_format), nl=False)
