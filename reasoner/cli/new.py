"""``necessity new guideline NAME``: the skeleton of a guideline file and of its policy test case."""

from __future__ import annotations

from pathlib import Path

import click

from reasoner.authoring import new_guideline


@click.group()
def new() -> None:
    """Write the skeleton of a new piece of knowledge, to fill in (docs/authoring.md)."""


@new.command()
@click.argument("name")
@click.option("--data", "root", type=click.Path(file_okay=False, exists=True, path_type=Path), default=Path("."),
              show_default=True, help="The copy of the repository (the folder with ontology/, kg/ and queries/) to "
                                      "write into.")
def guideline(name: str, root: Path) -> None:
    """Write kg/guidelines/NAME.ttl and kg/tests/NAME/example.json with its example.expected.json.

    NAME is the issuer, year and subject in lower case with hyphens. What is left to do is marked TODO:
    `necessity check --data .` names each one left, `necessity test kg/tests/NAME` runs the case.

    Example: necessity new guideline asco-2015-wbc-growth-factors
    """
    for path in new_guideline(root, name):
        click.echo(f"wrote {path}")
    click.echo(f"next: fill in each TODO (docs/authoring.md), then necessity check --data {root} and "
               f"necessity test {root / 'kg' / 'tests' / name}")
