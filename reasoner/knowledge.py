"""The knowledge: everything a review needs from ontology/, kg/ and queries/, as one frozen object.

``Knowledge.build(root)`` parses the Turtle files, runs the CONSTRUCT queries of
``queries/compile/`` (they turn the authoring vocabulary into the OWL axioms the engines use; no
rule is written in Python), closes the result alone with the reference engine (owlrl), compiles the
fast engine's rules from that closure, and reads the ingest tables, the ICD-10-CM hierarchy and the
text of every query. ``Knowledge.load(root)`` does the same through a cache on disk: a pickle named
after the content version (a hash of every knowledge file, the hierarchy and the queries) and a hash
of the code that builds it, in ``$NECESSITY_CACHE_DIR``, else ``$XDG_CACHE_HOME/necessity``, else
``~/.cache/necessity``. A process loads it once, at its edge (the CLI, a batch worker, a Spark
partition), and passes it to every operation (``docs/decisions/0014-one-knowledge-one-store.md``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import time
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

from rdflib import OWL, XSD, Graph, Literal
from rdflib.term import Node

from reasoner import __version__, resources
from reasoner.engines import Engine, FastEngine, ReferenceEngine, fast
from reasoner.errors import KnowledgeError, NecessityError
from reasoner.files import write_whole
from reasoner.hierarchy import Hierarchy, read_hierarchy
from reasoner.ingest.shape_queries import PatientShapes, compile_shapes
from reasoner.ingest.tables import Tables, reference_tables
from reasoner.resources import Queries, read_queries
from reasoner.sources import split_by_source
from reasoner.store import KnowledgeStore
from reasoner.vocab import bind_prefixes

Triple = tuple[Node, Node, Node]

# The modules whose code shapes what is cached: a change to any of them makes a new cache file.
_BUILDERS = ("knowledge.py", "engines/__init__.py", "engines/fast.py", "engines/reference.py", "hierarchy.py",
             "ingest/systems.py", "ingest/tables.py", "ingest/units.py", "resources.py", "sources.py", "vocab.py")
_LIBRARIES = ("rdflib", "owlrl", "pyoxigraph", "ucumvert", "pint")
# What is made on first use and never pickled: it is rebuilt from the fields in a fraction of a second.
_MADE_ON_USE = ("graph", "closed", "store", "shapes")

log = logging.getLogger("necessity")


@dataclass(frozen=True)
class Knowledge:
    """One content version of the knowledge: asserted and compiled, what the reference engine entails from
    it alone, the fast engine's rules (or why it refuses them), the ingest tables with the ICD-10-CM
    hierarchy, the patient shapes and every query."""

    root: Path
    version: str
    asserted: tuple[Triple, ...]
    entailed: tuple[Triple, ...]
    rules: fast.Rules | None
    tables: Tables
    queries: Queries
    shapes_text: str
    refusal: str | None = None

    @classmethod
    def load(cls, root: Path | None = None) -> Knowledge:
        """The knowledge of the data folder ``root`` (the installed one by default): from the cache when it
        holds this version, else built and cached."""
        root = root or resources.data_root()
        version = content_version(root)
        path = cache_dir() / f"knowledge-{version}-{_code_version()}.pickle"
        cached = _read_cache(path, version)
        if cached is not None:
            log.info("knowledge base %s read from the cache %s", version, path)
            return cached
        started = time.perf_counter()
        built = cls.build(root)
        log.info("knowledge base %s built in %.1f s (closed by owlrl, compiled for the fast engine)", version,
                 time.perf_counter() - started)
        _write_cache(path, built)
        return built

    @classmethod
    def build(cls, root: Path) -> Knowledge:
        """Build the knowledge of ``root`` from its files, never from the cache (seconds: the reference closure)."""
        queries = read_queries(root)
        graph = parse_knowledge(root, queries)
        closed = close_knowledge(graph)
        asserted, entailed = tuple(graph), tuple(t for t in closed if t not in graph)
        split = split_by_source(asserted, entailed)
        try:
            rules, refusal = fast.compile_rules(closed, datatype_supertypes(), split), None
        except KnowledgeError as exc:  # the reference engine can still reason with this knowledge
            rules, refusal = None, str(exc)
        hierarchy = read_hierarchy(resources.code_hierarchy_file(root))
        return cls(root=root, version=content_version(root), asserted=asserted, entailed=entailed, rules=rules,
                   tables=reference_tables(graph, queries, hierarchy), queries=queries,
                   shapes_text=resources.shapes_file("patient", root).read_text(encoding="utf-8"), refusal=refusal)

    @property
    def hierarchy(self) -> Hierarchy:
        """The ICD-10-CM hierarchy, with its lookups."""
        return self.tables.hierarchy

    def fast_rules(self) -> fast.Rules:
        """The fast engine's rules, or the KnowledgeError saying which construct it does not implement."""
        if self.rules is None:
            raise KnowledgeError(self.refusal or "the fast engine's rules are missing")
        return self.rules

    def engine(self, name: str) -> Engine:
        """The inference engine ``fast`` or ``reference`` for this knowledge."""
        if name == "reference":
            return ReferenceEngine(self.graph, self.closed)
        if name == "fast":
            return FastEngine(self.fast_rules())
        raise KnowledgeError(f"no engine {name!r}: the engines are fast and reference")

    @cached_property
    def graph(self) -> Graph:
        """The knowledge as asserted and compiled, as an rdflib graph, with necessity's prefixes."""
        graph = Graph()
        bind_prefixes(graph.namespace_manager)
        for triple in self.asserted:
            graph.add(triple)
        return graph

    @cached_property
    def closed(self) -> frozenset[Triple]:
        """The closed knowledge: asserted, compiled and entailed triples."""
        return frozenset((*self.asserted, *self.entailed))

    @cached_property
    def store(self) -> KnowledgeStore:
        """The Oxigraph store holding the closed knowledge, where every claim is decided in a graph of its own."""
        updates = [self.queries.text(n) for n in self.queries.names("decide", ".ru")]
        return KnowledgeStore(self.asserted, self.entailed, updates)

    @cached_property
    def shapes(self) -> PatientShapes:
        """The patient shapes (``ontology/shapes/patient.ttl``), with their compiled ASK query."""
        return compile_shapes(Graph().parse(data=self.shapes_text, format="turtle"))

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in _MADE_ON_USE}


