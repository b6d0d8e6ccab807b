"""``necessity api`` and ``necessity token`` at the command line: what is refused before anything listens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasoner.api.tokens import Tokens


def test_insecure_no_auth_is_refused_on_an_address_that_is_not_loopback(run_cli: Any) -> None:
    result = run_cli("api", "--insecure-no-auth", "--host", "0.0.0.0")
    assert result.exit_code == 2 and "only on loopback" in result.output


def test_the_api_needs_either_tokens_or_the_insecure_flag(run_cli: Any) -> None:
    result = run_cli("api")
    assert result.exit_code == 2 and "--token-file" in result.output


def test_a_token_is_printed_once_and_only_its_hash_is_kept(run_cli: Any, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.txt"
    result = run_cli("token", "ehr-1", "--token-file", str(tokens))
    token = result.output.strip()
    assert result.exit_code == 0 and token and token not in tokens.read_text()
    assert Tokens.read(tokens).client(f"Bearer {token}") == "ehr-1"
    assert Tokens.read(tokens).client("Bearer not-the-token") is None
    assert tokens.stat().st_mode & 0o077 == 0


def test_a_fhir_server_with_a_path_is_refused_as_not_an_origin(run_cli: Any) -> None:
    result = run_cli("api", "--insecure-no-auth", "--fhir-server", "https://ehr.example/fhir")
    assert result.exit_code == 2 and "give an origin only" in result.output
