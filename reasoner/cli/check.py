"""``necessity check``: lint the knowledge base."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reasoner.check import check_knowledge, knowledge_counts


@click.command()
@click.option("--data", "root", default=None,
              type=click.Path(file_okay=False, exists=True, resolve_path=True, path_type=Path),
              help="A folder with ontology/, kg/ and queries/ to check instead of the installed knowledge base.")
def check(root: Path | None) -> None:
    """Check the knowledge base: files and queries parse, shapes hold, every code named exists.

    Prints each problem (exit code 1), or the knowledge base's counts (exit code 0).

    Example: necessity check
    """
    problems = check_knowledge(root)
    for problem in problems:
        click.echo(f"{problem.where}: {problem.message}")
    if problems:
        click.echo(f"necessity check: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(passing_line(knowledge_counts(root)))


def passing_line(counts: dict[str, int]) -> str:
    """The line ``necessity check`` prints when the knowledge base passes, with its counts."""
    return f"necessity check: the knowledge base passes ({describe_counts(counts)})"


def describe_counts(counts: dict[str, int]) -> str:
    """The knowledge base's counts as ``necessity check`` prints them: "16 recommendations, 28 coding rules, ..."."""
    return ", ".join(f"{count} {name}" for name, count in counts.items())
