"""The fast engine: the OWL 2 RL rules the knowledge base uses, compiled once from the closed
knowledge base into lookup tables (``compile_rules``), then applied per request to that request's
facts only (``infer``).

The schema rules (scm-*) and the rules about the knowledge's own individuals (cls-oo, prp-* on
guidelines and codes) run once, when the reference engine closes the knowledge base alone (see
``reasoner/knowledge.py``). What is left per request is forward chaining over the request's
individuals: a worklist of new triples, each looked up in the tables below. The rules are named
after the W3C's OWL 2 RL profile, section 4.3 (https://www.w3.org/TR/owl2-profiles/#OWL_2_RL);
``docs/decisions/0008-fast-engine.md`` lists each one with the test that proves it. A knowledge
base that uses a construct outside those rules is refused when the tables are compiled, naming it.
"""

from __future__ import annotations

import operator
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from reasoner.errors import KnowledgeError, ReasoningError
from reasoner.sources import Split

Triple = tuple[Node, Node, Node]

# rdflib's namespace attributes are slow to look up; the worklist uses these thousands of times.
_TYPE, _SUBCLASS, _THING = RDF.type, RDFS.subClassOf, OWL.Thing
_EVERYTHING = frozenset({OWL.Thing, RDFS.Resource})

FACETS: dict[Node, Callable[[Any, Any], bool]] = {
    XSD.minInclusive: operator.ge, XSD.minExclusive: operator.gt,
    XSD.maxInclusive: operator.le, XSD.maxExclusive: operator.lt,
}

# OWL constructs whose rules this engine does not implement (the W3C rule ids in brackets). The
# knowledge base does not use them; if it ever does, compile_rules names them and the reference
# engine (--engine reference) still reasons with them.
UNSUPPORTED: dict[Node, str] = {
    OWL.allValuesFrom: "cls-avf", OWL.maxCardinality: "cls-maxc1/2", OWL.maxQualifiedCardinality: "cls-maxqc1-4",
    OWL.hasSelf: "hasSelf", OWL.complementOf: "cls-com", OWL.hasKey: "prp-key", OWL.sameAs: "eq-*",
    OWL.differentFrom: "eq-diff1", OWL.disjointWith: "cax-dw", OWL.propertyDisjointWith: "prp-pdw",
    OWL.AsymmetricProperty: "prp-asyp", OWL.IrreflexiveProperty: "prp-irp", OWL.AllDisjointClasses: "cax-adc",
    OWL.AllDifferent: "eq-diff2/3", OWL.NegativePropertyAssertion: "prp-npa1/2",
    OWL.AllDisjointProperties: "prp-adp",
}


@dataclass(frozen=True)
class DataRange:
    """A datatype restriction (owl:onDatatype with owl:withRestrictions): the datatypes whose
    literals it accepts and the facets a value must satisfy."""

    accepts: frozenset[Node]
    facets: tuple[tuple[Node, Any], ...]

    def admits(self, literal: Literal, literal_types: frozenset[Node]) -> bool:
        """Whether ``literal`` (whose datatypes are ``literal_types``) is in this data range."""
        if not self.accepts & literal_types:
            return False
        value = literal.toPython()
        try:
            return all(FACETS[facet](value, bound) for facet, bound in self.facets)
        except TypeError:  # a value that does not compare with the bound is not in the range
            return False


