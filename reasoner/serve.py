"""A read-only SPARQL 1.1 Protocol endpoint (``necessity serve``) over the knowledge base, the
ICD-10-CM hierarchy and, optionally, one request's decided graph.

necessity fills an Oxigraph store in a temporary folder and runs Oxigraph's own server on it
(``oxigraph serve-read-only``, from the PyPI package ``oxigraph``): a small pool of them, all on the
same store (read-only, so they can share it), each on its own port of a private loopback address.
They answer SPARQL 1.1 Protocol queries at ``/query``, refuse updates, and serve a YASGUI page at
``/`` from their own files. Clients reach them only through the gate (``reasoner/gate.py``), which
refuses SERVICE, foreign Host headers and updates, gives each server one request at a time, and
kills (and replaces) a server whose request ran past ``--timeout``, since Oxigraph cannot cancel
one query. Each part is a named graph; the default graph is their union.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import os
import secrets
import shutil
import socket
import subprocess
import sysconfig
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal

from reasoner import resources
from reasoner.errors import NecessityError
from reasoner.gate import Gate, start_gate
from reasoner.knowledge import Knowledge
from reasoner.pipeline import decided
from reasoner.processes import stop_with_parent
from reasoner.vocab import BASE

KNOWLEDGE_GRAPH = BASE + "graph/knowledge"
HIERARCHY_GRAPH = BASE + "graph/icd10cm"
REQUEST_GRAPH = BASE + "graph/request"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Endpoint:
    """Where the server listens and what it serves: each named graph and its triple count."""

    host: str
    port: int
    graphs: tuple[tuple[str, int], ...]

    @property
    def url(self) -> str:
        """The base URL (the YASGUI page); queries go to ``url + "query"``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


def fill_store(location: Path, knowledge: Knowledge, request: str | None = None,
               claim_id: str | None = None) -> tuple[tuple[str, int], ...]:
    """Write the knowledge base, the ICD-10-CM hierarchy and (with ``request``) the request's facts,
    inferences and decision, each in its named graph, into an Oxigraph store at ``location``.

    The knowledge and the request's graph go in one load, so that a blank node of the knowledge
    (an OWL restriction, a list) is the same node in both."""
    graph = knowledge.graph
    parts = [(KNOWLEDGE_GRAPH, _rdf_triples(graph))]
    if request:
        decided_graph = decided(request, knowledge, claim_id=claim_id).store.as_graph()
        parts.append((REQUEST_GRAPH, _rdf_triples(decided_graph - graph)))
    store = ox.Store(str(location))
    store.bulk_load("".join(_quads(graph, name) for name, graph in parts).encode("utf-8"),
                    format=ox.RdfFormat.N_QUADS)
    hierarchy = ox.NamedNode(HIERARCHY_GRAPH)
    store.bulk_load(gzip.decompress(resources.code_hierarchy_file(knowledge.root).read_bytes()),
                    format=ox.RdfFormat.TURTLE,
                    to_graph=hierarchy)
    store.flush()
    counts = {name: len(graph) for name, graph in parts}
    counts[HIERARCHY_GRAPH] = sum(1 for _ in store.quads_for_pattern(None, None, None, hierarchy))
    del store
    return tuple((name, counts[name]) for name in (KNOWLEDGE_GRAPH, HIERARCHY_GRAPH, REQUEST_GRAPH) if name in counts)


def _rdf_triples(graph: Graph) -> Graph:
    """The triples of ``graph`` that are RDF: OWL 2 RL closure also derives some with a literal
    subject, which RDF has no syntax for."""
    valid = Graph()
    valid += (triple for triple in graph if not isinstance(triple[0], Literal))
    return valid


def _quads(graph: Graph, name: str) -> str:
    """``graph`` as N-Quads lines in the named graph ``name``."""
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "".join(f"{line.rstrip().removesuffix('.').rstrip()} <{name}> .\n" for line in lines if line.strip())


def server_command(program: str, location: Path, upstream: tuple[str, int], timeout: int) -> list[str]:
    """The command that runs Oxigraph's server (``program``) on the store at ``location``, read-only,
    on the private loopback address only the gate talks to."""
    return [program, "serve-read-only", "--location", str(location), "--bind", f"{upstream[0]}:{upstream[1]}",
            "--union-default-graph", "--timeout-s", str(timeout)]


