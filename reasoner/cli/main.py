"""The ``necessity`` entry point: finds the commands (each imported when it runs) and maps
necessity's errors to exit code 2."""

from __future__ import annotations

import importlib
import logging
import sys

import click

from reasoner import __version__
from reasoner.errors import NecessityError

# Each command's module is imported only when the command runs, so that a command does not pay for
# the others' libraries (networkx, the FHIR models, the SHACL engine) when it starts.
COMMANDS = {name: f"reasoner.cli.{name}" for name in
            ("determine", "batch", "report", "questionnaire", "explain", "query", "export", "serve", "check",
             "test", "new", "api", "token")}


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        command: click.Command = getattr(importlib.import_module(COMMANDS[name]), name)
        return command

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except NecessityError as exc:
            click.echo(f"necessity: error: {exc}", err=True)
            sys.exit(2)


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--version``: the program's version and the installed knowledge base's (a hash of its files)."""
    if not value or ctx.resilient_parsing:
        return
    from reasoner import resources
    from reasoner.knowledge import content_version

    click.echo(f"necessity {__version__}, knowledge base {content_version(resources.data_root())}")
    ctx.exit()


@click.group(cls=_Group)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version of necessity and of its knowledge base, and exit.")
@click.option("--verbose", is_flag=True,
              help="Log to standard error what necessity does: the knowledge cache it reads or builds (its file "
                   "and version), the engine, and for each claim reviewed its number of lines and the time taken. "
                   "Never patient data: no names, dates, codes, values or identifiers of the request. Without "
                   "--verbose only problems with the cache are logged.")
def cli(verbose: bool) -> None:
    """necessity: decides, and proves, whether each billing code on a claim is medically necessary.

    Decision support, not a decision: a licensed reviewer decides.

    Example: necessity determine examples/seed-aml-port.json
    """
    logging.getLogger().handlers[:] = [logging.NullHandler()]  # libraries' warnings (rdflib's) stay silent
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("necessity: %(message)s"))
    log = logging.getLogger("necessity")
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO if verbose else logging.WARNING)