@dataclass(frozen=True)
class Rules:
    """The closed knowledge base as lookup tables, one per OWL 2 RL rule family."""

    superclasses: dict[Node, frozenset[Node]]               # cax-sco, cax-eqc1/2
    has_value: dict[Node, tuple[Node, Node]]                # cls-hv1: restriction -> (property, value)
    by_value: dict[tuple[Node, Node], tuple[Node, ...]]     # cls-hv2: (property, value) -> restrictions
    some_values: dict[Node, tuple[tuple[Node, Node], ...]]  # cls-svf1/2: property -> (restriction, filler)
    by_filler: dict[Node, tuple[tuple[Node, Node], ...]]    # cls-svf1: filler -> (restriction, property)
    intersections: dict[Node, tuple[Node, ...]]             # cls-int1/2: intersection -> components
    by_component: dict[Node, tuple[Node, ...]]              # cls-int1: component -> intersections
    unions: dict[Node, tuple[Node, ...]]                    # cls-uni: member class -> unions
    domains: dict[Node, tuple[Node, ...]]                   # prp-dom
    ranges: dict[Node, tuple[Node, ...]]                    # prp-rng
    super_properties: dict[Node, tuple[Node, ...]]          # prp-spo1, prp-eqp1/2
    inverses: dict[Node, tuple[Node, ...]]                  # prp-inv1/2
    chains: dict[Node, tuple[tuple[Node, tuple[Node, ...]], ...]]  # prp-spo2: link -> (property, chain)
    symmetric: frozenset[Node]                              # prp-symp
    transitive: frozenset[Node]                             # prp-trp
    functional: frozenset[Node]                             # prp-fp (refused: equality)
    inverse_functional: frozenset[Node]                     # prp-ifp (refused: equality)
    data_ranges: dict[Node, DataRange]                      # datatype restrictions with facets
    datatype_supertypes: dict[Node, frozenset[Node]]        # dt-type2 and the XSD subsumptions
    individual_types: dict[Node, frozenset[Node]]           # the knowledge's own individuals: their types,
    individual_out: dict[Node, dict[Node, frozenset[Node]]]  # their edges by subject and property,
    individual_in: dict[Node, dict[Node, frozenset[Node]]]   # and by object and property
    owners: dict[Node, Node] = field(default_factory=dict)   # a source's own class expressions -> the source
    activators: dict[Node, tuple[Node, ...]] = field(default_factory=dict)  # code -> the sources bearing on it


def compile_rules(closed: Graph, datatype_supertypes: dict[Node, frozenset[Node]], split: Split | None = None) -> Rules:
    """Read the lookup tables from ``closed``, the knowledge base closed by the reference engine.
    ``datatype_supertypes`` maps each XSD datatype to the datatypes that subsume it. With ``split`` (the
    knowledge split by source), also which class expressions are a source's own and may be left out of a
    focused closure (``focusable``)."""
    used = sorted(f"{closed.namespace_manager.normalizeUri(str(term))} ({rule})" for term, rule in UNSUPPORTED.items()
                  if any(_is_axiom(s, o) for s, o in closed.subject_objects(term))
                  or any(closed.triples((None, RDF.type, term))))
    if used:
        raise KnowledgeError("the fast engine does not implement the OWL 2 RL rules of " + ", ".join(used)
                             + "; use --engine reference")
    restrictions = {r: p for r, p in closed.subject_objects(OWL.onProperty)}
    has_value = {r: (restrictions[r], v) for r, v in closed.subject_objects(OWL.hasValue) if r in restrictions}
    some_values = [(r, restrictions[r], f) for r, f in closed.subject_objects(OWL.someValuesFrom) if r in restrictions]
    intersections = {i: _members(closed, head) for i, head in closed.subject_objects(OWL.intersectionOf)}
    unions = {u: _members(closed, head) for u, head in closed.subject_objects(OWL.unionOf)}
    rules = Rules(
        superclasses=_closed_over(_pairs(closed, RDFS.subClassOf)),
        has_value=has_value,
        by_value=_grouped((pv, r) for r, pv in has_value.items()),
        some_values=_grouped((p, (r, f)) for r, p, f in some_values),
        by_filler=_grouped((f, (r, p)) for r, p, f in some_values),
        intersections=intersections,
        by_component=_grouped((c, i) for i, members in intersections.items() for c in members),
        unions=_grouped((c, u) for u, members in unions.items() for c in members),
        domains=_grouped(_pairs(closed, RDFS.domain)),
        ranges=_grouped(_pairs(closed, RDFS.range)),
        super_properties=_grouped([*_pairs(closed, RDFS.subPropertyOf), *_pairs(closed, OWL.equivalentProperty),
                                   *((q, p) for p, q in _pairs(closed, OWL.equivalentProperty))]),
        inverses=_grouped([*_pairs(closed, OWL.inverseOf), *((q, p) for p, q in _pairs(closed, OWL.inverseOf))]),
        chains=_chains(closed),
        symmetric=frozenset(closed.subjects(RDF.type, OWL.SymmetricProperty)),
        transitive=frozenset(closed.subjects(RDF.type, OWL.TransitiveProperty)),
        functional=frozenset(closed.subjects(RDF.type, OWL.FunctionalProperty)),
        inverse_functional=frozenset(closed.subjects(RDF.type, OWL.InverseFunctionalProperty)),
        data_ranges=_data_ranges(closed, datatype_supertypes),
        datatype_supertypes=datatype_supertypes,
        individual_types={node: frozenset(types) for node, types in _grouped(closed.subject_objects(RDF.type)).items()},
        individual_out=_edges(closed, inverse=False),
        individual_in=_edges(closed, inverse=True),
    )
    if split is None:
        return rules
    owners = focusable(rules, split)
    focused = set(owners.values())
    activators = _grouped((code, source) for code, sources in split.bearing.items() for source in sources
                          if source in focused)
    return replace(rules, owners=owners, activators=activators)