def serve(knowledge: Knowledge, request: str | None, claim_id: str | None, host: str, port: int, timeout: int,
          ready: Callable[[Endpoint], None]) -> None:
    """Fill a temporary store, serve it behind the gate, tell ``ready`` once both listen, and serve
    until interrupted (KeyboardInterrupt) or until a server cannot be started."""
    program = _oxigraph()
    with tempfile.TemporaryDirectory(prefix="necessity-serve-") as folder:
        location = Path(folder) / "store"
        graphs = fill_store(location, knowledge, request, claim_id)
        workers = Workers(program, location, timeout)
        gate: Gate | None = None
        try:
            gate = _open_gate(host, port, workers, timeout)
            ready(Endpoint(host=host, port=port, graphs=graphs))
            while not gate.stopped.wait(1):
                pass
        except KeyboardInterrupt:
            return
        finally:
            if gate is not None:
                gate.shutdown()
            workers.stop_all()
        raise NecessityError(f"the SPARQL endpoint stopped: {gate.failure or 'its gate ended'}")


class Worker:
    """One ``oxigraph serve-read-only`` process on the store, on its own private loopback port."""

    def __init__(self, process: subprocess.Popen[bytes], address: tuple[str, int], workers: Workers) -> None:
        self.process, self._address, self._workers = process, address, workers

    @property
    def address(self) -> tuple[str, int]:
        """Where it listens."""
        return self._address

    async def stop(self) -> None:
        """Kill it (SIGKILL: it holds nothing but a read-only store) and wait until it is gone."""
        _kill(self.process)
        while self.process.poll() is None:
            await asyncio.sleep(0.005)
        self._workers.processes.discard(self.process)


class Workers:
    """Starts Oxigraph's servers on the store at ``location`` for the gate (called in the gate's
    thread, which lives as long as they are needed), each on a free port of one private loopback
    address, and keeps their processes so that ``stop_all`` can end any the gate left."""

    def __init__(self, program: str, location: Path, timeout: int) -> None:
        self.program, self.location, self.timeout = program, location, timeout
        self.host = _private_address()[0]
        self.processes: set[subprocess.Popen[bytes]] = set()

    async def __call__(self) -> Worker:
        """Start a fresh server and return it once it listens; raise NecessityError if it exits first."""
        address = (self.host, _free_port(self.host))
        try:
            process = subprocess.Popen(server_command(self.program, self.location, address, self.timeout),
                                       preexec_fn=functools.partial(stop_with_parent, os.getpid()),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise NecessityError(f"cannot start the SPARQL server: {exc.strerror}") from exc
        self.processes.add(process)
        if not await _listening(process, address):
            self.processes.discard(process)
            raise NecessityError(f"the SPARQL server stopped with exit code {process.returncode}")
        return Worker(process, address, self)

    def stop_all(self) -> None:
        """Kill every server still running and wait for each."""
        for process in list(self.processes):
            _kill(process)
            process.wait(timeout=30)
            self.processes.discard(process)


def _open_gate(host: str, port: int, workers: Workers, timeout: int) -> Gate:
    try:
        return start_gate(host, port, workers, timeout)
    except OSError as exc:
        raise NecessityError(f"cannot listen on {host} port {port}: {exc.strerror} (is the port in use?)") from exc


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()


async def _listening(process: subprocess.Popen[bytes], address: tuple[str, int]) -> bool:
    """Wait until the server accepts connections (True), or has exited (False)."""
    while process.poll() is None:
        try:
            _, writer = await asyncio.open_connection(*address)
        except OSError:
            await asyncio.sleep(0.005)
            continue
        writer.close()
        return True
    return False


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _private_address() -> tuple[str, int]:
    """A free port on a random address of the loopback network 127.0.0.0/8 (127.0.0.1 where the others
    are not routed): hard to guess for a page that tries DNS rebinding, and never announced."""
    for address in (f"127.{secrets.randbelow(254) + 1}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}",
                    "127.0.0.1"):
        try:
            with socket.socket() as probe:
                probe.bind((address, 0))
                return address, int(probe.getsockname()[1])
        except OSError:
            continue
    raise NecessityError("no loopback address to run the SPARQL server on")


def _oxigraph() -> str:
    """The path of the ``oxigraph`` program: beside this Python's scripts, or on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if found is None:
        raise NecessityError("the 'oxigraph' server program is missing: pip install 'oxigraph>=0.5,<0.6'")
    return found

