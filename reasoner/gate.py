"""The gate in front of the SPARQL endpoint: a small HTTP proxy between the client and Oxigraph's
server (which listens on a private loopback address), because Oxigraph's server alone would

- answer a query with ``SERVICE <url>`` by sending it to that URL (a request from this machine to
  anywhere: nothing may leave the machine), so the gate parses every query and refuses ``SERVICE``;
- answer any Host header, so a web page on another site could read it through DNS rebinding; the
  gate answers only requests addressed to a name of the endpoint and the port it listens on;
- answer a query cut off by the time limit after its results began with HTTP 200 and a truncated
  body; the gate holds the whole answer and turns that into HTTP 503 with a clear message.

It fails closed: it never forwards the client's request as it came. It answers only GET or HEAD of
the YASGUI page and its files, GET of the read-only Graph Store, and queries at ``/query`` (GET with
``query=``, POST as a form or as ``application/sparql-query``); each query is parsed and checked,
then sent upstream as a new POST holding exactly the checked text. Everything else is refused.
"""

from __future__ import annotations

import http.client
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reasoner.query import QueryError, check_query

CANCELLED = b"The SPARQL operation has been cancelled"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
PAGES = ("/", "/yasgui.min.js", "/yasgui.min.css", "/logo.svg")
DATASET_PARAMETERS = ("default-graph-uri", "named-graph-uri", "union-default-graph")
PASSED_HEADERS = ("accept",)
MAX_BODY = 1 << 20  # a query of more than 1 MiB is refused
MAX_ANSWER = 64 << 20  # the gate holds a whole answer to check it; a larger one is refused
MAX_FORWARDS = 8  # answers held at once (so at most MAX_FORWARDS x MAX_ANSWER bytes)


class Refused(Exception):
    """A request the gate does not let through: its HTTP status and the message the client gets."""

    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message
        super().__init__(message)