def focusable(rules: Rules, split: Split) -> dict[Node, Node]:
    """The class expressions (blank nodes) of each source that a focused closure may leave out while no fact
    is an instance of a code the source bears on, mapped to their source. A source qualifies when it bears
    only on named codes (a line is then an instance of one of them before it can bear on the source), and
    when membership in each of its own class expressions entails nothing outside them: their superclasses,
    the intersections and unions they are part of and the restrictions they fill are its own (or owl:Thing,
    or a component of the intersection, which the member has already), and a value restriction's value is
    the source itself (``x nec:justifiedBy source``). So what is left out is only about the source."""
    codes: dict[Node, set[Node]] = defaultdict(set)
    for code, sources in split.bearing.items():
        for source in sources:
            codes[source].add(code)
    owned: dict[Node, set[Node]] = defaultdict(set)
    for source, triples in split.owned.items():
        for triple in triples:
            owned[source].update(n for n in triple if isinstance(n, BNode))
    return {node: source for source, nodes in owned.items()
            if all(isinstance(code, URIRef) for code in codes[source]) and _isolated(rules, source, nodes)
            for node in nodes}


def _isolated(rules: Rules, source: Node, nodes: set[Node]) -> bool:
    """Whether membership in any of ``nodes`` (a source's class expressions) entails nothing beyond them but
    what the member has already (``_held``)."""
    held = _Held(rules)

    def inside(classes: Iterable[Node], also: set[Node] | frozenset[Node] = frozenset()) -> bool:
        return all(c in nodes or c in _EVERYTHING or c in also for c in classes)

    return all(inside(rules.superclasses.get(n, ()), held(n)) and inside(rules.by_component.get(n, ()))
               and inside(rules.unions.get(n, ())) and inside(r for r, _ in rules.by_filler.get(n, ()))
               and rules.has_value.get(n, (None, source))[1] == source
               for n in nodes)


class _Held:
    """The classes a member of a class expression is an instance of by another way than the expression: an
    intersection's components and what they entail; for ``p some F``, the restrictions ``p some G`` with
    G held by a member of F (the member's ``p`` value has G, so cls-svf1 derives them directly)."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.memo: dict[Node, frozenset[Node]] = {}
        self.fillers = {r: (p, f) for p, pairs in rules.some_values.items() for r, f in pairs}

    def __call__(self, node: Node) -> frozenset[Node]:
        if node not in self.memo:
            self.memo[node] = frozenset()  # a cycle holds nothing more
            self.memo[node] = self._held(node)
        return self.memo[node]

    def _held(self, node: Node) -> frozenset[Node]:
        rules = self.rules
        found = {d for c in rules.intersections.get(node, ())
                 for d in (c, *rules.superclasses.get(c, ()), *self(c))}
        if node in self.fillers:
            p, filler = self.fillers[node]
            below = {filler, *rules.superclasses.get(filler, ()), *self(filler)}
            found |= {r for r, f in rules.some_values.get(p, ()) if f in below or f in _EVERYTHING}
        return frozenset(found)


def _edges(graph: Graph, inverse: bool) -> dict[Node, dict[Node, frozenset[Node]]]:
    """The knowledge's edges other than rdf:type, by subject (or by object) and property."""
    edges: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
    for s, p, o in graph:
        if p != RDF.type and not isinstance(o, Literal):
            edges[o][p].add(s) if inverse else edges[s][p].add(o)
    return {node: {p: frozenset(v) for p, v in by.items()} for node, by in edges.items()}


