"""`necessity serve`: a read-only SPARQL 1.1 Protocol endpoint on loopback (Oxigraph's server behind
the gate), tested with real HTTP requests, and under a bounded load."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rdflib import RDF

from reasoner.cli.options import knowledge as installed
from reasoner.vocab import NEC

ROOT = Path(__file__).resolve().parents[2]
LOAD_QUERIES, LOAD_CLIENTS = 2000, 8
SEED = str(ROOT / "examples" / "seed-aml-port.json")
PREFIXES = "PREFIX nec: <https://necessity.example/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
LINE_STATUSES = PREFIXES + "SELECT ?code ?status WHERE { ?line nec:codeNotation ?code ; nec:decisionStatus ?status }"


class Server:
    """A running ``necessity serve`` process and its base URL."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, port: int, stderr: Path) -> None:
        self.process, self.url, self.port, self.stderr = process, url, port, stderr

    def request(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """Send a GET (or, with data, a POST) and return the status and the body."""
        call = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(call, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(tmp: Path, *args: str) -> Server:
    port = _free_port()
    env = {**os.environ, "TMPDIR": str(tmp)}
    with (tmp / "serve.stderr").open("wb") as errors:
        process = subprocess.Popen([sys.executable, "-m", "reasoner", "serve", *args, "--port", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=errors, env=env)
    server = Server(process, f"http://127.0.0.1:{port}/", port, tmp / "serve.stderr")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {server.stderr.read_text()}")
        try:
            if server.request("")[0] == 200:
                return server
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise AssertionError("serve did not answer within 300 s")


def _stop(server: Server) -> int:
    server.process.send_signal(signal.SIGTERM)
    return server.process.wait(timeout=60)


@pytest.fixture(scope="module")
def seed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server over the knowledge base and the seed request, with a 10-second query time limit."""
    server = _start(tmp_path_factory.mktemp("serve"), SEED, "--timeout", "10")
    yield server
    _stop(server)


def test_get_with_json_results_reads_the_seed_decision(seed_server):
    query = urllib.parse.urlencode({"query": LINE_STATUSES})
    status, body = seed_server.request(f"query?{query}", headers={"Accept": "application/sparql-results+json"})
    assert status == 200
    rows = {b["code"]["value"]: b["status"]["value"] for b in json.loads(body)["results"]["bindings"]}
    assert len(rows) == 15
    assert (rows["36561"], rows["P9037"], rows["85007"], rows["85610"]) == \
        ("justified", "not-justified", "coding-error", "justified")


def test_post_form_with_csv_results_reads_the_knowledge_base(seed_server):
    query = PREFIXES + "SELECT ?rec ?label WHERE { ?rec a nec:Recommendation ; rdfs:label ?label } ORDER BY ?rec"
    status, body = seed_server.request("query", data=urllib.parse.urlencode({"query": query}).encode(),
                                       headers={"Accept": "text/csv",
                                                "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    held = set(installed().graph.subjects(RDF.type, NEC.Recommendation))  # what the knowledge holds, not typed here
    assert len(rows) == len(held) >= 16
    assert "https://necessity.example/kg/recommendation/esmo-2015-port-for-iv-therapy" in {r["rec"] for r in rows}


def test_post_a_query_body_asks_the_icd10cm_hierarchy(seed_server):
    ask = (PREFIXES + "ASK { <https://necessity.example/code/icd10cm/C92.00> rdfs:subClassOf+ "
           "<https://necessity.example/kg/icd10cm-group/block-C81-C96> }")
    status, body = seed_server.request("query", data=ask.encode(),
                                       headers={"Content-Type": "application/sparql-query",
                                                "Accept": "application/sparql-results+json"})
    assert status == 200 and json.loads(body)["boolean"] is True


def test_updates_are_refused_and_change_nothing(seed_server):
    update = "INSERT DATA { <urn:x> <urn:y> <urn:z> }"
    status, body = seed_server.request("update", data=update.encode(),
                                       headers={"Content-Type": "application/sparql-update"})
    assert status == 403 and b"read-only" in body
    status, body = seed_server.request("query", data=urllib.parse.urlencode({"update": update}).encode(),
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and b"updates are refused" in body
    ask = urllib.parse.urlencode({"query": "ASK { <urn:x> ?p ?o }"})
    status, body = seed_server.request(f"query?{ask}", headers={"Accept": "application/sparql-results+json"})
    assert status == 200 and json.loads(body)["boolean"] is False


@pytest.mark.slow  # a kill, load or timeout test: seconds of waiting (CI runs it)
def test_an_expensive_query_is_cut_off_with_an_error(seed_server):
    query = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"})
    started = time.monotonic()
    status, body = seed_server.request(f"query?{query}", headers={"Accept": "text/csv"})
    # the gate stops the query (and kills the Oxigraph server computing it) at the time limit
    assert 9.5 < time.monotonic() - started < 15
    assert status == 503 and b"cut off after the time limit of 10 s" in body


def test_service_is_refused_and_nothing_leaves_the_machine(seed_server):
    # Oxigraph's server alone would send this query to the listener; the gate refuses it unsent.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(2)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        text = f"SELECT * {{ VALUES ?a {{1}} FILTER(COALESCE(EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }})) }}"
        form = urllib.parse.urlencode({"query": text})
        for path, data, headers in (
                (f"query?{form}", None, {}),
                ("query", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}),
                ("query", text.encode(), {"Content-Type": "application/sparql-query"})):
            status, body = seed_server.request(path, data=data, headers=headers)
            assert status == 400 and b"SERVICE is refused" in body
        with pytest.raises(socket.timeout):
            listener.accept()


def test_a_request_for_another_host_is_refused(seed_server):
    # DNS rebinding: a page of evil.example whose name now points to 127.0.0.1 sends its own Host.
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    status, body = seed_server.request(f"query?{query}", headers={"Host": f"evil.example:{seed_server.port}"})
    assert status == 403 and b"Host header" in body
    assert seed_server.request(f"query?{query}", headers={"Host": f"localhost:{seed_server.port}"})[0] == 200


@pytest.mark.slow  # a kill, load or timeout test: seconds of waiting (CI runs it)
def test_a_bounded_load_on_loopback_fails_no_request(seed_server, record_property):
    queries = [LINE_STATUSES, PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?r a nec:Recommendation }",
               "ASK { ?s ?p ?o }", PREFIXES + "SELECT ?c ?l WHERE { ?c rdfs:label ?l } LIMIT 50"]
    paths = [f"query?{urllib.parse.urlencode({'query': queries[n % len(queries)]})}" for n in range(LOAD_QUERIES)]

    def timed(path: str) -> tuple[int, float]:
        started = time.perf_counter()
        status, _ = seed_server.request(path, headers={"Accept": "application/sparql-results+json"})
        return status, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=LOAD_CLIENTS) as clients:
        results = list(clients.map(timed, paths))
    wall = time.perf_counter() - started
    statuses = [status for status, _ in results]
    latencies = sorted(took for _, took in results)
    assert statuses == [200] * LOAD_QUERIES
    assert wall < 600
    summary = (f"SPARQL endpoint load: {LOAD_QUERIES} queries from {LOAD_CLIENTS} concurrent clients on loopback "
               f"in {wall:.1f} s: {LOAD_QUERIES / wall:.0f} queries/s, p50 {latencies[len(latencies) // 2] * 1000:.0f} "
               f"ms, p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms, 0 failed")
    record_property("corpus-summary", summary)


def test_request_and_knowledge_share_their_blank_nodes(seed_server):
    # the closure types a claim line with the knowledge's OWL restrictions (blank nodes): the join
    # across the two named graphs finds them only if both were loaded as one
    ask = (PREFIXES + "PREFIX owl: <http://www.w3.org/2002/07/owl#> ASK { "
           "GRAPH <https://necessity.example/graph/request> { ?line nec:codeNotation \"36561\" ; a ?restriction } "
           "GRAPH <https://necessity.example/graph/knowledge> { ?restriction owl:onProperty ?property } "
           "FILTER(isBlank(?restriction)) }")
    status, body = seed_server.request(f"query?{urllib.parse.urlencode({'query': ask})}",
                                       headers={"Accept": "application/sparql-results+json"})
    assert status == 200 and json.loads(body)["boolean"] is True


def test_the_yasgui_page_and_its_code_come_from_the_server_itself(seed_server):
    status, body = seed_server.request("")
    assert status == 200 and b"yasgui" in body.lower()
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", body.decode())
    assert sources and all(not re.match(r"(https?:)?//", source) for source in sources)
    status, script = seed_server.request("yasgui.min.js")
    assert status == 200 and len(script) > 100_000


def test_listens_on_loopback_only_by_default(seed_server):
    assert _listening_addresses(seed_server.port) == {"127.0.0.1"}
    outside = _outside_address()
    if outside:
        with pytest.raises(OSError), socket.create_connection((outside, seed_server.port), timeout=5):
            pass
    assert f"serving read-only SPARQL at http://127.0.0.1:{seed_server.port}/query" in seed_server.stderr.read_text()


@pytest.mark.slow  # a kill, load or timeout test: seconds of waiting (CI runs it)
def test_sigterm_stops_the_server_and_removes_its_store(tmp_path):
    server = _start(tmp_path)
    assert list(tmp_path.glob("necessity-serve-*"))
    oxigraph = _children(server.process.pid, "oxigraph")
    assert len(oxigraph) == 8  # the gate's two lanes of Oxigraph servers
    assert _stop(server) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in oxigraph)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=5):
        pass
    assert list(tmp_path.glob("necessity-serve-*")) == []


def _children(parent: int, command: str) -> set[int]:
    """The process ids of the running children of ``parent`` that run ``command``."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split() if entry.name.isdigit() else []
            if fields and int(fields[1]) == parent and fields[0] != "Z" \
                    and (entry / "comm").read_text().strip() == command:
                found.add(int(entry.name))
        except OSError:
            continue
    return found


def _listening_addresses(port: int) -> set[str]:
    """The IPv4 and IPv6 addresses a TCP socket listens on at ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
                raw = bytes.fromhex(address)
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, words))
    return found


def _outside_address() -> str | None:
    """An IPv4 address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address
