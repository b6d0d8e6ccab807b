"""Shared fixtures: paths, a CLI runner, reviews of small requests, and the golden-file flag."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from bundles import bundle, write  # noqa: E402

from reasoner.cli.main import cli  # noqa: E402
from reasoner.cli.options import knowledge as installed  # noqa: E402
from reasoner.pipeline import review  # noqa: E402
from reasoner.results import Determination  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the current output")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the one-line summary each corpus test recorded (``corpus-summary``), also under xdist."""
    lines = sorted({value for reports in terminalreporter.stats.values() for report in reports
                    for key, value in getattr(report, "user_properties", []) if key == "corpus-summary"})
    if lines:
        terminalreporter.section("Corpora and load: one line each")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def run_cli() -> Callable[..., Any]:
    """Run ``necessity`` with arguments; returns click's Result (stdout and stderr kept apart)."""
    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args))
    return run


@pytest.fixture
def decide_lines(tmp_path: Path) -> Callable[..., dict[str, Determination]]:
    """Review a Bundle built by tests/bundles.py and return its determinations by code."""
    def decide(lines: list[Any], **spec: Any) -> dict[str, Determination]:
        path = write(tmp_path, bundle(lines, **spec))
        return {d.code: d for d in review(path, installed()).claims[0].determinations}
    return decide