def infer(rules: Rules, facts: Iterable[Triple], focused: bool = False) -> set[Triple]:
    """Return the triples OWL 2 RL derives from ``facts`` with the closed knowledge base of ``rules``
    that are not among the facts: the request's own entailments (a few may repeat the knowledge's).
    ``focused`` leaves out the memberships in a source's own class expressions (``focusable``), and what
    follows from them, while nothing is an instance of a code the source bears on: the decision never
    reads a source that bears on none of the claim's lines."""
    closure = _Closure(rules, focused)
    given = set(facts)
    for triple in given:
        closure.add(triple)
    closure.run()
    return closure.triples - given


class _Closure:
    """Forward chaining over one request's triples: each new triple is matched against the tables."""

    def __init__(self, rules: Rules, focused: bool = False) -> None:
        self.rules = rules
        self.owners: dict[Node, Node] = rules.owners if focused else {}
        self.active: set[Node] = set()  # the sources a fact bears on: an instance of a code they bear on
        self.waiting: dict[Node, list[Triple]] = defaultdict(list)  # the memberships left out, by source
        self.unchecked: dict[Node, list[tuple[Node, Node, Node | None, Node | None]]] = defaultdict(list)
        self.triples: set[Triple] = set()
        self.types: dict[Node, set[Node]] = defaultdict(set)
        self.out: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        self.into: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        self.subclass_edges: dict[Node, set[Node]] = defaultdict(set)
        self.superclass_memo: dict[Node, frozenset[Node]] = {}
        self.literal_memo: dict[Node, frozenset[Node]] = {}
        self.queue: deque[Triple] = deque()

    def add(self, triple: Triple) -> None:
        """Record ``triple`` and queue it for the rules, unless it is known."""
        if triple in self.triples:
            return
        s, p, o = triple
        if p == _TYPE and self.owners:
            owner = self.owners.get(o)
            if owner is not None and owner not in self.active:
                self.waiting[owner].append(triple)
                return
            for source in self.rules.activators.get(o, ()):
                self._activate(source)
        self.triples.add(triple)
        self.out[s][p].add(o)
        self.into[o][p].add(s)
        if p == _TYPE:
            self.types[s].add(o)
        elif p == _SUBCLASS:  # the request's slice of a code hierarchy: schema for cax-sco
            self.subclass_edges[s].add(o)
            self.superclass_memo.clear()
        self.queue.append(triple)

    def _activate(self, source: Node) -> None:
        """Let in a source's class expressions, with the memberships in them that were left out, and check
        the intersections and restrictions of it whose conditions were left unchecked."""
        if source not in self.active:
            self.active.add(source)
            for triple in self.waiting.pop(source, ()):
                self.add(triple)
            for s, c, filler, o in self.unchecked.pop(source, ()):
                if self._meets(s, c, filler, o):
                    self.add((s, _TYPE, c))

    def _waits(self, c: Node, s: Node, filler: Node | None = None, o: Node | None = None) -> bool:
        """Whether ``c`` is a class expression of a source that waits: then whether ``s`` is a member (all of
        an intersection's components; for ``p some filler``, ``o`` a ``filler``) is checked when it comes in."""
        owner = self.owners.get(c)
        if owner is None or owner in self.active:
            return False
        self.unchecked[owner].append((s, c, filler, o))
        return True

    def _meets(self, s: Node, c: Node, filler: Node | None, o: Node | None) -> bool:
        """Whether ``s`` is in the intersection ``c`` (``filler`` None) or, with ``o`` its value of the
        restriction's property, in the restriction ``c`` of ``filler``."""
        if filler is None:
            return all(self._has_type(s, m) for m in self.rules.intersections[c])
        return filler == _THING or self._has_type(o, filler)  # type: ignore[arg-type]

    def run(self) -> None:
        """Apply the rules until no new triple comes."""
        while self.queue:
            s, p, o = self.queue.popleft()
            if p == _TYPE:
                self._typed(s, o)
            self._property(s, p, o)

    def _typed(self, s: Node, c: Node) -> None:
        rules = self.rules
        for d in self._superclasses(c):                                   # cax-sco, cax-eqc1/2
            self.add((s, _TYPE, d))
        if c in rules.has_value:                                          # cls-hv1
            p, v = rules.has_value[c]
            self.add((s, p, v))
        for component in rules.intersections.get(c, ()):                 # cls-int2
            self.add((s, _TYPE, component))
        for i in rules.by_component.get(c, ()):                           # cls-int1
            if not self._waits(i, s) and self._meets(s, i, None, None):
                self.add((s, _TYPE, i))
        for u in rules.unions.get(c, ()):                                 # cls-uni
            self.add((s, _TYPE, u))
        for r, p in rules.by_filler.get(c, ()):                           # cls-svf1, from the filler's side
            for x in tuple(self.into[s][p]):
                self.add((x, _TYPE, r))

    def _property(self, s: Node, p: Node, o: Node) -> None:
        rules = self.rules
        for q in rules.super_properties.get(p, ()):                       # prp-spo1, prp-eqp1/2
            self.add((s, q, o))
        for c in rules.domains.get(p, ()):                                # prp-dom
            self.add((s, _TYPE, c))
        for r in rules.by_value.get((p, o), ()):                          # cls-hv2
            self.add((s, _TYPE, r))
        for r, filler in rules.some_values.get(p, ()):                    # cls-svf1, cls-svf2
            if not self._waits(r, s, filler, o) and self._meets(s, r, filler, o):
                self.add((s, _TYPE, r))
        if p in rules.functional and _several(self.out[s][p]):            # prp-fp
            raise ReasoningError(_equality_message(s, p, self.out[s][p]))
        if isinstance(o, Literal):
            return
        for c in rules.ranges.get(p, ()):                                 # prp-rng
            self.add((o, _TYPE, c))
        for q in rules.inverses.get(p, ()):                               # prp-inv1/2
            self.add((o, q, s))
        if p in rules.symmetric:                                          # prp-symp
            self.add((o, p, s))
        if p in rules.transitive:                                         # prp-trp
            self._transitive(s, p, o)
        if p in rules.inverse_functional and _several(self.into[o][p]):   # prp-ifp
            raise ReasoningError(_equality_message(o, p, self.into[o][p]))
        for q, chain in rules.chains.get(p, ()):                          # prp-spo2
            self._chain(s, p, o, q, chain)

    def _transitive(self, s: Node, p: Node, o: Node) -> None:
        for z in tuple(self._next(o, p, backward=False)):
            self.add((s, p, z))
        for x in tuple(self._next(s, p, backward=True)):
            self.add((x, p, o))

    def _chain(self, s: Node, p: Node, o: Node, q: Node, chain: tuple[Node, ...]) -> None:
        for at, link in enumerate(chain):
            if link != p:
                continue
            starts = self._walk({s}, reversed(chain[:at]), backward=True)
            ends = self._walk({o}, chain[at + 1:], backward=False)
            for start in starts:
                for end in ends:
                    self.add((start, q, end))

    def _walk(self, nodes: set[Node], links: Iterable[Node], backward: bool) -> set[Node]:
        for link in links:
            nodes = {n for node in nodes for n in self._next(node, link, backward)}
        return nodes

    def _next(self, node: Node, link: Node, backward: bool) -> set[Node]:
        """The nodes one ``link`` edge away from ``node`` (its objects, or with ``backward`` its subjects),
        in the request and in the knowledge."""
        request = (self.into if backward else self.out)[node][link]
        known = (self.rules.individual_in if backward else self.rules.individual_out).get(node, {}).get(link)
        return request | known if known else request

    def _superclasses(self, c: Node) -> frozenset[Node]:
        known = self.superclass_memo.get(c)
        if known is None:
            known = self.superclass_memo[c] = self._reach(c)
        return known

    def _reach(self, c: Node) -> frozenset[Node]:
        seen: set[Node] = set()
        todo = [c]
        while todo:
            node = todo.pop()
            for d in (*self.rules.superclasses.get(node, ()), *self.subclass_edges.get(node, ())):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        seen.discard(c)
        return frozenset(seen)

    def _has_type(self, node: Node, c: Node) -> bool:
        """Whether ``node`` is known to be an instance of ``c``, in the request or in the knowledge."""
        if isinstance(node, Literal):
            return c in self._literal_types_of(node)
        if c in self.types[node]:
            return True
        known = self.rules.individual_types.get(node)
        return known is not None and c in known

    def _literal_types_of(self, literal: Literal) -> frozenset[Node]:
        known = self.literal_memo.get(literal)
        if known is None:
            known = self.literal_memo[literal] = _literal_types(self.rules, literal)
        return known


