"""The gate in front of the SPARQL endpoint: a small HTTP proxy between the client and Oxigraph's
servers (which listen on private loopback addresses), because Oxigraph's server alone would

- answer a query with ``SERVICE <url>`` by sending it to that URL (a request from this machine to
  anywhere: nothing may leave the machine), so the gate parses every query and refuses ``SERVICE``;
- answer any Host header, so a web page on another site could read it through DNS rebinding; the
  gate answers only requests addressed to a name of the endpoint and the port it listens on;
- answer a query cut off by the time limit after its results began with HTTP 200 and a truncated
  body; the gate holds the whole answer and turns that into HTTP 503 with a clear message;
- go on computing a query whose client has gone or whose time is up (it cannot cancel one query),
  so the gate gives each upstream server one request at a time and, when the time is up or the
  client has left, stops that server (its ``Worker``) and starts a fresh one.

It fails closed: it never forwards the client's request as it came. It answers only GET or HEAD of
the YASGUI page and its files, GET of the read-only Graph Store, and queries at ``/query`` (GET with
``query=``, POST as a form or as ``application/sparql-query``); each query is parsed and checked,
then sent upstream as a new POST holding exactly the checked text. Everything else is refused.

HTTP is uvicorn's with h11 (pinned, whatever else is installed), one request per connection: every
answer carries ``Connection: close`` and the connection is closed after it (gently: what the client
still sends is read and thrown away, never parsed, so that it gets its answer rather than a reset),
so nothing a client sends after its request (an unread body, a second request) is ever read as a
request. A request head whose length is ambiguous (two Content-Length headers, Content-Length with
Transfer-Encoding), that folds a header line, holds bytes other than printable ASCII or is not
HTTP/1.x gets HTTP 400 before h11, which would accept some of them, sees it; one h11 finds malformed
gets the same answer.

Scheduling (two lanes of workers, first come first served in each): every request first gets a
short budget (``QUICK_BUDGET``) on a worker of the quick lane; one that needs longer is stopped
there and runs again on a worker of the main lane for the rest of its time. The time limit counts
from when the gate received the request, waiting included; past it the client gets HTTP 503 and
the worker is stopped. So a cheap query waits only for the quick lane, never behind heavy ones.

Nothing is logged about a request (queries may name patients' data): uvicorn's access log is off
and its error log prints one fixed line.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import sys
import threading
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from reasoner.query import QueryError, check_query

CANCELLED = b"The SPARQL operation has been cancelled"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
PAGES = ("/", "/yasgui.min.js", "/yasgui.min.css", "/logo.svg")
DATASET_PARAMETERS = ("default-graph-uri", "named-graph-uri", "union-default-graph")
PASSED_HEADERS = ("accept",)
MAX_BODY = 1 << 20  # a query of more than 1 MiB is refused
MAX_HEAD = 1 << 14  # a request line and headers of more than 16 KiB are refused
MAX_ANSWER = 64 << 20  # the gate holds a whole answer to check it; a larger one is refused
QUICK_WORKERS = 4  # the lane every request tries first
MAIN_WORKERS = 4  # the lane of requests that need more than QUICK_BUDGET (so at most 8 answers held at once)
QUICK_BUDGET = 1.0  # seconds a request may take in the quick lane
MIN_RUN = 0.05  # a request with less time left than this is not started on a worker
REQUEST_TIMEOUT = 60.0  # seconds a client may take to send its request, and to take its answer
LINGER = 2.0  # seconds the gate reads (and throws away) what a client still sends after its answer
MAX_LINGER = MAX_BODY + MAX_HEAD  # bytes it reads so, at most
MAX_CONNECTIONS = 256  # connections open at once; more get HTTP 503

Address = tuple[str, int]
Headers = list[tuple[bytes, bytes]]
_TEXT: Headers = [(b"content-type", b"text/plain; charset=utf-8")]


class Refused(Exception):
    """A request the gate does not let through: its HTTP status and the message the client gets."""

    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message
        super().__init__(message)


class Worker(Protocol):
    """One upstream SPARQL server: the gate gives it one request at a time."""

    @property
    def address(self) -> Address:
        """Where it listens."""
        ...

    async def stop(self) -> None:
        """End whatever it is doing at once, and return once it is gone."""
        ...


Spawn = Callable[[], Awaitable[Worker]]  # starts a fresh worker and returns it once it listens


@dataclass(frozen=True)
class Forward:
    """A request the gate sends upstream, built by the gate."""

    method: str
    target: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Answer:
    """An upstream answer, whole: its status, the headers the gate keeps, and its body."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""


