"""The gate in front of the SPARQL endpoint, against a stand-in for Oxigraph's server that records
what reaches it: SERVICE, updates, writes and foreign Host headers never get through; a cut-off
answer becomes an error; an answer too large to hold is refused; the rest passes unchanged."""

from __future__ import annotations

import gzip
import http.client
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from reasoner.gate import CANCELLED, start_gate

SELECT = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
SERVICE = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"


class Upstream(ThreadingHTTPServer):
    """Answers every request with ``self.answer`` and keeps what it was asked: (method, path, body)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bytes]] = []
        self.answer = b"s\r\nurn:x\r\n"
        super().__init__(("127.0.0.1", 0), _UpstreamHandler)


class _UpstreamHandler(BaseHTTPRequestHandler):
    server: Upstream

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append((self.command, self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(self.server.answer)))
        self.end_headers()
        self.wfile.write(self.server.answer)

    do_POST = do_GET  # noqa: N815


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def gate(upstream):
    gate = start_gate("127.0.0.1", 0, ("127.0.0.1", upstream.server_address[1]), timeout=5, max_answer=1000)
    yield gate
    gate.shutdown()


def send(gate, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
         host: str | None = None) -> tuple[int, bytes]:
    port = gate.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": host or f"127.0.0.1:{port}", **(headers or {})}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def query_path(text: str) -> str:
    return "/query?" + urllib.parse.urlencode({"query": text})


def test_a_query_is_sent_on_as_exactly_the_checked_text(gate, upstream):
    status, body = send(gate, "GET", query_path(SELECT) + "&default-graph-uri=urn%3Ag&other=1")
    assert (status, body) == (200, b"s\r\nurn:x\r\n")
    assert upstream.seen == [("POST", "/query?default-graph-uri=urn%3Ag", SELECT.encode())]


@pytest.mark.parametrize("query", [
    "SELECT * { VALUES ?a {1} FILTER(COALESCE(EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } })) }",
    "SELECT * { ?s ?p ?o FILTER(?o IN (EXISTS { SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } })) }",
    "SELECT (CONCAT(STR(EXISTS { SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } })) AS ?x) {}",
    "SELECT * { OPTIONAL { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "select * { service <http://127.0.0.1:9/> { ?s ?p ?o } }",
])
def test_service_is_refused_wherever_it_hides(gate, upstream, query):
    status, body = send(gate, "GET", query_path(query))
    assert status == 400 and b"SERVICE is refused" in body
    assert upstream.seen == []


@pytest.mark.parametrize(("path", "body", "headers"), [
    ("/query#x", SERVICE.encode(), {"Content-Type": "application/sparql-query"}),
    ("/query", urllib.parse.urlencode({"query": SERVICE}).encode(), {"Content-Type": "text/plain"}),
    ("/query", gzip.compress(urllib.parse.urlencode({"query": SERVICE}).encode()),
     {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"}),
    ("/query", SERVICE.encode(), {"Content-Type": "application/sparql-query", "Content-Length": "abc"}),
    ("/query?query=" + urllib.parse.quote(SELECT), urllib.parse.urlencode({"query": SERVICE}).encode(),
     {"Content-Type": "application/x-www-form-urlencoded"}),
    ("/QUERY", SERVICE.encode(), {"Content-Type": "application/sparql-query"}),
    ("http://127.0.0.1:9/query", SERVICE.encode(), {"Content-Type": "application/sparql-query"}),
])
def test_odd_requests_fail_closed(gate, upstream, path, body, headers):
    status, _ = send(gate, "POST", path, body, headers)
    assert status >= 400
    assert upstream.seen == []


def test_two_content_types_are_refused(gate, upstream):
    port = gate.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(f"POST /query HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Type: application/sparql-query\r\n"
                    f"Content-Length: {len(SERVICE)}\r\nConnection: close\r\n\r\n{SERVICE}".encode())
        assert raw.recv(100).startswith(b"HTTP/1.1 400")
    assert upstream.seen == []


def test_a_server_that_does_not_answer_gives_502(upstream):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nowhere = unused.getsockname()[1]
    gate = start_gate("127.0.0.1", 0, ("127.0.0.1", nowhere), timeout=1)
    try:
        status, body = send(gate, "GET", query_path(SELECT))
    finally:
        gate.shutdown()
    assert status == 502 and b"did not answer" in body


@pytest.mark.parametrize("how", ["get", "form", "body"])
def test_service_is_refused_and_never_forwarded(gate, upstream, how):
    if how == "get":
        status, body = send(gate, "GET", query_path(SERVICE))
    elif how == "form":
        status, body = send(gate, "POST", "/query", urllib.parse.urlencode({"query": SERVICE}).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})
    else:
        status, body = send(gate, "POST", "/query", SERVICE.encode(), {"Content-Type": "application/sparql-query"})
    assert status == 400
    assert b"SERVICE is refused" in body
    assert upstream.seen == []


@pytest.mark.parametrize("host", ["evil.example:80", "evil.example", "127.0.0.1:1", ""])
def test_a_request_not_addressed_to_the_gate_is_refused(gate, upstream, host):
    status, body = send(gate, "GET", query_path(SELECT), host=host or " ")
    assert status == 403 and b"Host header" in body
    assert upstream.seen == []


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "[::1]"])
def test_every_loopback_name_of_the_gate_is_welcome(gate, name):
    assert send(gate, "GET", query_path(SELECT), host=f"{name}:{gate.server_address[1]}")[0] == 200


def test_updates_and_writes_are_refused(gate, upstream):
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    assert send(gate, "POST", "/update", update.encode(), {"Content-Type": "application/sparql-update"})[0] == 403
    form = urllib.parse.urlencode({"update": update}).encode()
    assert send(gate, "POST", "/query", form, {"Content-Type": "application/x-www-form-urlencoded"})[0] == 403
    assert send(gate, "PUT", "/store?default", b"<urn:a> <urn:b> <urn:c> .")[0] == 403
    assert send(gate, "DELETE", "/store?default")[0] == 403
    assert upstream.seen == []


def test_an_answer_cut_off_by_the_time_limit_becomes_an_error(gate, upstream):
    upstream.answer = b"s\r\nurn:x\r\nurn:y\r\n" + CANCELLED + b"\n"
    status, body = send(gate, "GET", query_path(SELECT))
    assert status == 503
    assert body == b"the query was cut off after the time limit of 5 s; its results were incomplete and are not sent\n"


def test_an_answer_larger_than_the_gate_holds_is_refused(gate, upstream):
    upstream.answer = b"x" * 1001
    status, body = send(gate, "GET", query_path(SELECT))
    assert status == 507 and b"LIMIT" in body


def test_a_query_that_does_not_parse_is_refused_with_the_reason(gate, upstream):
    status, body = send(gate, "GET", query_path("SELECT ?x WHERE {"))
    assert status == 400 and b"does not parse" in body
    assert upstream.seen == []


def test_the_yasgui_page_and_store_reads_pass_and_nothing_else(gate, upstream):
    assert send(gate, "GET", "/")[0] == 200
    assert send(gate, "GET", "/yasgui.min.js")[0] == 200
    assert send(gate, "GET", "/store?default")[0] == 200
    assert send(gate, "GET", "/somewhere")[0] == 404
    assert send(gate, "GET", "/store?default&graph=urn%3Ax")[0] == 403
    assert [path for _, path, _ in upstream.seen] == ["/", "/yasgui.min.js", "/store?default"]
