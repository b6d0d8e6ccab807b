"""Nothing leaves the machine at run time: a review, an explanation, an export and a query open no
connection at all; SERVICE is refused before anything is sent; owl:imports is never followed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = str(ROOT / "examples" / "seed-aml-port.json")


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make every outgoing connection fail the test (and record it)."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, str]]:
    """A socket listening on loopback, and its URL: whatever connects to it is caught."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(1)
        yield server, f"http://127.0.0.1:{server.getsockname()[1]}/"


def nobody_came(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
    except TimeoutError:
        return True
    return False


@pytest.mark.parametrize("args", [
    ("determine", SEED, "--format", "json"), ("determine", SEED, "--format", "fhir"),
    ("explain", SEED, "--code", "P9037"), ("query", SEED, "--file", "line-statuses"),
    ("questionnaire", "76937"), ("check",),
])
def test_commands_open_no_connection(run_cli, no_connections, args):
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    assert no_connections == []


def test_an_export_opens_no_connection(run_cli, no_connections, tmp_path):
    result = run_cli("export", SEED, "--code", "36561", "--format", "html", "-o", str(tmp_path / "proof.html"))
    assert result.exit_code == 0, result.stderr
    assert no_connections == []


def test_service_is_refused_before_anything_is_sent(run_cli, listener):
    server, url = listener
    result = run_cli("query", SEED, "--query", f"SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}")
    assert result.exit_code == 2 and result.stdout == ""
    assert "SERVICE is refused" in result.stderr
    assert nobody_came(server)


def test_owl_imports_in_a_turtle_request_is_never_followed(run_cli, listener, tmp_path):
    server, url = listener
    path = tmp_path / "request.ttl"
    path.write_text((ROOT / "examples" / "seed-aml-port.ttl").read_text()
                    + f"\n<urn:request> <http://www.w3.org/2002/07/owl#imports> <{url}ontology.ttl> .\n")
    result = run_cli("determine", str(path), "--format", "json")
    assert result.exit_code in (0, 2), result.stderr
    assert nobody_came(server)
