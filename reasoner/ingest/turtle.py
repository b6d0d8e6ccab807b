"""Reads a review request written directly in Turtle in necessity's vocabulary.

The graph is checked against ``ontology/shapes/patient.ttl`` (SHACL) first, so an error names the
node and the property at fault; then it is read into the same request model as a FHIR Bundle.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import Namespace

from reasoner.errors import InputError
from reasoner.ingest import model
from reasoner.ingest.shapes import check_patient_graph
from reasoner.vocab import DOC, ICD, LOINC, NEC, RXN, SCT

USES = {NEC.Preauthorization: "preauthorization", NEC.PostServiceClaim: "claim"}
TYPES = {NEC.Professional: "professional", NEC.Institutional: "institutional"}


def read_turtle(data: bytes, where: str, base: str | None = None) -> model.Request:
    """Read a Turtle request (``data``, relative IRIs resolved against ``base``); raise InputError naming
    ``where`` (the file), the node and the property at fault."""
    graph = _parse(data, where, base)
    check_patient_graph(graph, where)
    patients = sorted(set(graph.subjects(RDF.type, NEC.Patient)), key=str)
    if len(patients) != 1:
        raise InputError(where, "graph", "rdf:type nec:Patient", f"expected exactly one patient, found {len(patients)}")
    patient = patients[0]
    reader = _Reader(graph, where)
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


_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


class _Reader:
    """Reads nodes of a validated request graph into model records."""

    def __init__(self, graph: Graph, where: str) -> None:
        self.graph, self.where = graph, where

    def name(self, node: Any) -> str:
        return self.graph.namespace_manager.normalizeUri(node) if isinstance(node, URIRef) else f"_:{node}"

    def objects(self, subject: Any, predicate: URIRef) -> list[Any]:
        return sorted(self.graph.objects(subject, predicate), key=str)

    def code(self, node: Any, namespace: Namespace) -> str:
        return next(str(t)[len(namespace):] for t in self.graph.objects(node, RDF.type) if str(t).startswith(namespace))

    def condition(self, node: Any) -> model.ConditionFact:
        return model.ConditionFact(code=self.code(node, ICD), source=self.name(node))

    def lab(self, node: Any) -> model.LabFact:
        value = self.graph.value(node, NEC.value)
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:
            raise InputError(self.where, self.name(node), "nec:value", f"{value!r} is not a number") from exc
        day = _python(self.graph.value(node, NEC.effectiveDate))
        return model.LabFact(loinc=self.code(node, LOINC), value=number, unit=_text(self.graph.value(node, NEC.unit)),
                             effective=datetime(day.year, day.month, day.day), display=None, source=self.name(node))

    def drug(self, node: Any) -> model.DrugFact:
        route = self.graph.value(node, NEC.route)
        return model.DrugFact(rxnorm=self.code(node, RXN), display=None,
                              route=str(route)[len(SCT):] if route is not None else None,
                              status=str(self.graph.value(node, NEC.status)), source=self.name(node))

    def service(self, node: Any) -> model.ServiceFact:
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
                           diagnoses=tuple(self.condition(d) for d in self.objects(node, NEC.hasDiagnosis)),
                           lines=lines, source=self.name(node))

    def line(self, node: Any, claim_date: Any) -> model.ClaimLine:
        g = self.graph
        quantity = g.value(node, NEC.quantity)
        return model.ClaimLine(
            sequence=int(g.value(node, NEC.sequence)), system=str(g.value(node, NEC.codeSystem)),
            code=str(g.value(node, NEC.codeNotation)), claimed_as=_text(g.value(node, NEC.claimedAs)),
            quantity=Decimal(str(quantity)) if quantity is not None else Decimal(1),
            place_of_service=_text(g.value(node, NEC.placeOfService)),
            service_date=_python(g.value(node, NEC.serviceDate)) or claim_date, source=self.name(node))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _python(value: Any) -> Any:
    return value.toPython() if isinstance(value, Literal) else None

