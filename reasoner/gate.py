"""The gate in front of the SPARQL endpoint: a small HTTP proxy between the client and Oxigraph's
server (which listens on a private loopback port), because Oxigraph's server alone would

- answer a query with ``SERVICE <url>`` by sending it to that URL (a request from this machine to
  anywhere: nothing may leave the machine), so the gate parses every query and refuses ``SERVICE``;
- answer any Host header, so a web page on another site could read it through DNS rebinding; on
  loopback the gate answers only requests addressed to a loopback name and the port it listens on;
- answer a query cut off by the time limit after its results began with HTTP 200 and a truncated
  body; the gate holds the whole answer and turns that into HTTP 503 with a clear message.

Updates are refused by the gate (and by the read-only server behind it).
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reasoner.query import QueryError, check_query

CANCELLED = b"The SPARQL operation has been cancelled"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "host"}
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
MAX_BODY = 1 << 20  # a query of more than 1 MiB is refused
MAX_ANSWER = 256 << 20  # the gate holds a whole answer to check it; a larger one is refused


class Gate(ThreadingHTTPServer):
    """The gate's server: listens on (host, port) and forwards what it lets through to the upstream port."""

    daemon_threads = True

    def __init__(self, host: str, port: int, upstream: int, timeout: int, loopback: bool,
                 max_answer: int = MAX_ANSWER) -> None:
        self.upstream, self.query_timeout, self.max_answer = upstream, timeout, max_answer
        super().__init__((host, port), _Handler)
        bound = self.server_address[1]
        self.allowed_hosts = {f"{name}:{bound}" for name in (*LOOPBACK_NAMES, _bracketed(host))} if loopback else None


def start_gate(host: str, port: int, upstream: int, timeout: int, loopback: bool,
               max_answer: int = MAX_ANSWER) -> Gate:
    """Start the gate in a background thread and return it (``shutdown()`` stops it)."""
    gate = Gate(host, port, upstream, timeout, loopback, max_answer)
    threading.Thread(target=gate.serve_forever, name="necessity-gate", daemon=True).start()
    return gate


class _Handler(BaseHTTPRequestHandler):
    server: Gate
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Log nothing: queries may name patients' data."""

    def do_GET(self) -> None:  # noqa: N802 - the base class's naming
        self._gated(b"")

    def do_HEAD(self) -> None:  # noqa: N802
        self._gated(b"")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._answer(413, f"a request body of more than {MAX_BODY} bytes is refused")
            return
        self._gated(self.rfile.read(length))

    def do_PUT(self) -> None:  # noqa: N802
        self._answer(403, "the endpoint is read-only")

    do_DELETE = do_PATCH = do_PUT  # noqa: N815

    def _gated(self, body: bytes) -> None:
        refusal = self._refusal(body)
        if refusal:
            self._answer(*refusal)
            return
        status, headers, answer = self._forward(body)
        if answer is None:
            self._answer(507, f"the answer is larger than {self.server.max_answer >> 20} MiB: ask for less (LIMIT)")
            return
        if status == 200 and answer.rstrip().endswith(CANCELLED):
            self._answer(503, f"the query was cut off after the time limit of {self.server.query_timeout} s; "
                              "its results were incomplete and are not sent")
            return
        self._send(status, headers, answer)

    def _refusal(self, body: bytes) -> tuple[int, str] | None:
        allowed = self.server.allowed_hosts
        if allowed is not None and self.headers.get("Host", "") not in allowed:
            return 403, "this endpoint answers only requests addressed to it on loopback (Host header)"
        path, _, query_string = self.path.partition("?")
        if path.rstrip("/").endswith("/update") or _form_field(self.headers, body, "update"):
            return 403, "the endpoint is read-only: updates are refused"
        text = _query_text(path, query_string, self.headers, body)
        if text is not None:
            try:
                check_query(text)
            except QueryError as exc:
                return 400, str(exc)
        return None

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes | None]:
        """The upstream's status, headers and whole answer (None when it is larger than the gate holds)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.server.upstream,
                                                timeout=self.server.query_timeout + 30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            answer = response.read(self.server.max_answer + 1)
            return response.status, response.getheaders(), None if len(answer) > self.server.max_answer else answer
        finally:
            connection.close()

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _answer(self, status: int, message: str) -> None:
        self._send(status, [("Content-Type", "text/plain; charset=utf-8")], (message + "\n").encode("utf-8"))


def _query_text(path: str, query_string: str, headers: Any, body: bytes) -> str | None:
    """The SPARQL query a request carries (GET ?query=, POST form, POST application/sparql-query)."""
    if not path.rstrip("/").endswith("/query"):
        return None
    found = urllib.parse.parse_qs(query_string).get("query")
    if found:
        return found[0]
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type == "application/sparql-query":
        return body.decode("utf-8", errors="replace")
    return _form_field(headers, body, "query")


def _form_field(headers: Any, body: bytes, name: str) -> str | None:
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    values = urllib.parse.parse_qs(body.decode("utf-8", errors="replace")).get(name)
    return values[0] if values else None


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