# --- the lanes ---------------------------------------------------------------------------------


class Lane:
    """Workers of one lane; each takes one request at a time, given in the order they asked."""

    def __init__(self, size: int, spawn: Spawn, failed: Callable[[BaseException], None]) -> None:
        self._size, self._spawn, self._failed = size, spawn, failed
        self._idle: asyncio.Queue[Worker] = asyncio.Queue()
        self._workers: set[Worker] = set()
        self._renewals: set[asyncio.Task[None]] = set()
        self._closed = False

    async def start(self) -> None:
        """Start the lane's workers."""
        for _ in range(self._size):
            self._add(await self._spawn())

    async def take(self, deadline: float) -> Worker | None:
        """An idle worker, or None if none is free before ``deadline`` (the event loop's clock)."""
        if asyncio.get_running_loop().time() >= deadline:
            return None
        try:
            async with asyncio.timeout_at(deadline):
                return await self._idle.get()
        except TimeoutError:
            return None

    def give_back(self, worker: Worker) -> None:
        """Return a worker that answered in full, so it is idle."""
        self._idle.put_nowait(worker)

    def renew(self, worker: Worker) -> None:
        """Stop a worker that may still be busy and put a fresh one in its place (in the background)."""
        task = asyncio.get_running_loop().create_task(self._renew(worker))
        self._renewals.add(task)
        task.add_done_callback(self._renewals.discard)

    async def close(self) -> None:
        """Stop every worker of the lane."""
        self._closed = True
        await asyncio.gather(*self._renewals, return_exceptions=True)
        for worker in list(self._workers):
            self._workers.discard(worker)
            await worker.stop()

    async def _renew(self, worker: Worker) -> None:
        self._workers.discard(worker)
        await worker.stop()
        if self._closed:
            return
        try:
            fresh = await self._spawn()
        except Exception as exc:  # noqa: BLE001 - any failure to start a worker stops the gate
            self._failed(exc)
            return
        if self._closed:
            await fresh.stop()
        else:
            self._add(fresh)

    def _add(self, worker: Worker) -> None:
        self._workers.add(worker)
        self._idle.put_nowait(worker)


class Lanes:
    """The quick lane and the main lane, and the time limit of each request."""

    def __init__(self, spawn: Spawn, timeout: float, max_answer: int, failed: Callable[[BaseException], None],
                 sizes: tuple[int, int] = (QUICK_WORKERS, MAIN_WORKERS), quick_budget: float = QUICK_BUDGET) -> None:
        self.timeout, self.max_answer, self.quick_budget = timeout, max_answer, quick_budget
        self.quick, self.main = Lane(sizes[0], spawn, failed), Lane(sizes[1], spawn, failed)

    async def start(self) -> None:
        """Start the workers of both lanes."""
        await self.quick.start()
        await self.main.start()

    async def close(self) -> None:
        """Stop the workers of both lanes."""
        await self.quick.close()
        await self.main.close()

    async def ask(self, forward: Forward, received: float) -> Answer:
        """The whole upstream answer to ``forward``, asked first in the quick lane and, if it needs
        longer, in the main lane, by ``received + timeout`` (the event loop's clock); or refuse."""
        deadline = received + self.timeout
        answer = await self._try(self.quick, forward, self.quick_budget, deadline)
        if answer is None:
            answer = await self._try(self.main, forward, None, deadline)
        if answer is None:
            raise Refused(503, f"the query was cut off after the time limit of {self.timeout:g} s and stopped: "
                               "ask for less (LIMIT) or serve with a longer --timeout")
        return answer

    async def _try(self, lane: Lane, forward: Forward, budget: float | None, deadline: float) -> Answer | None:
        """The answer from a worker of ``lane`` within ``budget`` seconds and before ``deadline``, or
        None (the worker, stopped, is renewed). A client that leaves cancels this: its worker too."""
        worker = await lane.take(deadline - MIN_RUN)
        if worker is None:
            return None
        end = deadline if budget is None else min(deadline, asyncio.get_running_loop().time() + budget)
        idle = False
        try:
            async with asyncio.timeout_at(end):
                answer = await exchange(worker.address, forward, self.max_answer)
            idle = True
            return answer
        except TimeoutError:
            return None
        except (OSError, h11.ProtocolError) as exc:
            raise Refused(502, "the SPARQL server did not answer in full; try again or restart necessity serve") \
                from exc
        finally:
            if idle:
                lane.give_back(worker)
            else:
                lane.renew(worker)