def _literal_types(rules: Rules, literal: Literal) -> frozenset[Node]:
    """The datatypes of a literal: its own and those subsuming it (dt-type2), every datatype
    restriction whose facets its value satisfies (owlrl's datatype restriction extension), and the
    classes above those (cax-sco) and unions holding them (cls-uni). A plain literal has none (as in owlrl)."""
    if literal.datatype is None:
        return frozenset()
    types = frozenset({literal.datatype, *rules.datatype_supertypes.get(literal.datatype, ())})
    found = set(types) | {d for d, data_range in rules.data_ranges.items() if data_range.admits(literal, types)}
    todo = list(found)
    while todo:
        for above in rules.superclasses.get(todo.pop(), ()):
            if above not in found:
                found.add(above)
                todo.append(above)
    unions = {u for t in found for u in rules.unions.get(t, ())}
    return frozenset(found | unions | {s for u in unions for s in rules.superclasses.get(u, ())})


def _several(values: set[Node]) -> bool:
    """Whether a set of values (never empty here: it holds the triple just added) has more than one."""
    return len(values) != 1


def _equality_message(node: Node, p: Node, values: set[Node]) -> str:
    shown = ", ".join(sorted(str(v) for v in values))
    return (f"{node} has several values of the functional property {p} ({shown}): that makes them the same "
            "individual (prp-fp, prp-ifp), and the fast engine does not reason with equality; use --engine reference")


