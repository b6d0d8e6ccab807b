"""``necessity token``: a bearer token for a client of ``necessity api``."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("name")
@click.option("--token-file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file the token's hash is appended to (created if missing).")
def token(name: str, token_file: Path) -> None:
    """Make a bearer token for client NAME: its SHA-256 is appended to --token-file, the token printed once.

    Example: necessity token ehr-1 --token-file tokens.txt
    """
    from reasoner.api.tokens import new_token

    secret, line = new_token(name)
    with token_file.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    token_file.chmod(0o600)
    click.echo(secret)
