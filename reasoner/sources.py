"""The knowledge split by its sources: the recommendations, coding rules and checks, each with its own
triples (its subject's, and those of the blank nodes only it links: its patient class, its derivation
axioms), indexed by the codes it supports, opposes or applies to; the rest is the core.

A claim's store holds the core and the sources bearing on its lines' codes (``reasoner/store.py``), and
the fast engine leaves out what bears only on the sources no line names (``reasoner/engines/fast.py``):
so a review's cost follows the claim's codes, not the size of the knowledge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rdflib import BNode
from rdflib.term import Node

from reasoner.vocab import NEC

Triple = tuple[Node, Node, Node]

# The properties by which a recommendation, coding rule or check bears on the codes of claim lines.
BEARING = (NEC.supportsCode, NEC.opposesCode, NEC.appliesTo)


@dataclass(frozen=True)
class Split:
    """The closed knowledge's core, each source's own triples, and the sources by the code (a class, named
    or a class expression) they bear on."""

    core: list[Triple]
    owned: dict[Node, list[Triple]]
    bearing: dict[Node, set[Node]]


def split_by_source(asserted: Iterable[Triple], entailed: Iterable[Triple]) -> Split:
    """The knowledge (asserted, and entailed by the reference engine alone) split by source. What owlrl
    entails about class expressions (blank node subjects: their subclasses, equivalents and types) is left
    out: it serves inference, which is done before the decision, and no decision query reads it; and it
    links one source's class expressions to another's."""
    return _sliced((*asserted, *(t for t in entailed if not isinstance(t[0], BNode))))


def _sliced(closed: tuple[Triple, ...]) -> Split:
    """The closed knowledge split into its core and each source's own triples, and the sources by the codes
    they bear on. A blank node belongs to a source when its connected part of the graph links that source
    alone; else it stays in the core."""
    bearing: dict[Node, set[Node]] = {}
    for s, p, o in closed:
        if p in BEARING:
            bearing.setdefault(o, set()).add(s)
    sources = {s for found in bearing.values() for s in found}
    parts = _blank_parts(closed)
    links: dict[Node, set[Node]] = {}
    for s, _, o in closed:
        if isinstance(s, BNode) and o in sources:
            links.setdefault(parts(s), set()).add(o)
        if s in sources and isinstance(o, BNode):
            links.setdefault(parts(o), set()).add(s)
    core: list[Triple] = []
    owned: dict[Node, list[Triple]] = {source: [] for source in sources}
    for triple in closed:
        subject = triple[0]
        owners = {subject} if subject in sources else links.get(parts(subject), set()) if isinstance(subject, BNode) \
            else set()
        if len(owners) == 1:
            owned[next(iter(owners))].append(triple)
        else:
            core.append(triple)
    return Split(core=core, owned=owned, bearing=bearing)


def _blank_parts(closed: tuple[Triple, ...]) -> Any:
    """A function giving each blank node the representative of its connected part (blank to blank links)."""
    parent: dict[Node, Node] = {}

    def find(node: Node) -> Node:
        root = node
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(node, node) != root:
            parent[node], node = root, parent[node]
        return root

    for s, _, o in closed:
        if isinstance(s, BNode) and isinstance(o, BNode):
            a, b = find(s), find(o)
            if a != b:
                parent[a] = b
    return find
