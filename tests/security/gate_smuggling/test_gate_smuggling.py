"""Request smuggling through the gate (security review, finding A): a request the gate refuses
before reading its body must not leave that body to be read as a next request, and a request head
whose framing is ambiguous or whose bytes are malformed must get HTTP 400, not be forwarded, nor be
dropped without an answer. Each test writes raw bytes on one connection, reads until the gate
closes it, and checks that exactly one answer came back, that it is the refusal, and that the
stand-in for Oxigraph's server saw no connection at all."""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator

import pytest

from reasoner.gate import Gate, start_gate

PATIENT_DATA = b"code,status\r\n36561,justified\r\n"
HIDDEN_QUERY = "SELECT ?code ?status WHERE { ?line <https://necessity.example/ns#codeNotation> ?code }"


class Recorder:
    """A stand-in for Oxigraph's server on loopback: it answers anything with PATIENT_DATA and
    records every connection it accepts (``seen``: the bytes each one sent)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.seen: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                self.seen.append(_read_request(connection))
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nConnection: close\r\n"
                                   b"Content-Length: %d\r\n\r\n%s" % (len(PATIENT_DATA), PATIENT_DATA))

    def close(self) -> None:
        self.listener.close()


def _read_request(connection: socket.socket) -> bytes:
    """One request as the gate sends it: its head and the body its Content-Length gives."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := connection.recv(1 << 16)):
        data += chunk
    head = data.partition(b"\r\n\r\n")[0].lower()
    length = int(head.partition(b"content-length: ")[2].partition(b"\r\n")[0] or 0)
    while len(data.partition(b"\r\n\r\n")[2]) < length and (chunk := connection.recv(1 << 16)):
        data += chunk
    return data


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    upstream = Recorder()
    yield upstream
    upstream.close()


@pytest.fixture
def gate(recorder: Recorder) -> Iterator[Gate]:
    gate = start_gate("127.0.0.1", 0, ("127.0.0.1", recorder.port), timeout=5)
    yield gate
    gate.shutdown()


def talk(gate: Gate, raw: bytes) -> bytes:
    """Send ``raw`` on one connection and read until the gate closes it (an error if it does not
    within 10 seconds)."""
    with socket.create_connection(("127.0.0.1", gate.server_address[1]), timeout=10) as connection:
        connection.sendall(raw)
        received = b""
        while chunk := connection.recv(1 << 16):
            received += chunk
    return received