async def exchange(address: Address, forward: Forward, max_answer: int) -> Answer:
    """Send ``forward`` to the server at ``address`` on a new connection and read its whole answer
    (h11 on asyncio streams; no proxy or other setting from the environment applies)."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        client = h11.Connection(h11.CLIENT)
        headers = [("Host", _authority(address)), ("Connection", "close"), *forward.headers]
        if forward.body:
            headers.append(("Content-Length", str(len(forward.body))))
        request = h11.Request(method=forward.method, target=forward.target, headers=headers)
        writer.write(client.send(request) + (client.send(h11.Data(data=forward.body)) if forward.body else b"")
                     + client.send(h11.EndOfMessage()))
        await writer.drain()
        return await _read_answer(reader, client, max_answer)
    finally:
        writer.close()


async def _read_answer(reader: asyncio.StreamReader, client: h11.Connection, max_answer: int) -> Answer:
    response: h11.Response | None = None
    body = bytearray()
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA:
            client.receive_data(await reader.read(1 << 16))
        elif isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > max_answer:
                raise Refused(507, f"the answer is larger than {max_answer >> 20} MiB: ask for less (LIMIT)")
        elif isinstance(event, h11.EndOfMessage) and response is not None:
            kept = [(name, value) for name, value in response.headers if name in (b"content-type", b"cache-control")]
            return Answer(response.status_code, kept, bytes(body))
        elif not isinstance(event, h11.InformationalResponse):
            raise h11.RemoteProtocolError("the answer ended early")


# --- the application ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Incoming:
    """What the gate looks at in a client's request."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]

    def all(self, name: str) -> list[str]:
        """The values of the header ``name`` (lower case), in order."""
        return [value for key, value in self.headers if key == name]


