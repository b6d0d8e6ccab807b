"""A read-only SPARQL 1.1 Protocol endpoint (``necessity serve``) over the knowledge base, the
ICD-10-CM hierarchy and, optionally, one request's decided graph.

necessity writes no HTTP server: it fills an Oxigraph store in a temporary folder and runs
Oxigraph's own server on it (``oxigraph serve-read-only``, from the PyPI package ``oxigraph``),
which answers SPARQL 1.1 Protocol queries at ``/query``, refuses updates, cuts off a query after
``--timeout`` seconds, and serves a YASGUI page at ``/`` from its own files (nothing is fetched from
the network). Each part is a named graph, and the default graph is their union.
"""

from __future__ import annotations

import ctypes
import gzip
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal

from reasoner import resources
from reasoner.compiled import load_knowledge
from reasoner.errors import NecessityError
from reasoner.pipeline import decided
from reasoner.vocab import BASE

KNOWLEDGE_GRAPH = BASE + "graph/knowledge"
HIERARCHY_GRAPH = BASE + "graph/icd10cm"
REQUEST_GRAPH = BASE + "graph/request"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


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


def fill_store(location: Path, request: str | None = None, claim_id: str | None = None) -> tuple[tuple[str, int], ...]:
    """Write the knowledge base, the ICD-10-CM hierarchy and (with ``request``) the request's facts,
    inferences and decision, each in its named graph, into an Oxigraph store at ``location``.

    The knowledge and the request's graph go in one load, so that a blank node of the knowledge
    (an OWL restriction, a list) is the same node in both."""
    knowledge = load_knowledge().graph
    parts = [(KNOWLEDGE_GRAPH, _rdf_triples(knowledge))]
    if request:
        parts.append((REQUEST_GRAPH, _rdf_triples(decided(request, claim_id).graph - knowledge)))
    store = ox.Store(str(location))
    store.bulk_load("".join(_quads(graph, name) for name, graph in parts).encode("utf-8"),
                    format=ox.RdfFormat.N_QUADS)
    hierarchy = ox.NamedNode(HIERARCHY_GRAPH)
    store.bulk_load(gzip.decompress(resources.code_hierarchy_file().read_bytes()), format=ox.RdfFormat.TURTLE,
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


def server_command(program: str, location: Path, host: str, port: int, timeout: int) -> list[str]:
    """The command that runs Oxigraph's server (``program``) on the store at ``location``, read-only."""
    return [program, "serve-read-only", "--location", str(location), "--bind", f"{_bind_host(host)}:{port}",
            "--union-default-graph", "--timeout-s", str(timeout)]


def serve(request: str | None, claim_id: str | None, host: str, port: int, timeout: int,
          ready: Callable[[Endpoint], None]) -> None:
    """Fill a temporary store, serve it, tell ``ready`` once the server listens, and serve until
    interrupted (KeyboardInterrupt) or until the server stops."""
    program = _oxigraph()
    with tempfile.TemporaryDirectory(prefix="necessity-serve-") as folder:
        location = Path(folder) / "store"
        graphs = fill_store(location, request, claim_id)
        process = subprocess.Popen(server_command(program, location, host, port, timeout),
                                   preexec_fn=_stop_with_parent)
        try:
            if _wait_until_listening(process, host, port):
                ready(Endpoint(host=host, port=port, graphs=graphs))
            code = process.wait()
        except KeyboardInterrupt:
            process.terminate()
            process.wait(timeout=30)
            return
        raise NecessityError(f"the SPARQL server stopped with exit code {code} (is port {port} in use?)")


def _wait_until_listening(process: subprocess.Popen[bytes], host: str, port: int) -> bool:
    """Wait until the server accepts connections (True), or has exited (False)."""
    while process.poll() is None:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _stop_with_parent() -> None:
    """In the server's process, before it starts (Linux): ask for SIGTERM when necessity dies, even by
    SIGKILL, so that no server outlives it."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _oxigraph() -> str:
    """The path of the ``oxigraph`` program: beside this Python's scripts, or on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if found is None:
        raise NecessityError("the 'oxigraph' server program is missing: pip install 'oxigraph>=0.5,<0.6'")
    return found


def _bind_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
