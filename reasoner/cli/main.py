"""The ``necessity`` entry point: adds the commands and maps necessity's errors to exit code 2."""

from __future__ import annotations

import sys

import click

from reasoner import __version__
from reasoner.cli.check import check
from reasoner.cli.determine import determine
from reasoner.cli.explain import explain
from reasoner.cli.export import export
from reasoner.cli.query import query
from reasoner.cli.questionnaire import questionnaire
from reasoner.cli.report import report
from reasoner.cli.serve import serve
from reasoner.errors import NecessityError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except NecessityError as exc:
            click.echo(f"necessity: error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="necessity")
def cli() -> None:
    """necessity: decides, and proves, whether each billing code on a claim is medically necessary.

    Decision support, not a decision: a licensed reviewer decides.

    Example: necessity determine examples/seed-aml-port.json
    """


cli.add_command(determine)
cli.add_command(check)
cli.add_command(query)
cli.add_command(explain)
cli.add_command(export)
cli.add_command(serve)
cli.add_command(questionnaire)
cli.add_command(report)