class GateApp:
    """The gate as an ASGI application: checks each request, and answers it or refuses it."""

    def __init__(self, lanes: Lanes, allowed: frozenset[str]) -> None:
        self.lanes, self.allowed = lanes, allowed

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Answer one HTTP request (other ASGI scopes are ignored); every answer closes the connection."""
        if scope["type"] != "http":
            return
        received = asyncio.get_running_loop().time()
        try:
            answer = await self._answer(_incoming(scope), receive, received)
        except Refused as refusal:
            answer = _refusal(refusal)
        except asyncio.CancelledError:  # the gate is stopping: this request's task is its last
            answer = _refusal(Refused(503, "necessity serve is stopping"))
        headers = [*answer.headers, (b"content-length", str(len(answer.body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body, "more_body": False})

    async def _answer(self, request: _Incoming, receive: Callable[[], Awaitable[dict[str, Any]]],
                      received: float) -> Answer:
        self._check_headers(request)
        forward = await _forward_for(request, receive, received)
        answer = await _until_gone(self.lanes.ask(forward, received), receive)
        if answer.status == 200 and answer.body.rstrip().endswith(CANCELLED):
            raise Refused(503, f"the query was cut off after the time limit of {self.lanes.timeout:g} s; "
                               "its results were incomplete and are not sent")
        return answer

    def _check_headers(self, request: _Incoming) -> None:
        hosts = request.all("host")
        if len(hosts) != 1 or hosts[0].strip().lower() not in self.allowed:
            raise Refused(403, "this endpoint answers only requests addressed to it (Host header)")
        if request.all("content-type")[1:] or request.all("content-encoding") or request.all("transfer-encoding"):
            raise Refused(400, "one Content-Type, no Content-Encoding and no Transfer-Encoding, please")
        lengths = request.all("content-length")
        if lengths[1:] or not all(length.isdigit() for length in lengths):
            raise Refused(400, "one Content-Length, a number, please")
        if request.method in ("GET", "HEAD") and lengths and int(lengths[0]):
            raise Refused(400, "a GET or HEAD request carries no body")
        if lengths and int(lengths[0]) > MAX_BODY:
            raise Refused(413, f"a request body of more than {MAX_BODY} bytes is refused")


def _refusal(refusal: Refused) -> Answer:
    return Answer(refusal.status, list(_TEXT), (refusal.message + "\n").encode("utf-8"))


async def _forward_for(request: _Incoming, receive: Callable[[], Awaitable[dict[str, Any]]],
                       received: float) -> Forward:
    """The request the gate sends upstream for ``request``, built anew; or refuse."""
    path, query_string = _split(request.target)
    if path == "/query":
        body = await _body(request, receive, received) if request.method == "POST" else b""
        text, dataset = _query(request, query_string, body)
        return Forward("POST", "/query?" + urllib.parse.urlencode(dataset), text.encode("utf-8"),
                       (*_passed(request), ("Content-Type", "application/sparql-query")))
    if request.method in ("GET", "HEAD") and (path in PAGES or path == "/store" and _reads_store(query_string)):
        return Forward(request.method, path if path in PAGES else request.target, b"", _passed(request))
    if path in ("/update", "/store") or request.method in ("PUT", "DELETE", "PATCH", "POST"):
        raise Refused(403, "the endpoint is read-only: updates and writes are refused")
    raise Refused(404, "not here: queries go to /query, the query editor is at /")


def _incoming(scope: dict[str, Any]) -> _Incoming:
    """The method, the target as it came (not percent-decoded) and the headers of an ASGI request."""
    target = bytes(scope["raw_path"]) + (b"?" + bytes(scope["query_string"]) if scope["query_string"] else b"")
    headers = tuple((bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1"))
                    for name, value in scope["headers"])
    return _Incoming(scope["method"], target.decode("latin-1"), headers)


async def _body(request: _Incoming, receive: Callable[[], Awaitable[dict[str, Any]]], received: float) -> bytes:
    """The request's body (its length was checked), read within REQUEST_TIMEOUT of its arrival."""
    body = bytearray()
    try:
        async with asyncio.timeout_at(received + REQUEST_TIMEOUT):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    raise Refused(400, "the request ended before its body")
                body += message.get("body", b"")
                if len(body) > MAX_BODY:
                    raise Refused(413, f"a request body of more than {MAX_BODY} bytes is refused")
                if not message.get("more_body", False):
                    return bytes(body)
    except TimeoutError as exc:
        raise Refused(408, "the request's body came too slowly") from exc


def _query(request: _Incoming, query_string: str, body: bytes) -> tuple[str, list[tuple[str, str]]]:
    """The query the request carries (checked) and its dataset parameters."""
    parameters = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
    if request.method == "POST":
        content_type = (request.all("content-type") or [""])[0].split(";")[0].strip().lower()
        try:
            if content_type == "application/x-www-form-urlencoded":
                parameters += urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            elif content_type == "application/sparql-query":
                parameters.append(("query", body.decode("utf-8")))
            else:
                raise Refused(415, "POST a query as application/sparql-query or as a form")
        except UnicodeDecodeError as exc:
            raise Refused(400, "the request body is not UTF-8") from exc
    elif request.method not in ("GET", "HEAD"):
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


