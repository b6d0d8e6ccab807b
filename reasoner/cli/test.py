"""``necessity test``: run the policy test cases (``kg/tests/``) against the knowledge."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reasoner import resources
from reasoner.cli.options import knowledge
from reasoner.policy_tests import find_cases, run_cases, summary


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--data", "root", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="A folder with ontology/, kg/ and queries/ to test instead of the installed knowledge base "
                   "(and whose kg/tests/ is the default PATH).")
def test(path: Path | None, root: Path | None) -> None:
    """Review each policy test case under PATH and compare it with its expected file.

    PATH is a folder of cases (default: the knowledge's kg/tests/), a source's folder such as
    kg/tests/aabb-2015-platelet-transfusion/, or one case (its request or its .expected.json). Prints
    one line per mismatch, then how many cases passed and failed; exit code 1 when any failed.

    Example: necessity test kg/tests/asa-2018-moderate-sedation
    """
    cases = find_cases(path or _near(resources.policy_test_dir(root)))
    outcomes = run_cases(cases, knowledge(root))
    for outcome in outcomes:
        for failure in outcome.failures:
            click.echo(failure)
    click.echo(summary(outcomes))
    if not all(outcome.passed for outcome in outcomes):
        sys.exit(1)


def _near(path: Path) -> Path:
    """``path`` relative to the working folder when it is under it (shorter messages), else as it is."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