def parse_knowledge(root: Path, queries: Queries | None = None) -> Graph:
    """Parse the ontology and knowledge files under ``root`` and add what the compile queries construct."""
    return compile_knowledge(asserted_knowledge(root), queries or read_queries(root))


def asserted_knowledge(root: Path) -> Graph:
    """The ontology and knowledge files under ``root`` as written, before the compile queries."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    for path in resources.knowledge_files(root):
        try:
            graph.parse(data=path.read_bytes(), format="turtle", publicID=path.as_uri())
        except Exception as exc:  # rdflib raises many types for bad Turtle
            raise KnowledgeError(f"{path}: not valid Turtle: {exc}") from exc
    return graph


def compile_knowledge(graph: Graph, queries: Queries) -> Graph:
    """Add to ``graph`` what the compile queries (``queries/compile/``) construct from it, in their order:
    the OWL axioms of the criteria vocabulary, the documentation elements, the links; return it."""
    for name in queries.names("compile", ".rq"):
        graph += graph.query(queries.text(name)).graph or Graph()
    return graph


def content_version(root: Path) -> str:
    """A hash of everything a determination depends on: the Turtle files, the shapes (the patient shapes
    are cached with the knowledge), the ICD-10-CM hierarchy and the queries under ``root``."""
    digest = hashlib.sha256()
    files = [*resources.knowledge_files(root), *sorted((root / "ontology" / "shapes").glob("*.ttl")),
             resources.code_hierarchy_file(root), *resources.query_files(root)]
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def close_knowledge(knowledge: Graph) -> Graph:
    """The reference engine's closure of ``knowledge`` alone, without literal subjects and ``x owl:sameAs x``:
    what the fast engine's tables are compiled from and what a request's facts are reasoned against."""
    from reasoner.engines import reference  # owlrl: only to build the knowledge, not to load it

    closed = Graph()
    bind_prefixes(closed.namespace_manager)
    for triple in (*knowledge, *reference.entailments(knowledge, Graph())):
        if _kept(triple):
            closed.add(triple)
    return closed


def cache_dir() -> Path:
    """Where the knowledge is cached: $NECESSITY_CACHE_DIR, $XDG_CACHE_HOME/necessity or ~/.cache/necessity."""
    if os.environ.get("NECESSITY_CACHE_DIR"):
        return Path(os.environ["NECESSITY_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "necessity"


def datatype_supertypes() -> dict[Node, frozenset[Node]]:
    """Each XSD datatype and the datatypes that subsume it, as owlrl's OWL 2 RL extension has them."""
    from owlrl.XsdDatatypes import OWL_Datatype_Subsumptions

    table = {datatype: frozenset(supers) for datatype, supers in OWL_Datatype_Subsumptions.items()}
    table[XSD.decimal] = table.get(XSD.decimal, frozenset()) | {OWL.rational}
    return table


