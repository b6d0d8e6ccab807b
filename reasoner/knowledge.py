"""Builds the knowledge base: the ontology and kg/ Turtle files, plus the axioms compiled from them.
A process loads it through ``reasoner/compiled.py``, which keeps the result in a cache.

The compile step runs the CONSTRUCT queries of ``queries/compile/``: they turn the authoring
vocabulary (a recommendation's patient class and the codes it supports, a documentation
criterion's question) into the OWL axioms the inference engine uses. No rule is written in Python.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph

from reasoner import resources
from reasoner.errors import KnowledgeError
from reasoner.vocab import bind_prefixes


@dataclass(frozen=True)
class KnowledgeBase:
    """The loaded knowledge: one graph (asserted and compiled axioms) and its content version."""

    graph: Graph
    version: str


@cache
def build_knowledge(root: Path) -> KnowledgeBase:
    """Parse the ontology and knowledge files under ``root`` and compile them (cached per folder and process)."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    for path in resources.knowledge_files(root):
        try:
            graph.parse(data=path.read_bytes(), format="turtle", publicID=path.as_uri())
        except Exception as exc:  # rdflib raises many types for bad Turtle
            raise KnowledgeError(f"{path}: not valid Turtle: {exc}") from exc
    for name in resources.query_names("compile", ".rq", root):
        graph += graph.query(resources.query_text(name, root)).graph or Graph()
    return KnowledgeBase(graph=graph, version=content_version(root))


def content_version(root: Path) -> str:
    """A hash of everything a determination depends on: the Turtle files, the ICD-10-CM hierarchy and
    the queries under ``root``."""
    digest = hashlib.sha256()
    files = [*resources.knowledge_files(root), resources.code_hierarchy_file(root),
             *resources.query_files(root)]
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]