def _is_axiom(subject: Node, value: Node) -> bool:
    """Whether a use of an unsupported construct is the knowledge's own, not owlrl's disjointness of the
    XSD datatypes (dt-diff: literals here are typed only by their own datatype, so it never fires)."""
    return not (str(subject).startswith(str(XSD)) and str(value).startswith(str(XSD)))


def _pairs(graph: Graph, predicate: Node) -> list[tuple[Node, Node]]:
    return [(s, o) for s, o in graph.subject_objects(predicate) if s != o]


def _grouped(pairs: Iterable[tuple[Any, Any]]) -> dict[Any, tuple[Any, ...]]:
    groups: dict[Any, dict[Any, None]] = defaultdict(dict)
    for key, value in pairs:
        groups[key][value] = None
    return {key: tuple(values) for key, values in groups.items()}


def _closed_over(pairs: Iterable[tuple[Node, Node]]) -> dict[Node, frozenset[Node]]:
    """The transitive closure of a relation (the knowledge's closure is already transitive; this keeps
    the tables right whatever the reference leaves out)."""
    direct: dict[Node, set[Node]] = defaultdict(set)
    for a, b in pairs:
        direct[a].add(b)
    closed: dict[Node, frozenset[Node]] = {}
    for start in direct:
        seen: set[Node] = set()
        todo = list(direct[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(direct.get(node, ()))
        seen.discard(start)
        closed[start] = frozenset(seen)
    return closed


def _members(graph: Graph, head: Node) -> tuple[Node, ...]:
    return tuple(graph.items(head))


def _chains(graph: Graph) -> dict[Node, tuple[tuple[Node, tuple[Node, ...]], ...]]:
    chains = [(q, _members(graph, head)) for q, head in graph.subject_objects(OWL.propertyChainAxiom)]
    return _grouped((link, (q, chain)) for q, chain in chains for link in set(chain))


def _data_ranges(graph: Graph, supertypes: dict[Node, frozenset[Node]]) -> dict[Node, DataRange]:
    ranges = {}
    for datatype, base in graph.subject_objects(OWL.onDatatype):
        if (datatype, RDF.type, RDFS.Datatype) not in graph:  # owlrl reads only declared data ranges
            continue
        facets = []
        for head in graph.objects(datatype, OWL.withRestrictions):
            for facet_node in graph.items(head):
                for facet, bound in graph.predicate_objects(facet_node):
                    if facet not in FACETS:
                        raise KnowledgeError(f"the fast engine does not implement the facet {facet} of {datatype}; "
                                             "use --engine reference")
                    facets.append((facet, bound.toPython() if isinstance(bound, Literal) else bound))
        accepts = frozenset({base} | {t for t, supers in supertypes.items() if base in supers})
        ranges[datatype] = DataRange(accepts=accepts, facets=tuple(facets))
    return ranges
