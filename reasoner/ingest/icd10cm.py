"""The ICD-10-CM hierarchy, read from the public tables shipped in the PyPI package simple-icd-10-cm.

For each code of a request, the chain of its ancestors (subcategory, category, block, chapter)
becomes rdfs:subClassOf triples, so a criterion on a block or category matches every code below it.
"""

from __future__ import annotations

from functools import cache

from rdflib import RDFS, Graph, Literal, URIRef

from reasoner.vocab import ICD, NEC


@cache
def _tables():  # type: ignore[no-untyped-def]
    import simple_icd_10_cm

    return simple_icd_10_cm


def is_known(code: str) -> bool:
    """Whether ``code`` (with or without the dot) is a category or code of ICD-10-CM."""
    cm = _tables()
    return bool(cm.is_valid_item(code)) and not cm.is_chapter_or_block(code)


def code_class(code: str) -> URIRef:
    """The class IRI of an ICD-10-CM code, in its dotted form when the code is known."""
    cm = _tables()
    return ICD[cm.add_dot(code) if is_known(code) else code]


@cache
def ancestry(code: str) -> tuple[tuple[str, str], ...]:
    """(local name, description) of the code and each ancestor, from the code up to its chapter."""
    cm = _tables()
    if not is_known(code):
        return ()
    chain = [cm.add_dot(code), *cm.get_ancestors(code)]
    names = [*chain[:-2], f"block-{chain[-2]}", f"chapter-{chain[-1]}"]
    return tuple((name, cm.get_description(item)) for name, item in zip(names, chain, strict=True))


def add_hierarchy(graph: Graph, code: str) -> None:
    """Add the code's class, its ancestors, their labels and the subclass chain to ``graph`` (nothing for a
    code that is not in ICD-10-CM: it stays a class of its own that no criterion names)."""
    chain = ancestry(code)
    if not chain:
        return
    for (name, label), parent in zip(chain, [*chain[1:], None], strict=True):
        node = ICD[name]
        graph.add((node, RDFS.label, Literal(label)))
        graph.add((node, RDFS.subClassOf, ICD[parent[0]] if parent else NEC.ICD10CMCode))


def description(code: str) -> str | None:
    """The ICD-10-CM description of a code, or None when the code is not in ICD-10-CM."""
    return _tables().get_description(code) if is_known(code) else None
