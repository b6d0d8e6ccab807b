"""The patient shapes (``ontology/shapes/patient.ttl``) compiled to one SPARQL ASK query that is true
when a graph breaks any of them, run in a small Oxigraph store of the graph's own triples: well under
a millisecond, where pyshacl takes several. pyshacl stays the reference: it names the violation when
the query finds one, and the tests hold the two to the same answer on every example, on generated
requests and on graphs broken constraint by constraint (``tests/ingest/test_shape_queries.py``).

The compiler knows the SHACL Core constraints the patient shapes use (targets by class and by
objects of a property; property shapes on a predicate path with min and max count, datatype, class,
in, pattern, hasValue, qualified value shapes with min and max count, or; node-level or and xone of
property shapes). A shapes graph with anything else is refused when compiled, naming it, and is then
checked by pyshacl alone. Literals that are not well formed for their datatype (rdflib's
``ill_typed``) are left to pyshacl, which tells them apart; SPARQL does not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from reasoner.errors import KnowledgeError

SH = Namespace("http://www.w3.org/ns/shacl#")
_TARGETS = {SH.targetClass, SH.targetObjectsOf, SH.targetSubjectsOf}
_KNOWN = {SH.path, SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH["in"], SH.pattern, SH.hasValue,
          SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH["or"], SH.xone, SH.property,
          SH.message, SH.name, SH.description, RDF.type, *_TARGETS}


@dataclass(frozen=True)
class PatientShapes:
    """The patient shapes as an rdflib graph (for pyshacl) and as one ASK query for their violations (None
    when the shapes use what the compiler does not know)."""

    graph: Graph
    ask: str | None
    refusal: str | None = None

    def violated(self, data: Graph) -> bool:
        """Whether ``data`` may break a shape: True when the query finds a violation, when a literal is not well
        formed or a triple is not RDF, or when the shapes could not be compiled (pyshacl decides then)."""
        if self.ask is None or any(isinstance(o, Literal) and o.ill_typed for _, _, o in data):
            return True
        from reasoner.store import quads

        try:
            found = quads(data)
        except (TypeError, ValueError):  # not RDF (a literal predicate): pyshacl says what is wrong
            return True
        store = ox.Store()
        store.extend(found)
        return bool(store.query(self.ask))


def compile_shapes(shapes: Graph) -> PatientShapes:
    """The shapes graph with its ASK query; the query is None, and the refusal says why, for a construct the
    compiler does not know."""
    try:
        parts = [_shape(shapes, shape, _Names()) for shape in _node_shapes(shapes)]
    except KnowledgeError as exc:
        return PatientShapes(graph=shapes, ask=None, refusal=str(exc))
    return PatientShapes(graph=shapes, ask="ASK {\n" + "\nUNION\n".join(parts) + "\n}")


class _Names:
    """Fresh SPARQL variable names."""

    def __init__(self) -> None:
        self.count = itertools.count(1)

    def __call__(self, stem: str) -> str:
        return f"?{stem}{next(self.count)}"


def _node_shapes(shapes: Graph) -> list[Node]:
    return sorted({s for p in _TARGETS for s in shapes.subjects(p, None)}, key=str)


def _shape(shapes: Graph, shape: Node, names: _Names) -> str:
    """The violations of one node shape, as a group whose ?focus is each target node that breaks it: the targets
    found once, each constraint then tested on the bound ?focus (EXISTS is evaluated with it)."""
    _check_known(shapes, shape)
    targets = [f"{{ ?focus <{RDF.type}>/<{_SUBCLASS}>* <{c}> }}" for c in shapes.objects(shape, SH.targetClass)]
    targets += [f"{{ ?s{i} <{p}> ?focus }}" for i, p in enumerate(shapes.objects(shape, SH.targetObjectsOf))]
    targets += [f"{{ ?focus <{p}> ?o{i} }}" for i, p in enumerate(shapes.objects(shape, SH.targetSubjectsOf))]
    broken = list(_node_violations(shapes, shape, "?focus", names))
    if not broken:
        return "{ FILTER(false) }"
    return f"{{ {' UNION '.join(targets)} FILTER({' || '.join(broken)}) }}"


def _node_violations(shapes: Graph, shape: Node, focus: str, names: _Names) -> Iterator[str]:
    """SPARQL expressions, each true when ``focus`` breaks one constraint of the node shape."""
    for prop in shapes.objects(shape, SH.property):
        yield from _property_violations(shapes, prop, focus, names)
    for members in shapes.objects(shape, SH["or"]):
        held = [_conforms(shapes, m, focus, names) for m in Collection(shapes, members)]
        yield f"!({' || '.join(held)})"
    for members in shapes.objects(shape, SH.xone):
        held = [_conforms(shapes, m, focus, names) for m in Collection(shapes, members)]
        yield f"(({' + '.join(f'IF({h}, 1, 0)' for h in held)}) != 1)"


def _conforms(shapes: Graph, member: Node, focus: str, names: _Names) -> str:
    """A SPARQL expression true when ``focus`` conforms to the property shape ``member``."""
    _check_known(shapes, member)
    if shapes.value(member, SH.path) is None:
        raise KnowledgeError(f"{member}: a member of sh:or or sh:xone that is not a property shape")
    checks = [f"!{v}" for v in _property_violations(shapes, member, focus, names)]
    return "(" + " && ".join(checks or ["true"]) + ")"


def _property_violations(shapes: Graph, prop: Node, focus: str, names: _Names) -> Iterator[str]:
    """SPARQL expressions, each true when ``focus`` breaks one constraint of the property shape ``prop``."""
    _check_known(shapes, prop)
    path = shapes.value(prop, SH.path)
    if not isinstance(path, URIRef):
        raise KnowledgeError(f"{prop}: sh:path {path} is not a predicate (the compiler knows predicate paths only)")
    p = f"<{path}>"
    value = names("v")
    for minimum in shapes.objects(prop, SH.minCount):
        yield _too_few(focus, p, int(str(minimum)), "true", names)
    for maximum in shapes.objects(prop, SH.maxCount):
        yield _too_many(focus, p, int(str(maximum)), "true", names)
    for datatype in shapes.objects(prop, SH.datatype):
        yield f"EXISTS {{ {focus} {p} {value} . FILTER(!isLiteral({value}) || datatype({value}) != <{datatype}>) }}"
    for kind in shapes.objects(prop, SH["class"]):
        yield f"EXISTS {{ {focus} {p} {value} . FILTER NOT EXISTS {{ {value} <{RDF.type}>/<{_SUBCLASS}>* <{kind}> }} }}"
    for members in shapes.objects(prop, SH["in"]):
        allowed = " || ".join(f"sameTerm({value}, {_term(m)})" for m in Collection(shapes, members))
        yield f"EXISTS {{ {focus} {p} {value} . FILTER(!({allowed or 'false'})) }}"
    for pattern in shapes.objects(prop, SH.pattern):
        yield f"EXISTS {{ {focus} {p} {value} . FILTER(!{_matches(value, str(pattern))}) }}"
    for wanted in shapes.objects(prop, SH.hasValue):
        yield f"NOT EXISTS {{ {focus} {p} {_term(wanted)} }}"
    for members in shapes.objects(prop, SH["or"]):
        held = [_value_conforms(shapes, m, value) for m in Collection(shapes, members)]
        yield f"EXISTS {{ {focus} {p} {value} . FILTER(!({' || '.join(held)})) }}"
    for qualified in shapes.objects(prop, SH.qualifiedValueShape):
        condition = _value_conforms(shapes, qualified, "{v}")
        for minimum in shapes.objects(prop, SH.qualifiedMinCount):
            yield _too_few(focus, p, int(str(minimum)), condition, names)
        for maximum in shapes.objects(prop, SH.qualifiedMaxCount):
            yield _too_many(focus, p, int(str(maximum)), condition, names)


def _value_conforms(shapes: Graph, shape: Node, value: str) -> str:
    """A SPARQL expression true when the node ``value`` conforms to a node shape of value constraints (pattern,
    hasValue, datatype)."""
    _check_known(shapes, shape)
    known = {SH.pattern, SH.hasValue, SH.datatype, RDF.type, SH.message}
    other = {p for p in shapes.predicates(shape, None)} - known
    if other:
        raise KnowledgeError(f"{shape}: {', '.join(sorted(map(str, other)))} on a value shape (the compiler knows "
                             "sh:pattern, sh:hasValue and sh:datatype there)")
    checks = [_matches(value, str(p)) for p in shapes.objects(shape, SH.pattern)]
    checks += [f"sameTerm({value}, {_term(v)})" for v in shapes.objects(shape, SH.hasValue)]
    checks += [f"(isLiteral({value}) && datatype({value}) = <{d}>)" for d in shapes.objects(shape, SH.datatype)]
    return "(" + " && ".join(checks or ["true"]) + ")"


def _too_few(focus: str, p: str, minimum: int, condition: str, names: _Names) -> str:
    if minimum == 0:
        return "false"
    values = [names("m") for _ in range(minimum)]
    distinct = [f"!sameTerm({a}, {b})" for a, b in itertools.combinations(values, 2)]
    held = [condition.replace("{v}", v) for v in values]
    found = " . ".join(f"{focus} {p} {v}" for v in values)
    return f"NOT EXISTS {{ {found} . FILTER({' && '.join([*distinct, *held])}) }}"


def _too_many(focus: str, p: str, maximum: int, condition: str, names: _Names) -> str:
    values = [names("n") for _ in range(maximum + 1)]
    distinct = [f"!sameTerm({a}, {b})" for a, b in itertools.combinations(values, 2)]
    held = [condition.replace("{v}", v) for v in values]
    found = " . ".join(f"{focus} {p} {v}" for v in values)
    return f"EXISTS {{ {found} . FILTER({' && '.join([*distinct, *held])}) }}"


def _matches(value: str, pattern: str) -> str:
    """SHACL's sh:pattern: the node is not blank and its string matches the regular expression."""
    escaped = pattern.replace("\\", "\\\\").replace('"', '\\"')
    return f'(!isBlank({value}) && REGEX(STR({value}), "{escaped}"))'


def _term(node: Node) -> str:
    if isinstance(node, BNode):
        raise KnowledgeError("a blank node as a value in a shape")
    return node.n3()


def _check_known(shapes: Graph, shape: Node) -> None:
    unknown = {p for p in shapes.predicates(shape, None) if p not in _KNOWN}
    if unknown:
        raise KnowledgeError(f"{shape}: {', '.join(sorted(map(str, unknown)))} (not among the constraints the "
                             "shape compiler knows)")


_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
