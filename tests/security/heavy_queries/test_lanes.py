"""The gate's two lanes (security review, finding B), against a stand-in for Oxigraph's server that
takes as long as a query asks (``"SLOW 1.5"`` in its text: 1.5 seconds) and workers that record when
the gate stops them: a cheap query does not wait behind slow ones, the time limit counts waiting
and ends in HTTP 503, and a worker whose request ran out of time, or whose client left, is stopped
and replaced."""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from reasoner.gate import Gate, Worker, start_gate

CHEAP = "ASK {}"


def slow(seconds: float) -> str:
    return f'SELECT * WHERE {{ ?s ?p "SLOW {seconds}" }}'


class SlowUpstream(ThreadingHTTPServer):
    """Answers after the delay the query names; keeps the queries it was asked, in order."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _SlowHandler)


class _SlowHandler(BaseHTTPRequestHandler):
    server: SlowUpstream

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        query = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        self.server.seen.append(query)
        delay = re.search(r"SLOW ([0-9.]+)", query)
        time.sleep(float(delay.group(1)) if delay else 0)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")
        except OSError:
            pass


class Recorded:
    """A worker that is the stand-in and counts the times the gate stops it."""

    def __init__(self, address: tuple[str, int], workers: Workers) -> None:
        self._address, self._workers = address, workers

    @property
    def address(self) -> tuple[str, int]:
        return self._address

    async def stop(self) -> None:
        self._workers.stopped += 1


class Workers:
    """Starts Recorded workers; counts the workers started and stopped."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address, self.started, self.stopped = address, 0, 0

    async def __call__(self) -> Worker:
        self.started += 1
        return Recorded(self.address, self)


@pytest.fixture
def upstream() -> Iterator[SlowUpstream]:
    server = SlowUpstream()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def workers(upstream: SlowUpstream) -> Workers:
    return Workers(("127.0.0.1", upstream.server_address[1]))


@pytest.fixture
def gate(workers: Workers) -> Iterator[Gate]:
    # one worker in each lane, a quick budget of 0.3 s, a time limit of 2 s
    gate = start_gate("127.0.0.1", 0, workers, timeout=2, sizes=(1, 1), quick_budget=0.3)
    yield gate
    gate.shutdown()


def ask(gate: Gate, query: str, results: dict[str, tuple[int, float, bytes]] | None = None,
        key: str | None = None) -> tuple[int, float, bytes]:
    """GET the query; return (and store in ``results`` under ``key``) the status, the seconds taken, the body."""
    port = gate.server_address[1]
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/query?" + urllib.parse.urlencode({"query": query}),
                       headers={"Host": f"127.0.0.1:{port}"})
    response = connection.getresponse()
    result = (response.status, time.monotonic() - started, response.read())
    if results is not None and key is not None:
        results[key] = result
    return result


def in_threads(gate: Gate, queries: dict[str, str], pause: float = 0.0) -> dict[str, tuple[int, float, bytes]]:
    """Ask each query in a thread of its own, ``pause`` seconds apart, and wait for every answer."""
    results: dict[str, tuple[int, float, bytes]] = {}
    threads = []
    for key, query in queries.items():
        threads.append(threading.Thread(target=ask, args=(gate, query, results, key)))
        threads[-1].start()
        time.sleep(pause)
    for thread in threads:
        thread.join(60)
    return results


def test_a_cheap_query_does_not_wait_behind_slow_ones(gate, workers):
    results = in_threads(gate, {"slow-1": slow(30), "slow-2": slow(30), "cheap": CHEAP}, pause=0.4)
    # slow-1 moved to the main lane after 0.3 s, slow-2 had the quick lane from 0.4 s to 0.7 s
    assert results["cheap"][0] == 200 and results["cheap"][1] < 1.0
    assert [results[key][0] for key in ("slow-1", "slow-2")] == [503, 503]


def test_the_time_limit_counts_the_wait_and_ends_in_503(gate, workers):
    results = in_threads(gate, {f"slow-{n}": slow(30) for n in range(3)})
    for status, took, body in results.values():
        assert status == 503 and 1.9 < took < 3.0
        assert body == (b"the query was cut off after the time limit of 2 s and stopped: ask for less (LIMIT) or "
                        b"serve with a longer --timeout\n")


def test_a_query_that_needs_longer_than_the_quick_budget_runs_again_in_the_main_lane(gate, workers, upstream):
    status, took, body = ask(gate, slow(0.6))
    assert (status, body) == (200, b"ok\n") and 0.85 < took < 2.0
    assert upstream.seen == [slow(0.6)] * 2  # stopped in the quick lane, asked again in the main one
    assert workers.stopped == 1


def test_every_worker_that_ran_out_of_time_is_stopped_and_replaced(gate, workers):
    in_threads(gate, {f"slow-{n}": slow(30) for n in range(3)})
    time.sleep(0.3)
    # each slow query was stopped in the quick lane (0.3 s), and the one that got the main lane at its limit
    assert workers.stopped == 4 and workers.started == 2 + 4
    assert ask(gate, CHEAP)[0] == 200


def test_a_client_that_leaves_has_its_worker_stopped(gate, workers):
    port = gate.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall((f"GET /query?{urllib.parse.urlencode({'query': slow(30)})} HTTP/1.1\r\n"
                     f"Host: 127.0.0.1:{port}\r\n\r\n").encode())
        sent = time.monotonic()
        time.sleep(0.6)  # past the quick budget: in the main lane
        assert workers.stopped == 1
    while workers.stopped < 2 and time.monotonic() - sent < 1.8:
        time.sleep(0.02)
    assert workers.stopped == 2 and workers.started == 4
    assert time.monotonic() - sent < 1.8  # stopped because the client left, before the time limit of 2 s


class Failing(Workers):
    """Starts ``good`` workers, then fails as a server that exits at once would."""

    def __init__(self, address: tuple[str, int], good: int) -> None:
        super().__init__(address)
        self.good = good

    async def __call__(self) -> Worker:
        if self.started >= self.good:
            raise RuntimeError("the SPARQL server stopped with exit code 1")
        return await super().__call__()


def test_a_worker_that_cannot_be_started_stops_the_gate(upstream):
    with pytest.raises(RuntimeError, match="exit code 1"):
        start_gate("127.0.0.1", 0, Failing(("127.0.0.1", upstream.server_address[1]), good=1), timeout=2,
                   sizes=(1, 1))
    gate = start_gate("127.0.0.1", 0, Failing(("127.0.0.1", upstream.server_address[1]), good=2), timeout=2,
                      sizes=(1, 1), quick_budget=0.3)
    try:
        # stopped in the quick lane, it cannot be replaced: the gate stops (and the query with it)
        assert ask(gate, slow(30))[0] >= 500
        assert gate.stopped.wait(10)
        assert "exit code 1" in str(gate.failure)
    finally:
        gate.shutdown()