async def _until_gone(asking: Awaitable[Answer], receive: Callable[[], Awaitable[dict[str, Any]]]) -> Answer:
    """The answer ``asking`` gives, unless the client leaves first: then the asking (and so its
    worker's work) is cancelled."""
    answering = asyncio.ensure_future(asking)
    leaving = asyncio.ensure_future(_gone(receive))
    try:
        await asyncio.wait((answering, leaving), return_when=asyncio.FIRST_COMPLETED)
    finally:
        leaving.cancel()
        if not answering.done():
            answering.cancel()
            await asyncio.wait((answering,))
    if answering.cancelled():
        raise Refused(499, "the client left before its answer")
    return answering.result()


async def _gone(receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """Return once the client has closed its connection (the request's body was read before)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _passed(request: _Incoming) -> tuple[tuple[str, str], ...]:
    return tuple((name, value) for name, value in request.headers if name in PASSED_HEADERS)


def _split(target: str) -> tuple[str, str]:
    """The path and the query string of a request target; a fragment or an absolute URI is refused."""
    parts = urllib.parse.urlsplit(target)
    if parts.fragment or "#" in target or parts.scheme or parts.netloc or not target.startswith("/"):
        raise Refused(400, "a request target is a path and a query string, nothing more")
    return parts.path, parts.query


def _reads_store(query_string: str) -> bool:
    parameters = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
    return len(parameters) == 1 and parameters[0][0] in ("default", "graph")


# --- HTTP: one request per connection ----------------------------------------------------------


def _plain(status: str, message: str) -> bytes:
    body = (message + "\n").encode("ascii")
    return (f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {len(body)}\r\n"
            "connection: close\r\n\r\n").encode("ascii") + body


_BAD_REQUEST = _plain("400 Bad Request", "the request is not well-formed HTTP/1.1 (or its length is ambiguous)")
_TOO_SLOW = _plain("408 Request Timeout", "the request came too slowly")


class _ClosingGently(asyncio.Transport):
    """A connection's transport as uvicorn sees it, except that closing it is the protocol's lingering
    close (``OneRequestProtocol._linger``); once closing, reading is never paused again."""

    def __init__(self, transport: asyncio.Transport, linger: Callable[[], None]) -> None:
        super().__init__()
        self._transport, self._linger = transport, linger
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send ``data``."""
        self._transport.write(data)

    def close(self) -> None:
        """Send what is buffered and end the connection gently (the lingering close)."""
        if not self.closing:
            self.closing = True
            self._linger()

    def is_closing(self) -> bool:
        """Whether the connection is closing."""
        return self.closing or self._transport.is_closing()

    def abort(self) -> None:
        """End the connection at once."""
        self.closing = True
        self._transport.abort()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """What the transport knows (its socket, addresses)."""
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        """Stop reading, unless the connection is closing (then what comes is read and thrown away)."""
        if not self.closing:
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        """Read again."""
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        """Whether the transport reads."""
        return self._transport.is_reading()


class OneRequestProtocol(H11Protocol):
    """uvicorn's h11 protocol, for one request per connection: it holds back the request head until it
    is whole and refuses with HTTP 400 (and closes) a head h11 would read leniently: two
    Content-Length headers or one that is not a number, Content-Length with Transfer-Encoding, two
    Transfer-Encoding, a folded header line, bytes other than printable ASCII, a version other than
    HTTP/1.1 or HTTP/1.0. A malformed request h11 finds gets the same answer. A head not whole within
    REQUEST_TIMEOUT gets HTTP 408.

    After the answer the connection closes gently: the answer and a FIN go out, and what the client
    still sends (a body the gate refused unread) is read and thrown away, never parsed, for at most
    LINGER seconds and MAX_LINGER bytes, so the client reads its answer instead of a reset; a client
    that does not take its answer within REQUEST_TIMEOUT is cut off."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the connection, and the clock of its request head."""
        self._real = transport
        super().connection_made(_ClosingGently(transport, self._linger))  # type: ignore[arg-type]
        self._head: bytearray | None = bytearray()
        self._thrown_away = 0
        self._timers = [self.loop.call_later(REQUEST_TIMEOUT, self._too_slow)]

    def connection_lost(self, exc: Exception | None) -> None:
        """End the connection."""
        for timer in self._timers:
            timer.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Pass the request head to h11 once it is whole and well-formed, and everything after it,
        until the connection closes; then throw it away."""
        if self._gentle.closing:
            self._thrown_away += len(data)
            if self._thrown_away > MAX_LINGER:
                self._real.close()
            return
        if self._head is None:
            super().data_received(data)
            return
        self._head += data
        end = head_end(self._head)
        if end is None and len(self._head) <= MAX_HEAD:
            return
        held, self._head = bytes(self._head), None
        if end is None or end > MAX_HEAD or head_problem(held[:end]):
            self._refuse(_BAD_REQUEST)
            return
        super().data_received(held)

    def send_400_response(self, msg: str) -> None:
        """Answer a request h11 finds malformed with the gate's fixed HTTP 400 (never its text) and close."""
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()
            return
        self._refuse(_BAD_REQUEST)

    @property
    def _gentle(self) -> _ClosingGently:
        return self.transport  # type: ignore[return-value]

    def _linger(self) -> None:
        for timer in self._timers:
            timer.cancel()
        real = self._real
        if real.is_closing() or not isinstance(real, asyncio.WriteTransport) or not real.can_write_eof():
            real.close()
            return
        real.write_eof()
        if isinstance(real, asyncio.ReadTransport):
            real.resume_reading()
        self._timers = [self.loop.call_later(LINGER, real.close), self.loop.call_later(REQUEST_TIMEOUT, real.abort)]

    def _too_slow(self) -> None:
        if self._head is not None:
            self._head = None
            self._refuse(_TOO_SLOW)

    def _refuse(self, answer: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()


def head_end(buffer: bytes | bytearray) -> int | None:
    """Where the request head in ``buffer`` ends (after its blank line, as h11 finds it), or None."""
    found = _BLANK_LINE.search(buffer)
    return found.end() if found else None


def head_problem(head: bytes) -> str | None:
    """Why the request head ``head`` (request line and headers) is refused, or None."""
    lines = [line.removesuffix(b"\r") for line in head.split(b"\n")]
    if any(byte not in _PRINTABLE for line in lines for byte in line):
        return "a byte that is not printable ASCII"
    if not lines[0].endswith((b" HTTP/1.1", b" HTTP/1.0")):
        return "not HTTP/1.1 or HTTP/1.0"
    if any(line[:1] in (b" ", b"\t") for line in lines[1:] if line):
        return "a folded header line"
    names = [line.split(b":", 1)[0].strip().lower() for line in lines[1:] if line]
    lengths = [line.split(b":", 1)[1].strip() for line in lines[1:] if b":" in line
               and line.split(b":", 1)[0].strip().lower() == b"content-length"]
    if lengths[1:] or not all(length.isdigit() for length in lengths):
        return "two Content-Length headers, or one that is not a number"
    encodings = [name for name in names if name == b"transfer-encoding"]
    if encodings[1:] or (lengths and encodings):
        return "two Transfer-Encoding headers, or one with Content-Length"
    return None


_PRINTABLE = frozenset(range(0x20, 0x7F)) | {0x09}
_BLANK_LINE = re.compile(b"\n\r?\n")


# --- the gate: uvicorn in a thread -------------------------------------------------------------


class _FixedWorker:
    """A worker that is a fixed address (a server the gate cannot stop, as in tests)."""

    def __init__(self, address: Address) -> None:
        self._address = address

    @property
    def address(self) -> Address:
        return self._address

    async def stop(self) -> None:
        return None


def fixed(address: Address) -> Spawn:
    """Workers that are all the one server at ``address``, never stopped."""
    async def spawn() -> Worker:
        return _FixedWorker(address)
    return spawn


class _FixedLine(logging.Handler):
    """Prints one fixed line for an error of uvicorn's, never its message (which may hold a request)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Print the fixed line for an error with an exception (the others are the gate's own doing)."""
        if record.levelno >= logging.ERROR and record.exc_info and record.exc_info[1]:
            print(f"necessity: the gate failed to answer a request ({type(record.exc_info[1]).__name__})",
                  file=sys.stderr)


def _fixed_exception_line(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The gate's event loop reports an error it caught in one fixed line, never its message."""
    error = context.get("exception")
    print(f"necessity: the gate failed to answer a request ({type(error).__name__ if error else 'error'})",
          file=sys.stderr)


def _quiet_uvicorn() -> None:
    """No access log; the error log prints only _FixedLine's fixed lines."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = [], False
        logger.setLevel(logging.ERROR)
    logging.getLogger("uvicorn.error").addHandler(_FixedLine())


class Gate:
    """The gate's server: listens on (host, port) and sends what it lets through to its workers, in
    a thread of its own (``start``, ``shutdown``); ``stopped`` is set once it has stopped."""

    def __init__(self, host: str, port: int, upstream: Address | Spawn, timeout: float,
                 max_answer: int = MAX_ANSWER, sizes: tuple[int, int] = (QUICK_WORKERS, MAIN_WORKERS),
                 quick_budget: float = QUICK_BUDGET) -> None:
        spawn = fixed(upstream) if isinstance(upstream, tuple) else upstream
        self.lanes = Lanes(spawn, timeout, max_answer, self._worker_failed, sizes, quick_budget)
        self._socket = _listen(host, port)
        self.server_address: Address = self._socket.getsockname()[:2]
        self.allowed_hosts = allowed_hosts(host, self.server_address[1])
        self.failure: BaseException | None = None
        self.stopped, self._ready = threading.Event(), threading.Event()
        self._server = uvicorn.Server(_config(GateApp(self.lanes, self.allowed_hosts)))
        self._thread = threading.Thread(target=self._run, name="necessity-gate", daemon=True)

    def start(self) -> None:
        """Start the workers and the server; raise what kept a worker from starting."""
        self._thread.start()
        while not (self._ready.wait(0.1) or self.stopped.is_set()):
            pass
        if self.failure is not None:
            self.shutdown()
            raise self.failure

    def shutdown(self) -> None:
        """Stop the server and every worker, and wait for them (at most a few seconds)."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._socket.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        finally:
            self.stopped.set()

    async def _main(self) -> None:
        asyncio.get_running_loop().set_exception_handler(_fixed_exception_line)
        try:
            await self.lanes.start()
            self._ready.set()
            if self.failure is None:
                await self._server.serve(sockets=[self._socket])
        except Exception as exc:  # noqa: BLE001 - reported by start() or to serve()
            self.failure = self.failure or exc
        finally:
            await self.lanes.close()

    def _worker_failed(self, exc: BaseException) -> None:
        self.failure = self.failure or exc
        self._server.should_exit = True


def start_gate(host: str, port: int, upstream: Address | Spawn, timeout: float, max_answer: int = MAX_ANSWER,
               sizes: tuple[int, int] = (QUICK_WORKERS, MAIN_WORKERS), quick_budget: float = QUICK_BUDGET) -> Gate:
    """Start the gate in a background thread and return it (``shutdown()`` stops it). ``upstream`` is
    the address of one server, or a function that starts a fresh worker."""
    gate = Gate(host, port, upstream, timeout, max_answer, sizes, quick_budget)
    gate.start()
    return gate


def _config(app: GateApp) -> uvicorn.Config:
    _quiet_uvicorn()
    return uvicorn.Config(app, http=OneRequestProtocol, loop="asyncio", lifespan="off", ws="none",
                          interface="asgi3", log_config=None, access_log=False, proxy_headers=False,
                          server_header=False, limit_concurrency=MAX_CONNECTIONS, timeout_graceful_shutdown=1,
                          h11_max_incomplete_event_size=MAX_HEAD)


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on (host, port), as http.server's would (address reuse)."""
    family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                     flags=socket.AI_PASSIVE)[0]
    listener = socket.socket(family, kind)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(1024)
    except OSError:
        listener.close()
        raise
    listener.setblocking(False)
    return listener


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


def _authority(address: Address) -> str:
    return f"{_bracketed(address[0])}:{address[1]}"


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host

