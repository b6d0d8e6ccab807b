"""Reads a review request written directly in Turtle in necessity's vocabulary.

The graph is checked against ``ontology/shapes/patient.ttl`` (SHACL) first, so an error names the
node and the property at fault; then it is read into the same request model as a FHIR Bundle.
Blank nodes are renamed after what they say (``skolemized``), because rdflib names them at random and
those names reach the facts: the same request must always give the same output.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import Namespace

from reasoner.errors import InputError
from reasoner.ingest import model
from reasoner.ingest.shape_queries import PatientShapes
from reasoner.ingest.shapes import check_patient_graph
from reasoner.ingest.systems import CodeSystems
from reasoner.vocab import DOC, HCPCS, ICD, LOINC, NEC, RXN, SCT

USES = {NEC.Preauthorization: "preauthorization", NEC.PostServiceClaim: "claim"}
TYPES = {NEC.Professional: "professional", NEC.Institutional: "institutional"}


def read_turtle(data: bytes, where: str, systems: CodeSystems, shapes: PatientShapes, base: str | None = None
                ) -> model.Request:
    """Read a Turtle request (``data``, relative IRIs resolved against ``base``), its billed codes in the code
    systems of the knowledge (``systems``), checked against the patient ``shapes``; raise InputError naming
    ``where`` (the file), the node and the property at fault."""
    graph = skolemized(_parse(data, where, base))
    reader = _Reader(graph, where, systems)
    for claim in sorted(set(graph.objects(None, NEC.onClaim)), key=str):  # before the shapes, which cost more
        model.check_line_count(len(set(graph.subjects(NEC.onClaim, claim))), where, reader.name(claim), "nec:onClaim")
    check_patient_graph(graph, where, shapes)
    patients = sorted(set(graph.subjects(RDF.type, NEC.Patient)), key=str)
    if len(patients) != 1:
        raise InputError(where, "graph", "rdf:type nec:Patient", f"expected exactly one patient, found {len(patients)}")
    patient = patients[0]
    claims = tuple(reader.claim(c) for c in sorted(graph.subjects(RDF.type, NEC.Claim), key=str))
    if not claims:
        raise InputError(where, "graph", "rdf:type nec:Claim", "no claim: nothing to review")
    return model.Request(
        path=where,
        patient=model.Patient(id=reader.name(patient), birth_date=_python(graph.value(patient, NEC.birthDate)),
                              gender=_text(graph.value(patient, NEC.gender)), source=reader.name(patient)),
        conditions=tuple(reader.condition(c) for c in reader.objects(patient, NEC.hasCondition)),
        labs=tuple(reader.lab(lab) for lab in reader.objects(patient, NEC.hasLabResult)),
        drugs=tuple(reader.drug(d) for d in reader.objects(patient, NEC.hasDrugExposure)),
        services=tuple(reader.service(s) for s in reader.objects(patient, NEC.hasPlannedService)),
        answers=tuple(reader.answer(a) for a in reader.objects(patient, NEC.hasAnswer)),
        claims=claims,
    )


def _parse(data: bytes, path: str, base: str | None) -> Graph:
    graph = Graph()
    try:
        graph.parse(data=data, format="turtle", publicID=base)
    except Exception as exc:  # rdflib's parsers raise many types (SyntaxError, BadSyntax, IndexError...)
        raise InputError(str(path), "-", "-", f"not valid Turtle: {' '.join(str(exc).split())[:300]}") from exc
    bad = sorted({str(term) for triple in graph for term in triple
                  if isinstance(term, URIRef) and _NOT_IN_IRI.search(str(term))})
    if bad:  # rdflib accepts an IRI with a space (or another character RFC 3987 forbids) and warns only
        raise InputError(str(path), f"<{bad[0]}>", "-", "not valid Turtle: an IRI may not contain spaces, "
                         "quotes, angle brackets, braces, '|', '^', '`' or '\\'")
    return graph


def skolemized(graph: Graph, rounds: int = 8) -> Graph:
    """``graph`` with its blank nodes renamed ``_:b1``, ``_:b2``, ... in the order of what they say: each
    node's triples and the nodes pointing to it, refined ``rounds`` times through the blank nodes around
    it (colour refinement), so that the same graph always gets the same names whatever rdflib drew.
    Blank nodes that say exactly the same are interchangeable, so their order among themselves does not
    change what is read from them."""
    nodes = sorted({term for triple in graph for term in triple if isinstance(term, BNode)}, key=str)
    if not nodes:
        return graph
    colour = dict.fromkeys(nodes, "")
    for _ in range(rounds):
        colour = {node: _digest(graph, node, colour) for node in nodes}
    ranked = sorted(nodes, key=lambda node: colour[node])
    names: dict[Any, Any] = {node: BNode(f"b{rank}") for rank, node in enumerate(ranked, start=1)}
    renamed = Graph(namespace_manager=graph.namespace_manager)
    for s, p, o in graph:
        renamed.add((names.get(s, s), p, names.get(o, o)))
    return renamed


def _digest(graph: Graph, node: BNode, colour: dict[BNode, str]) -> str:
    """A hash of what ``node`` says and what says it, blank nodes around it given by their colour."""
    def shown(term: Any) -> str:
        return "_:" + colour[term] if isinstance(term, BNode) else term.n3()
    told = sorted(f"> {p.n3()} {shown(o)}" for p, o in graph.predicate_objects(node))
    told += sorted(f"< {shown(s)} {p.n3()}" for s, p in graph.subject_predicates(node))
    return hashlib.sha256("\n".join([colour[node], *told]).encode("utf-8")).hexdigest()


_NOT_IN_IRI = re.compile(r'[\x00-\x20\x7f<>"{}|^`\\]')


class _Reader:
    """Reads nodes of a validated request graph into model records."""

    def __init__(self, graph: Graph, where: str, systems: CodeSystems) -> None:
        self.graph, self.where, self.systems = graph, where, systems

    def name(self, node: Any) -> str:
        return self.graph.namespace_manager.normalizeUri(node) if isinstance(node, URIRef) else f"_:{node}"

    def objects(self, subject: Any, predicate: URIRef) -> list[Any]:
        return sorted(self.graph.objects(subject, predicate), key=str)

    def code(self, node: Any, namespace: Namespace) -> str:
        """The code of ``node``: the local name of its class in ``namespace``, else the code as sent
        (nec:codeNotation; the shapes require one of them)."""
        classes = sorted(str(t)[len(namespace):] for t in self.graph.objects(node, RDF.type)
                         if str(t).startswith(namespace))
        return classes[0] if classes else self.notation(node)

    def notation(self, node: Any) -> str:
        """The code as sent (nec:codeNotation), refused when it holds a character no code has."""
        code = str(self.graph.value(node, NEC.codeNotation))
        if bad := _NOT_IN_IRI.search(code):
            raise InputError(self.where, self.name(node), "nec:codeNotation",
                             f"{code!r} holds {bad.group()!r}, a character no code has")
        return code

    def condition(self, node: Any) -> model.ConditionFact:
        return model.ConditionFact(code=self.code(node, ICD), source=self.name(node))

    def lab(self, node: Any) -> model.LabFact:
        value = self.graph.value(node, NEC.value)
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:
            raise InputError(self.where, self.name(node), "nec:value", f"{value!r} is not a number") from exc
        day = _python(self.graph.value(node, NEC.effectiveDate))
        return model.LabFact(loinc=self.code(node, LOINC), value=number,
                             unit_code=_text(self.graph.value(node, NEC.unit)), unit_text=None,
                             effective=datetime(day.year, day.month, day.day), effective_date=day, display=None,
                             source=self.name(node), when=day.isoformat())

    def drug(self, node: Any) -> model.DrugFact:
        route = self.graph.value(node, NEC.route)
        return model.DrugFact(rxnorm=self.code(node, RXN), display=None,
                              route=str(route)[len(SCT):] if route is not None else None,
                              status=str(self.graph.value(node, NEC.status)), source=self.name(node))

    def service(self, node: Any) -> model.ServiceFact:
        """A planned service: a SNOMED CT class, or an HCPCS one (an ordered item of equipment)."""
        if any(str(t).startswith(HCPCS) for t in self.graph.objects(node, RDF.type)):
            return model.ServiceFact(code=self.code(node, HCPCS), display=None, status="active", source=self.name(node),
                                     system="HCPCS")
        return model.ServiceFact(code=self.code(node, SCT), display=None, status="active", source=self.name(node))

    def answer(self, node: Any) -> model.AnswerFact:
        question = str(self.graph.value(node, NEC.question))[len(DOC):]
        value = next(self.graph.value(node, p) for p in (NEC.booleanAnswer, NEC.integerAnswer, NEC.stringAnswer)
                     if self.graph.value(node, p) is not None)
        return model.AnswerFact(link_id=question, value=value.toPython(), source=self.name(node))

    def claim(self, node: Any) -> model.Claim:
        g = self.graph
        service_date = _python(g.value(node, NEC.serviceDate))
        lines = tuple(sorted((self.line(line, service_date) for line in g.subjects(NEC.onClaim, node)),
                             key=lambda line: line.sequence))
        if not lines:
            raise InputError(self.where, self.name(node), "nec:onClaim", "no claim line is on this claim")
        return model.Claim(id=str(g.value(node, NEC.claimId)), use=USES[g.value(node, NEC.claimUse)],
                           type=TYPES.get(g.value(node, NEC.claimType)), service_date=service_date,
                           diagnoses=tuple(model.ClaimDiagnosis(sequence=None, condition=self.condition(d))
                                           for d in self.objects(node, NEC.hasDiagnosis)),
                           lines=lines, source=self.name(node), service_date_source="nec:serviceDate")

    def line(self, node: Any, claim_date: Any) -> model.ClaimLine:
        g = self.graph
        quantity = g.value(node, NEC.quantity)
        code, system = self.notation(node), str(g.value(node, NEC.codeSystem))
        reading = self.systems.billed(system, code)
        own = _python(g.value(node, NEC.serviceDate))
        return model.ClaimLine(
            sequence=int(g.value(node, NEC.sequence)), system=reading.system or system, code=code,
            claimed_as=_text(g.value(node, NEC.claimedAs)),
            quantity=Decimal(str(quantity)) if quantity is not None else Decimal(1),
            place_of_service=_text(g.value(node, NEC.placeOfService)), service_date=own or claim_date,
            source=self.name(node), namespace=reading.namespace, system_warning=reading.warning,
            service_date_source="nec:serviceDate of the line" if own else "nec:serviceDate",
            modifiers=tuple(sorted(str(m) for m in g.objects(node, NEC.modifier))))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _python(value: Any) -> Any:
    return value.toPython() if isinstance(value, Literal) else None

