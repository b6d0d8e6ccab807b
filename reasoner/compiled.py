"""The compiled knowledge base: everything a review needs from ontology/, kg/ and queries/, built once
per content version and cached on disk, so that a process loads it in a fraction of a second.

Building it parses and compiles the knowledge (``reasoner/knowledge.py``), closes it alone with the
reference engine (owlrl: the schema rules and everything about the knowledge's own individuals),
compiles the fast engine's tables from that closure, and reads the ingest tables and the
ICD-10-CM hierarchy. The cache file is named after the content version (a hash of every knowledge
file, the hierarchy and the queries), so a change under kg/, ontology/ or queries/ makes a new one.
It lives in ``$NECESSITY_CACHE_DIR``, else ``$XDG_CACHE_HOME/necessity``, else ``~/.cache/necessity``.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import OWL, XSD, Graph, Literal
from rdflib.term import Node

from reasoner import __version__, resources
from reasoner.engines import fast, reference
from reasoner.errors import NecessityError
from reasoner.files import write_whole
from reasoner.hierarchy import Hierarchy, read_hierarchy
from reasoner.ingest.tables import Tables, reference_tables
from reasoner.knowledge import KnowledgeBase, build_knowledge, content_version
from reasoner.vocab import bind_prefixes

Triple = tuple[Node, Node, Node]

# Part of the cache file's name: a new release or Python makes a new file rather than reading an old one.
CACHE_FORMAT = f"{__version__}-py{sys.version_info.major}.{sys.version_info.minor}-1"

log = logging.getLogger("necessity")


@dataclass(frozen=True)
class CompiledKnowledge:
    """The knowledge as asserted and compiled, what the reference engine entails from it alone, the fast
    engine's tables, the ingest tables and the ICD-10-CM hierarchy, for one content version."""

    version: str
    asserted: tuple[Triple, ...]
    entailed: tuple[Triple, ...]
    rules: fast.Rules
    tables: Tables
    hierarchy: Hierarchy


def load_compiled() -> CompiledKnowledge:
    """The installed knowledge base, compiled: from the cache when it holds this version, else built and cached."""
    return compiled_for(resources.data_root())


def load_knowledge() -> KnowledgeBase:
    """The installed knowledge base (asserted and compiled axioms) as an rdflib graph, with its version."""
    return _knowledge_graph(resources.data_root())


@cache
def compiled_for(root: Path) -> CompiledKnowledge:
    """The compiled knowledge of the data folder ``root`` (once per process; on disk per version)."""
    version = content_version(root)
    path = cache_dir() / f"knowledge-{version}-{CACHE_FORMAT}.pickle"
    cached = _read_cache(path, version)
    if cached is not None:
        return cached
    compiled = build_compiled(root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, pickle.dumps(compiled, protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, NecessityError) as exc:
        log.warning("could not write the knowledge cache %s (%s); going on without it", path, exc)
    return compiled


def build_compiled(root: Path) -> CompiledKnowledge:
    """Build the compiled knowledge of ``root`` from its files (several seconds: the reference closure)."""
    knowledge = build_knowledge(root)
    closure = reference.infer(knowledge.graph, Graph())
    closed = Graph()
    bind_prefixes(closed.namespace_manager)
    for triple in closure:
        if _kept(triple):
            closed.add(triple)
    return CompiledKnowledge(
        version=knowledge.version,
        asserted=tuple(knowledge.graph),
        entailed=tuple(t for t in closed if t not in knowledge.graph),
        rules=fast.compile_rules(closed, datatype_supertypes()),
        tables=reference_tables(knowledge.graph),
        hierarchy=read_hierarchy(resources.code_hierarchy_file(root)),
    )


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


@cache
def _knowledge_graph(root: Path) -> KnowledgeBase:
    compiled = compiled_for(root)
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    for triple in compiled.asserted:
        graph.add(triple)
    return KnowledgeBase(graph=graph, version=compiled.version)


def _kept(triple: Triple) -> bool:
    """Whether a triple of the reference closure is worth keeping: not a literal's own typing (literals
    cannot be subjects in RDF stores) and not the trivial ``x owl:sameAs x`` of every resource (eq-ref)."""
    subject, predicate, value = triple
    return not isinstance(subject, Literal) and not (predicate == OWL.sameAs and subject == value)


def _read_cache(path: Path, version: str) -> CompiledKnowledge | None:
    try:
        compiled = pickle.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception as exc:  # a cache from elsewhere or cut short: build again
        log.warning("ignoring the unreadable knowledge cache %s (%s)", path, exc)
        return None
    return compiled if isinstance(compiled, CompiledKnowledge) and compiled.version == version else None
