"""Heavy queries against the real ``necessity serve`` (security review, finding B): eight cartesian
COUNT queries at once must neither hold the endpoint (a plain ``ASK {}`` is answered within a few
seconds) nor outlive their time limit (each ends with HTTP 503 close to ``--timeout``, and the
Oxigraph server that ran it is killed: no process goes on computing); a client that leaves frees
its server at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 6
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
HEAVY_CLIENTS = 8
TICKS = os.sysconf("SC_CLK_TCK")

pytestmark = pytest.mark.slow


class Serve:
    """A running ``necessity serve`` process, its port and its standard error."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process, self.port = process, port

    def ask(self, query: str) -> tuple[int, float, bytes]:
        """GET the query; the status, the seconds it took and the body."""
        started = time.monotonic()
        url = f"http://127.0.0.1:{self.port}/query?" + urllib.parse.urlencode({"query": query})
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        return status, time.monotonic() - started, body

    def servers(self) -> dict[int, int]:
        """The Oxigraph servers it runs: process id -> CPU time used so far, in clock ticks."""
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and command == "oxigraph" and fields[0] != "Z":
                found[int(entry.name)] = int(fields[11]) + int(fields[12])
        return found

    def busy(self, seconds: float = 0.5) -> dict[int, float]:
        """The servers' CPU use over ``seconds``, each as a share of one core."""
        before = self.servers()
        time.sleep(seconds)
        after = self.servers()
        return {pid: (after[pid] - before[pid]) / TICKS / seconds for pid in before if pid in after}


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    tmp = tmp_path_factory.mktemp("heavy")
    process = subprocess.Popen([sys.executable, "-m", "reasoner", "serve", "--port", str(port),
                                "--timeout", str(TIMEOUT)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(tmp)})
    server = Serve(process, port)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if server.ask("ASK {}")[0] == 200:
                break
        except OSError:
            time.sleep(0.5)
    assert process.poll() is None, "necessity serve did not start"
    yield server
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0


def test_heavy_queries_neither_hold_the_endpoint_nor_outlive_their_time_limit(serve, record_property):
    pool = serve.servers()
    assert len(pool) == 8 and max(serve.busy().values()) < 0.1
    heavy: list[tuple[int, float, bytes]] = []
    clients = [threading.Thread(target=lambda: heavy.append(serve.ask(HEAVY))) for _ in range(HEAVY_CLIENTS)]
    for client in clients:
        client.start()
    time.sleep(0.5)
    status, ask_took, body = serve.ask("ASK {}")
    assert status == 200 and b"true" in body
    assert ask_took < 5
    working = {pid for pid, share in serve.busy().items() if share > 0.2}
    assert working  # the measure sees the heavy queries at work
    for client in clients:
        client.join(120)
    assert [status for status, _, _ in heavy] == [503] * HEAVY_CLIENTS
    assert all(b"cut off after the time limit of 6 s and stopped" in body for _, _, body in heavy)
    ended = [took for _, took, _ in heavy]
    assert all(TIMEOUT - 0.2 < took < TIMEOUT + 2 for took in ended)
    time.sleep(0.5)
    assert working.isdisjoint(serve.servers())  # the servers that computed them were killed
    after = serve.busy(1.0)
    assert len(after) == 8 and max(after.values()) < 0.1  # fresh ones in their place, idle
    record_property("corpus-summary", f"heavy queries: ASK {{}} answered in {ask_took:.2f} s while {HEAVY_CLIENTS} "
                                      f"heavy queries ran; heavy queries ended at {min(ended):.2f}-{max(ended):.2f} s "
                                      f"with 503 (--timeout {TIMEOUT}), their servers killed, none left computing")


def test_a_client_that_leaves_frees_its_server_before_the_time_limit(serve):
    with socket.create_connection(("127.0.0.1", serve.port), timeout=10) as raw:
        raw.sendall((f"GET /query?{urllib.parse.urlencode({'query': HEAVY})} HTTP/1.1\r\n"
                     f"Host: 127.0.0.1:{serve.port}\r\n\r\n").encode())
        time.sleep(2)  # past the quick lane's budget: on a server of the main lane
        working = {pid for pid, share in serve.busy().items() if share > 0.2}
        assert len(working) == 1
    left = time.monotonic()
    while time.monotonic() - left < 2 and not working.isdisjoint(serve.servers()):
        time.sleep(0.05)
    assert working.isdisjoint(serve.servers())
    assert time.monotonic() - left < 1.5  # well before the time limit (6 s from the request)
    assert max(serve.busy().values()) < 0.1