def _code_version() -> str:
    """A hash of necessity's version, the Python version and the code of the modules that build the cache."""
    versions = " ".join(metadata.version(name) for name in _LIBRARIES)
    digest = hashlib.sha256(f"{__version__} {sys.version_info.major}.{sys.version_info.minor} {versions}".encode())
    package = Path(__file__).resolve().parent
    for name in _BUILDERS:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:12]


def _kept(triple: Triple) -> bool:
    """Whether a triple of the reference closure is worth keeping: not a literal's own typing (literals
    cannot be subjects in RDF stores) and not the trivial ``x owl:sameAs x`` of every resource (eq-ref)."""
    subject, predicate, value = triple
    return not isinstance(subject, Literal) and not (predicate == OWL.sameAs and subject == value)


def _write_cache(path: Path, knowledge: Knowledge) -> None:
    """Write the cache file, only into a folder no one else can write; a failure costs only time (logged)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _only_mine(path.parent):  # others could have put a link there, which writing follows
            raise NecessityError(f"{path.parent} is writable by others")
        write_whole(path, pickle.dumps(knowledge, protocol=pickle.HIGHEST_PROTOCOL), mode=0o600)
        _forget_old(path.parent)
        log.info("knowledge base %s cached in %s", knowledge.version, path)
    except (OSError, NecessityError) as exc:
        log.warning("could not write the knowledge cache %s (%s); going on without it", path, exc)


def _trusted(path: Path) -> bool:
    """Whether ``path`` and its folder belong to this user and no one else may write them."""
    return all(_only_mine(item) for item in (path, path.parent))


def _only_mine(item: Path) -> bool:
    """Whether ``item`` belongs to this user and no one else may write it."""
    status = item.stat()
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def _forget_old(folder: Path, keep: int = 3) -> None:
    """Remove all but the ``keep`` newest cache files (other versions of the knowledge or the code)."""
    try:
        files = sorted(folder.glob("knowledge-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    except FileNotFoundError:  # another process removed one meanwhile
        return
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def _read_cache(path: Path, version: str) -> Knowledge | None:
    """The cached knowledge at ``path``, if it is this version's and only this user could have written it
    (unpickling runs code: a file others can write is never read)."""
    try:
        if not _trusted(path):
            log.warning("ignoring the knowledge cache %s: it or its folder is writable by others", path)
            return None
        knowledge = pickle.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception as exc:  # a cache from elsewhere or cut short: build again
        log.warning("ignoring the unreadable knowledge cache %s (%s)", path, exc)
        return None
    return knowledge if isinstance(knowledge, Knowledge) and knowledge.version == version else None
