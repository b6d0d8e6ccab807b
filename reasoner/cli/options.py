"""Options and endings shared by the commands, and the process's one knowledge: loaded once, at this
edge, and passed to every operation below it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from reasoner.knowledge import Knowledge

request_argument = click.argument("request", type=click.Path(dir_okay=False, path_type=str))
claim_option = click.option("--claim", "claim_id", default=None, metavar="ID", help="Review only this Claim (its id).")
format_option = click.option("--format", "output_format", type=click.Choice(["text", "json", "fhir"]), default="text",
                             show_default=True, help="Output format.")
engine_option = click.option("--engine", type=click.Choice(["fast", "reference"]), default="fast", show_default=True,
                             callback=lambda ctx, param, value: knowledge().engine(value),
                             help="Inference engine: fast (compiled OWL 2 RL rules) or reference (owlrl's full "
                                  "closure; seconds per claim).")

as_of_option = click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="DATE",
                            callback=lambda ctx, param, value: value.date() if value else None,
                            help="Apply the guidelines, rules and codes in force on DATE (YYYY-MM-DD) instead of "
                                 "each line's date of service.")

strict_option = click.option("--strict", is_flag=True, default=False,
                             help="Refuse a request with a lab unit that cannot be converted (exit 2) instead of "
                                  "leaving that lab unknown.")


def knowledge(root: Path | None = None) -> Knowledge:
    """The installed knowledge, loaded on first use (from its cache on disk) and kept for this process; with
    ``root``, the knowledge of that data folder instead (``--data``), loaded, not kept."""
    if root is not None:
        from reasoner.knowledge import Knowledge

        return Knowledge.load(root)
    if _LOADED is None:
        from reasoner.knowledge import Knowledge

        globals()["_LOADED"] = Knowledge.load()
    assert _LOADED is not None
    return _LOADED


_LOADED: Knowledge | None = None


def exit_if_rejected(review: Any) -> None:
    """After the output is written: name each claim that could not be reviewed, and exit with code 1."""
    for rejected in review.rejected:
        click.echo(f"necessity: error: {rejected.source} was not reviewed: {rejected.error}", err=True)
    if review.rejected:
        sys.exit(1)
