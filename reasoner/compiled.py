"""The compiled knowledge base: everything a review needs from ontology/, kg/ and queries/, built once
per content version and cached on disk, so that a process loads it in a fraction of a second.

Building it parses and compiles the knowledge (``reasoner/knowledge.py``), closes it alone with the
reference engine (owlrl: the schema rules and everything about the knowledge's own individuals),
compiles the fast engine's tables from that closure, and reads the ingest tables and the
ICD-10-CM hierarchy. The cache file is named after the content version (a hash of every knowledge
file, the hierarchy and the queries) and a hash of the code that builds it, so a change under kg/,
ontology/ or queries/, or to that code, makes a new one. It lives in ``$NECESSITY_CACHE_DIR``,
else ``$XDG_CACHE_HOME/necessity``, else ``~/.cache/necessity``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import time
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from rdflib import OWL, XSD, Graph, Literal
from rdflib.term import Node

from reasoner import __version__, resources
from reasoner.engines import fast, reference
from reasoner.errors import KnowledgeError, NecessityError
from reasoner.files import write_whole
from reasoner.hierarchy import Hierarchy, read_hierarchy
from reasoner.ingest.tables import Tables, reference_tables
from reasoner.knowledge import KnowledgeBase, build_knowledge, content_version
from reasoner.vocab import bind_prefixes

Triple = tuple[Node, Node, Node]

# The modules whose code shapes what is cached: a change to any of them makes a new cache file.
_BUILDERS = ("compiled.py", "engines/fast.py", "engines/reference.py", "hierarchy.py", "ingest/systems.py",
             "ingest/tables.py", "ingest/units.py", "knowledge.py", "resources.py", "vocab.py")
_LIBRARIES = ("rdflib", "owlrl", "pyoxigraph", "ucumvert", "pint")

log = logging.getLogger("necessity")


@dataclass(frozen=True)
class CompiledKnowledge:
    """The knowledge as asserted and compiled, what the reference engine entails from it alone, the fast
    engine's tables, the ingest tables and the ICD-10-CM hierarchy, for one content version."""

    version: str
    asserted: tuple[Triple, ...]
    entailed: tuple[Triple, ...]
    rules: fast.Rules | None
    tables: Tables
    hierarchy: Hierarchy
    refusal: str | None = None

    def fast_rules(self) -> fast.Rules:
        """The fast engine's tables, or the KnowledgeError saying which construct it does not implement."""
        if self.rules is None:
            raise KnowledgeError(self.refusal or "the fast engine's tables are missing")
        return self.rules


def load_compiled() -> CompiledKnowledge:
    """The installed knowledge base, compiled: from the cache when it holds this version, else built and cached."""
    return compiled_for(resources.data_root())


def load_knowledge() -> KnowledgeBase:
    """The installed knowledge base (asserted and compiled axioms) as an rdflib graph, with its version."""
    compiled = load_compiled()
    return KnowledgeBase(graph=knowledge_graph(compiled), version=compiled.version)


@cache
def compiled_for(root: Path) -> CompiledKnowledge:
    """The compiled knowledge of the data folder ``root`` (once per process; on disk per version)."""
    version = content_version(root)
    path = cache_dir() / f"knowledge-{version}-{_code_version()}.pickle"
    cached = _read_cache(path, version)
    if cached is not None:
        log.info("knowledge base %s read from the cache %s", version, path)
        return cached
    started = time.perf_counter()
    compiled = build_compiled(root)
    log.info("knowledge base %s built in %.1f s (closed by owlrl, compiled for the fast engine)", version,
             time.perf_counter() - started)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _only_mine(path.parent):  # others could have put a link there, which writing follows
            raise NecessityError(f"{path.parent} is writable by others")
        write_whole(path, pickle.dumps(compiled, protocol=pickle.HIGHEST_PROTOCOL), mode=0o600)
        _forget_old(path.parent)
        log.info("knowledge base %s cached in %s", version, path)
    except (OSError, NecessityError) as exc:
        log.warning("could not write the knowledge cache %s (%s); going on without it", path, exc)
    return compiled


def build_compiled(root: Path) -> CompiledKnowledge:
    """Build the compiled knowledge of ``root`` from its files (several seconds: the reference closure)."""
    knowledge = build_knowledge(root)
    closed = close_knowledge(knowledge.graph)
    try:
        rules, refusal = fast.compile_rules(closed, datatype_supertypes()), None
    except KnowledgeError as exc:  # the reference engine can still reason with this knowledge
        rules, refusal = None, str(exc)
    return CompiledKnowledge(
        version=knowledge.version,
        asserted=tuple(knowledge.graph),
        entailed=tuple(t for t in closed if t not in knowledge.graph),
        rules=rules,
        tables=reference_tables(knowledge.graph),
        hierarchy=read_hierarchy(resources.code_hierarchy_file(root)),
        refusal=refusal,
    )


def close_knowledge(knowledge: Graph) -> Graph:
    """The reference engine's closure of ``knowledge`` alone, without literal subjects and ``x owl:sameAs x``:
    what the fast engine's tables are compiled from and what a request's facts are reasoned against."""
    closed = Graph()
    bind_prefixes(closed.namespace_manager)
    for triple in reference.infer(knowledge, Graph()):
        if _kept(triple):
            closed.add(triple)
    return closed


def cache_dir() -> Path:
    """Where compiled knowledge is cached: $NECESSITY_CACHE_DIR, $XDG_CACHE_HOME/necessity or ~/.cache/necessity."""
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


def knowledge_graph(compiled: CompiledKnowledge) -> Graph:
    """The knowledge as asserted and compiled, as an rdflib graph (once per process and version)."""
    if compiled.version not in _GRAPHS:
        graph = Graph()
        bind_prefixes(graph.namespace_manager)
        for triple in compiled.asserted:
            graph.add(triple)
        _GRAPHS[compiled.version] = graph
    return _GRAPHS[compiled.version]


_GRAPHS: dict[str, Graph] = {}


@cache
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


def _read_cache(path: Path, version: str) -> CompiledKnowledge | None:
    """The cached compiled knowledge at ``path``, if it is this version's and only this user could have
    written it (unpickling runs code: a file others can write is never read)."""
    try:
        if not _trusted(path):
            log.warning("ignoring the knowledge cache %s: it or its folder is writable by others", path)
            return None
        compiled = pickle.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception as exc:  # a cache from elsewhere or cut short: build again
        log.warning("ignoring the unreadable knowledge cache %s (%s)", path, exc)
        return None
    return compiled if isinstance(compiled, CompiledKnowledge) and compiled.version == version else None