class Gate(ThreadingHTTPServer):
    """The gate's server: listens on (host, port) and forwards what it lets through to the upstream address."""

    daemon_threads = True

    def __init__(self, host: str, port: int, upstream: tuple[str, int], timeout: int,
                 max_answer: int = MAX_ANSWER) -> None:
        self.upstream, self.query_timeout, self.max_answer = upstream, timeout, max_answer
        self.forwards = threading.BoundedSemaphore(MAX_FORWARDS)
        super().__init__((host, port), _Handler)
        self.allowed_hosts = allowed_hosts(host, self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Report a failure in one fixed line: never the request, which may hold patient data. A client
        that went away before its answer is no failure of the gate."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        print(f"necessity: the gate failed to answer a request ({type(sys.exc_info()[1]).__name__})", file=sys.stderr)


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers the gate answers: the loopback names and the name it listens on, with its port;
    listening on every interface, also this machine's name and addresses."""
    names = {*LOOPBACK_NAMES, _bracketed(host)}
    if host in ("0.0.0.0", "::"):
        machine = socket.gethostname()
        names |= {machine, socket.getfqdn()}
        try:
            names |= set(socket.gethostbyname_ex(machine)[2])
        except OSError:
            pass
    return frozenset(f"{name.lower()}:{port}" for name in names)


def start_gate(host: str, port: int, upstream: tuple[str, int], timeout: int, max_answer: int = MAX_ANSWER) -> Gate:
    """Start the gate in a background thread and return it (``shutdown()`` stops it)."""
    gate = Gate(host, port, upstream, timeout, max_answer)
    threading.Thread(target=gate.serve_forever, name="necessity-gate", daemon=True).start()
    return gate


class _Handler(BaseHTTPRequestHandler):
    server: Gate
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds a client may take to send its request

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Log nothing: queries may name patients' data."""

    def do_GET(self) -> None:  # noqa: N802 - the base class's naming
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET  # noqa: N815

    def _serve(self) -> None:
        try:
            status, headers, answer = self._answer_for()
        except Refused as refusal:
            status, headers, answer = refusal.status, _TEXT, (refusal.message + "\n").encode("utf-8")
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer)

    def _answer_for(self) -> tuple[int, list[tuple[str, str]], bytes]:
        self._check_headers()
        path, query_string = _split(self.path)
        if path == "/query":
            text, dataset = self._query()
            return self._forward("POST", "/query?" + urllib.parse.urlencode(dataset), text.encode("utf-8"),
                                 {"Content-Type": "application/sparql-query"})
        if self.command in ("GET", "HEAD") and (path in PAGES or path == "/store" and _reads_store(query_string)):
            return self._forward(self.command, self.path, b"", {})
        if path in ("/update", "/store") or self.command in ("PUT", "DELETE", "PATCH", "POST"):
            raise Refused(403, "the endpoint is read-only: updates and writes are refused")
        raise Refused(404, "not here: queries go to /query, the query editor is at /")

    def _check_headers(self) -> None:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or hosts[0].strip().lower() not in self.server.allowed_hosts:
            raise Refused(403, "this endpoint answers only requests addressed to it (Host header)")
        if (self.headers.get_all("Content-Type") or [])[1:] or self.headers.get("Content-Encoding") \
                or self.headers.get("Transfer-Encoding"):
            raise Refused(400, "one Content-Type, no Content-Encoding and no Transfer-Encoding, please")

    def _query(self) -> tuple[str, list[tuple[str, str]]]:
        """The query the request carries (checked) and its dataset parameters."""
        parameters = urllib.parse.parse_qsl(_split(self.path)[1], keep_blank_values=True)
        if self.command == "POST":
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            body = self._body()
            try:
                if content_type == "application/x-www-form-urlencoded":
                    parameters += urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
                elif content_type == "application/sparql-query":
                    parameters.append(("query", body.decode("utf-8")))
                else:
                    raise Refused(415, "POST a query as application/sparql-query or as a form")
            except UnicodeDecodeError as exc:
                raise Refused(400, "the request body is not UTF-8") from exc
        elif self.command not in ("GET", "HEAD"):
            raise Refused(405, "queries are sent with GET or POST")
        if any(name == "update" for name, _ in parameters):
            raise Refused(403, "the endpoint is read-only: updates are refused")
        texts = [value for name, value in parameters if name == "query"]
        if len(texts) != 1:
            raise Refused(400, "a request carries exactly one query")
        try:
            check_query(texts[0])
        except QueryError as exc:
            raise Refused(400, str(exc)) from exc
        return texts[0], [(name, value) for name, value in parameters if name in DATASET_PARAMETERS]

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit():
            raise Refused(400, "Content-Length is not a number")
        if int(length) > MAX_BODY:
            raise Refused(413, f"a request body of more than {MAX_BODY} bytes is refused")
        return self.rfile.read(int(length))

    def _forward(self, method: str, path: str, body: bytes,
                 headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        """Ask the upstream server, and return its status, headers and whole answer, or refuse."""
        passed = {name: value for name, value in self.headers.items() if name.lower() in PASSED_HEADERS}
        with self.server.forwards:
            connection = http.client.HTTPConnection(*self.server.upstream, timeout=self.server.query_timeout + 30)
            try:
                connection.request(method, path, body=body or None, headers={**passed, **headers})
                response = connection.getresponse()
                answer = response.read(self.server.max_answer + 1)
            except (OSError, http.client.HTTPException) as exc:
                raise Refused(502, "the SPARQL server did not answer in full; try again or restart necessity serve") \
                    from exc
            finally:
                connection.close()
        if len(answer) > self.server.max_answer:
            raise Refused(507, f"the answer is larger than {self.server.max_answer >> 20} MiB: ask for less (LIMIT)")
        if response.status == 200 and answer.rstrip().endswith(CANCELLED):
            raise Refused(503, f"the query was cut off after the time limit of {self.server.query_timeout} s; "
                               "its results were incomplete and are not sent")
        kept = [(k, v) for k, v in response.getheaders() if k.lower() in ("content-type", "cache-control")]
        return response.status, kept, answer


_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def _split(target: str) -> tuple[str, str]:
    """The path and the query string of a request target; a fragment or an absolute URI is refused."""
    parts = urllib.parse.urlsplit(target)
    if parts.fragment or "#" in target or parts.scheme or parts.netloc:
        raise Refused(400, "a request target is a path and a query string, nothing more")
    return parts.path, parts.query


def _reads_store(query_string: str) -> bool:
    parameters = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
    return len(parameters) == 1 and parameters[0][0] in ("default", "graph")


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