def answers(received: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """The HTTP answers in ``received``, one after the other: status, headers, body."""
    found = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = (line.partition(":") for line in lines[1:])
        headers = {name.strip().lower(): value.strip() for name, _, value in fields}
        length = int(headers.get("content-length", len(rest)))
        found.append((int(lines[0].split()[1]), headers, rest[:length]))
        received = rest[length:]
    return found


def hidden_request(port: int) -> bytes:
    """A well-formed GET of a query that names patient data: what a smuggler hides in a body."""
    return (f"GET /query?{urllib.parse.urlencode({'query': HIDDEN_QUERY})} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAccept: text/csv\r\n\r\n").encode()


def only_the_refusal(gate: Gate, recorder: Recorder, raw: bytes, status: int) -> bytes:
    """Send ``raw`` and check that one answer came back, the refusal ``status`` with Connection: close,
    that the connection was closed after it, and that nothing reached the server; return its body."""
    received = answers(talk(gate, raw))
    assert [answer[0] for answer in received] == [status]
    _, headers, body = received[0]
    assert headers["connection"] == "close"
    assert PATIENT_DATA not in body
    assert recorder.seen == []
    return body


def framed(port: int, request_line: str, headers: list[str], body: bytes) -> bytes:
    lines = [request_line, *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_a_foreign_host_post_hides_no_request_in_its_body(gate, recorder):
    port = gate.server_address[1]
    body = hidden_request(port)
    raw = framed(port, "POST /query HTTP/1.1", [f"Host: evil.example:{port}", "Content-Type: application/sparql-query",
                                                f"Content-Length: {len(body)}"], body)
    assert b"Host header" in only_the_refusal(gate, recorder, raw, 403)


def test_an_update_hides_no_request_in_its_body(gate, recorder):
    port = gate.server_address[1]
    body = hidden_request(port)
    raw = framed(port, "POST /update HTTP/1.1", [f"Host: 127.0.0.1:{port}", "Content-Type: application/sparql-update",
                                                 f"Content-Length: {len(body)}"], body)
    assert b"read-only" in only_the_refusal(gate, recorder, raw, 403)


@pytest.mark.parametrize(("host", "status"), [("127.0.0.1", 400), ("evil.example", 403)])
def test_a_chunked_body_hides_no_request(gate, recorder, host, status):
    port = gate.server_address[1]
    hidden = hidden_request(port)
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(hidden), hidden)
    raw = framed(port, "POST /query HTTP/1.1", [f"Host: {host}:{port}", "Content-Type: application/sparql-query",
                                                "Transfer-Encoding: chunked"], chunked)
    only_the_refusal(gate, recorder, raw, status)


@pytest.mark.parametrize(("method", "status"), [("POST", 403), ("GET", 400), ("OPTIONS", 404)])
def test_a_request_for_nothing_hides_no_request_in_its_body(gate, recorder, method, status):
    port = gate.server_address[1]
    body = hidden_request(port)
    raw = framed(port, f"{method} /nothing HTTP/1.1", [f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"],
                 body)
    only_the_refusal(gate, recorder, raw, status)


def test_a_get_with_a_body_is_refused_and_its_body_is_never_read(gate, recorder):
    port = gate.server_address[1]
    body = hidden_request(port)
    target = "/query?" + urllib.parse.urlencode({"query": "ASK {}"})
    raw = framed(port, f"GET {target} HTTP/1.1", [f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"], body)
    assert b"carries no body" in only_the_refusal(gate, recorder, raw, 400)


def test_a_request_after_an_answered_one_is_never_read(gate, recorder):
    # one request per connection: a second request on it, pipelined, is neither answered nor forwarded
    port = gate.server_address[1]
    first = ("GET /query?" + urllib.parse.urlencode({"query": "ASK {}"}) + f" HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
             "\r\n").encode()
    received = answers(talk(gate, first + hidden_request(port)))
    assert [(status, headers["connection"]) for status, headers, _ in received] == [(200, "close")]
    assert len(recorder.seen) == 1 and b"ASK" in recorder.seen[0] and b"codeNotation" not in recorder.seen[0]


@pytest.mark.parametrize("lengths", [["12", "12"], ["12", "40"], ["12, 12"], ["+12"], ["0x0c"]])
def test_duplicate_conflicting_or_odd_content_lengths_are_refused(gate, recorder, lengths):
    port = gate.server_address[1]
    body = b"ASK { ?s ?p ?o }"[:12] + hidden_request(port)
    headers = [f"Host: 127.0.0.1:{port}", "Content-Type: application/sparql-query",
               *(f"Content-Length: {length}" for length in lengths)]
    assert b"not well-formed" in only_the_refusal(gate, recorder, framed(port, "POST /query HTTP/1.1", headers, body),
                                                  400)


@pytest.mark.parametrize("order", ["te-first", "cl-first"])
def test_transfer_encoding_with_content_length_is_refused(gate, recorder, order):
    port = gate.server_address[1]
    hidden = hidden_request(port)
    body = b"0\r\n\r\n" + hidden
    framing = ["Transfer-Encoding: chunked", f"Content-Length: {len(body)}"]
    headers = [f"Host: 127.0.0.1:{port}", "Content-Type: application/sparql-query",
               *(framing if order == "te-first" else framing[::-1])]
    only_the_refusal(gate, recorder, framed(port, "POST /query HTTP/1.1", headers, body), 400)


@pytest.mark.parametrize("bad", [
    b"Accept: text/csv\r\n folded: onto the line before\r\n",  # obs-fold
    b"Accept: text/csv\r\n\tfolded\r\n",
    b"Accept: text/\x00csv\r\n",  # NUL
    b"Accept: text/csv\rX-Smuggled: 1\r\n",  # a bare CR
    b"Accept: text/\xe9csv\r\n",  # not ASCII
    b"Accept: text/csv\x7f\r\n",  # DEL
    b"Accept text/csv\r\n",  # no colon
    b"Accept : text/csv\r\n",  # space before the colon
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: gzip\r\n",
])
def test_malformed_header_bytes_get_a_400_answer(gate, recorder, bad):
    port = gate.server_address[1]
    raw = b"GET /query?query=ASK%%20%%7B%%7D HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n%s" \
        % (port, bad, hidden_request(port))
    only_the_refusal(gate, recorder, raw, 400)


@pytest.mark.parametrize("line", [b"GET /query?query=ASK%20%7B%7D HTTP/1.1 extra", b"GET\t/ HTTP/1.1",
                                  b"\x16\x03\x01\x02\x00\x01\x00", b"GET / HTTP/9.9",
                                  b"GET / HTTP/2.0", b"GET /"])
def test_a_malformed_request_line_gets_a_400_answer(gate, recorder, line):
    port = gate.server_address[1]
    raw = line + b"\r\nHost: 127.0.0.1:%d\r\n\r\n" % port + hidden_request(port)
    only_the_refusal(gate, recorder, raw, 400)


def test_a_request_head_too_large_gets_a_400_answer(gate, recorder):
    port = gate.server_address[1]
    raw = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Padding: %s\r\n\r\n" % (port, b"a" * 20_000)
    only_the_refusal(gate, recorder, raw, 400)


def test_a_well_formed_query_still_passes_with_connection_close(gate, recorder):
    port = gate.server_address[1]
    body = HIDDEN_QUERY.encode()
    raw = framed(port, "POST /query HTTP/1.1", [f"Host: 127.0.0.1:{port}", "Content-Type: application/sparql-query",
                                                f"Content-Length: {len(body)}", "Accept: text/csv"], body)
    [(status, headers, answer)] = answers(talk(gate, raw))
    assert (status, headers["connection"], answer) == (200, "close", PATIENT_DATA)
    assert len(recorder.seen) == 1 and recorder.seen[0].startswith(b"POST /query? HTTP/1.1\r\n") \
        and recorder.seen[0].endswith(body)


@pytest.mark.parametrize(("path", "host", "status"), [("/update", "127.0.0.1", 403), ("/query", "evil.example", 403),
                                                      ("/nothing", "127.0.0.1", 403)])
def test_a_large_body_left_unread_does_not_cost_the_client_its_answer(gate, recorder, path, host, status):
    # the gate refuses before reading the body; it then reads it and throws it away (never parsed),
    # so the client, still sending, gets its answer rather than a connection reset
    port = gate.server_address[1]
    body = (hidden_request(port) * 20_000)[:900_000]
    raw = framed(port, f"POST {path} HTTP/1.1", [f"Host: {host}:{port}", "Content-Type: application/sparql-query",
                                                 f"Content-Length: {len(body)}"], body)
    for _ in range(5):
        only_the_refusal(gate, recorder, raw, status)


def test_a_request_head_that_never_ends_gets_a_408_answer(recorder, monkeypatch):
    monkeypatch.setattr("reasoner.gate.REQUEST_TIMEOUT", 0.5)
    gate = start_gate("127.0.0.1", 0, ("127.0.0.1", recorder.port), timeout=5)
    try:
        port = gate.server_address[1]
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(b"GET /query?query=ASK%%20%%7B%%7D HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port)
            received = b""
            while chunk := connection.recv(1 << 16):
                received += chunk
        assert [(status, headers["connection"]) for status, headers, _ in answers(received)] == [(408, "close")]
        assert time.monotonic() - started < 5
        assert recorder.seen == []
    finally:
        gate.shutdown()


def test_nothing_about_a_request_is_logged(gate, recorder, capfd):
    port = gate.server_address[1]
    secret = "PATIENT-4711"
    for raw in (f"GET /query?query={secret} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode(),
                f"GET /{secret} HTTP/1.1 x\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode(),
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Id: {secret}\x00\r\n\r\n".encode(),
                f"GET /{secret} HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n".encode(),
                f"GET /{secret} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Id {secret}\r\n\r\n".encode(),  # h11's 400
                ("GET /query?" + urllib.parse.urlencode({"query": f'ASK {{ ?s ?p "{secret}" }}'})
                 + f" HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").encode()):
        assert answers(talk(gate, raw))
    gate.shutdown()
    printed = capfd.readouterr()
    assert (printed.out, printed.err) == ("", "")
