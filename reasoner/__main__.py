"""``python -m reasoner``: the same as the ``necessity`` command."""

from reasoner.cli.main import cli

cli(prog_name="necessity")
