"""Turns one claim of a request into RDF facts in necessity's vocabulary: the patient as of the
claim's date of service (age, diagnoses, latest labs in canonical units, drug orders, planned
services, documentation answers), the claim with its diagnoses and lines, and the ICD-10-CM classes of
the codes involved.

A code from the request becomes a class of its system only when it has the system's form
(``kg/codes/code-systems.ttl``) and, for ICD-10-CM, is a category or code of the hierarchy. A fact that
cannot be read (a diagnosis in a system necessity does not read, a code that is not one, a resource
left out) is kept as a ``nec:UnreadableFact``: the criteria it could bear on stay unknown, never
refuted (``nec:unknownWhen``, compiled by ``queries/compile/15-unreadable-facts.rq``). A diagnosis whose
presence is not known is linked by ``nec:hasPossibleCondition``, which leaves them unknown too.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import quote

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from reasoner.errors import InputError
from reasoner.hierarchy import Hierarchy
from reasoner.ingest.model import AnswerFact, Claim, ClaimLine, ConditionFact, Request
from reasoner.ingest.tables import Tables
from reasoner.labs import add_labs
from reasoner.vocab import DOC, HCPCS, NEC, REQ, RXN, SCT, bind_prefixes

USES = {"preauthorization": NEC.Preauthorization, "predetermination": NEC.Preauthorization,
        "claim": NEC.PostServiceClaim}
TYPES = {"professional": NEC.Professional, "institutional": NEC.Institutional}
SERVICE_SYSTEMS = {"SNOMED CT": SCT, "HCPCS": HCPCS}  # ServiceRequest, DeviceRequest (model.ServiceFact.system)
ANSWER_PROPERTIES = {"boolean": NEC.booleanAnswer, "integer": NEC.integerAnswer, "string": NEC.stringAnswer}


def claim_facts(request: Request, claim: Claim, tables: Tables) -> Graph:
    """The facts graph of one claim of ``request``: what the reasoner reasons over with the knowledge."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    patient = REQ.patient
    _add_patient(graph, patient, request, claim.service_date, tables)
    diagnoses = (*request.conditions, *(d.condition for d in claim.diagnoses))
    nodes = _add_conditions(graph, patient, tables.hierarchy, diagnoses)
    add_labs(graph, patient, request, claim.service_date, tables.units)
    _add_drugs(graph, patient, request, tables)
    _add_services(graph, patient, request, tables)
    _add_answers(graph, patient, request, tables)
    _add_claim(graph, patient, request, claim, tables, nodes)
    return graph


def age_on(birth: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _add_patient(graph: Graph, patient: URIRef, request: Request, service_date: date, tables: Tables) -> None:
    info = request.patient
    graph.add((patient, RDF.type, NEC.Patient))
    graph.add((patient, RDFS.label, Literal(f"patient {info.id}")))
    graph.add((patient, NEC.source, Literal(info.source)))
    if info.gender:
        graph.add((patient, NEC.gender, Literal(info.gender)))
    if info.birth_date:
        if info.birth_date > service_date:
            raise InputError(request.path, info.source, "birthDate", f"{info.birth_date} is after the date of "
                             f"service {service_date}")
        graph.add((patient, NEC.birthDate, Literal(info.birth_date)))
        graph.add((patient, NEC.ageYears, Literal(_age(request, service_date, tables), datatype=XSD.integer)))


def _age(request: Request, day: date, tables: Tables) -> int:
    """The patient's age on ``day``, or the InputError of an age no person reaches (kg/units/ucum.ttl)."""
    birth = request.patient.birth_date
    assert birth is not None
    age = age_on(birth, day)
    if tables.max_age is not None and age > tables.max_age:
        raise InputError(request.path, request.patient.source, "birthDate",
                         f"{birth} makes the patient {age} years old on {day}, more than the {tables.max_age} "
                         "years a person is taken to reach: a data error (the birth date or the date of service?)")
    return age


def _add_fact(graph: Graph, patient: URIRef, link: URIRef, node: URIRef, types: tuple[URIRef, ...], source: str,
              label: str, values: tuple[tuple[URIRef, Node], ...] = ()) -> None:
    graph.add((patient, link, node))
    for kind in types:
        graph.add((node, RDF.type, kind))
    for predicate, value in values:
        graph.add((node, predicate, value))
    graph.add((node, NEC.source, Literal(source)))
    graph.add((node, RDFS.label, Literal(" ".join(f"{label} ({source})".split()))))


def _add_conditions(graph: Graph, patient: URIRef, hierarchy: Hierarchy,
                    conditions: tuple[ConditionFact, ...]) -> dict[ConditionFact, URIRef]:
    """Each distinct diagnosis as a node (a Condition the claim points to and the Condition itself are one)."""
    nodes: dict[ConditionFact, URIRef] = {}
    for condition in conditions:
        if condition not in nodes:
            nodes[condition] = REQ[f"condition/{len(nodes)}"]
            _add_condition(graph, patient, hierarchy, nodes[condition], condition)
    return nodes


def _add_condition(graph: Graph, patient: URIRef, hierarchy: Hierarchy, node: URIRef,
                   condition: ConditionFact) -> None:
    known = hierarchy.code_class(condition.code) if condition.code and not condition.unreadable else None
    link = NEC.hasPossibleCondition if condition.possible else NEC.hasCondition
    values: tuple[tuple[URIRef, Node], ...] = ((NEC.codeNotation, Literal(condition.code)),) if condition.code else ()
    if condition.warning:
        values += ((NEC.readingWarning, Literal(condition.warning)),)
    if known is None:
        why = condition.unreadable or f"{condition.code!r} is not a category or code of ICD-10-CM"
        _add_fact(graph, patient, link, node, (NEC.Condition, NEC.UnreadableFact), condition.source,
                  f"a diagnosis that cannot be read: {why}", values)
        return
    hierarchy.add_slice(graph, condition.code or "")
    presence = ", presence unknown (no clinical status)" if condition.possible else ""
    _add_fact(graph, patient, link, node, (NEC.Condition, known), condition.source,
              f"ICD-10-CM {condition.code} {hierarchy.description(condition.code or '')}{presence}", values)


def coded(tables: Tables, namespace: Namespace | str | None, code: str | None) -> URIRef | None:
    """The class of ``code`` in the system of ``namespace``, or None when it has not that system's form."""
    if namespace is None or code is None or not tables.systems.has_form(str(namespace), code):
        return None
    return URIRef(str(namespace) + code)


def _add_drugs(graph: Graph, patient: URIRef, request: Request, tables: Tables) -> None:
    for index, drug in enumerate(request.drugs):
        code, route = coded(tables, RXN, drug.rxnorm), coded(tables, SCT, drug.route)
        shown = f"route SNOMED CT {drug.route}" if drug.route else "no route"
        unclassified = () if code is not None and tables.declares(code) else (NEC.UnclassifiedDrug,)
        unreadable = (NEC.UnreadableFact,) if drug.unreadable else ()
        what = f"RxNorm {drug.rxnorm} {drug.display or ''}" if drug.rxnorm else f"a drug that cannot be read: " \
            f"{drug.unreadable}"
        _add_fact(graph, patient, NEC.hasDrugExposure, REQ[f"drug/{index}"],
                  (NEC.DrugExposure, *((code,) if code else ()), *unclassified, *unreadable), drug.source,
                  f"{what}, {shown}, {drug.status}",
                  ((NEC.status, Literal(drug.status)), (NEC.route, route or NEC.RouteNotGiven),
                   *(((NEC.codeNotation, Literal(drug.rxnorm)),) if drug.rxnorm else ())))


def _add_services(graph: Graph, patient: URIRef, request: Request, tables: Tables) -> None:
    for index, service in enumerate(request.services):
        code = coded(tables, SERVICE_SYSTEMS[service.system], service.code)
        kinds = (NEC.PlannedService, *((code,) if code else (NEC.UnreadableFact,)))
        ordered = f", ordered {service.ordered_on}" if service.ordered_on else ""
        what = f"{service.system} {service.code} {service.display or ''}" if code else \
            f"a planned service that cannot be read: {service.unreadable or repr(service.code)}"
        _add_fact(graph, patient, NEC.hasPlannedService, REQ[f"service/{index}"], kinds, service.source,
                  f"{what}, {service.status}{ordered}",
                  ((NEC.codeNotation, Literal(service.code)),) if service.code else ())


def _add_answers(graph: Graph, patient: URIRef, request: Request, tables: Tables) -> None:
    for index, answer in enumerate(request.answers):
        value = answer_value(answer, tables)
        if value is None:
            continue  # not a question of the knowledge, or not an answer of its type: a note says which
        kind = tables.answer_types[answer.link_id]
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        _add_fact(graph, patient, NEC.hasAnswer, REQ[f"answer/{index}"], (NEC.DocumentationAnswer,), answer.source,
                  f"{answer.link_id} = {shown}",
                  ((NEC.question, DOC[answer.link_id]), (ANSWER_PROPERTIES[kind], Literal(value))))


def answer_value(answer: AnswerFact, tables: Tables) -> bool | int | str | None:
    """The answer as its question's type (boolean, integer or string): a coding read as yes or no (the
    knowledge's yes/no codings) or as its code, a whole decimal or quantity as an integer; None for a
    question the knowledge does not ask or an answer that is not of its type."""
    kind, given = tables.answer_types.get(answer.link_id), answer.value
    value: object = given
    if isinstance(given, tuple):
        value = tables.systems.yes_no.get(given) if kind == "boolean" else given[1]
    if isinstance(value, Decimal) and kind == "integer" and value == value.to_integral_value():
        value = int(value)
    typed = "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else \
        "string" if isinstance(value, str) else None
    return value if typed is not None and typed == kind else None  # type: ignore[return-value]


def _add_claim(graph: Graph, patient: URIRef, request: Request, claim: Claim, tables: Tables,
               conditions: dict[ConditionFact, URIRef]) -> None:
    node = REQ[f"claim/{quote(claim.id, safe='')}"]  # any id makes a valid IRI
    graph.add((node, RDF.type, NEC.Claim))
    graph.add((node, NEC.claimId, Literal(claim.id)))
    graph.add((node, NEC.forPatient, patient))
    graph.add((node, NEC.serviceDate, Literal(claim.service_date)))
    graph.add((node, NEC.source, Literal(claim.source)))
    if claim.use not in USES:
        raise InputError(request.path, claim.source, "use", f"{claim.use!r} is not claim or preauthorization")
    graph.add((node, NEC.claimUse, USES[claim.use]))
    if claim.type in TYPES:
        graph.add((node, NEC.claimType, TYPES[claim.type]))
    pointed: dict[int, list[URIRef]] = {}
    for diagnosis in claim.diagnoses:
        graph.add((node, NEC.hasDiagnosis, conditions[diagnosis.condition]))
        if diagnosis.sequence is not None:
            pointed.setdefault(diagnosis.sequence, []).append(conditions[diagnosis.condition])
    for line in claim.lines:
        _add_line(graph, node, patient, request, line, tables, pointed)


def _add_line(graph: Graph, claim: URIRef, patient: URIRef, request: Request, line: ClaimLine,
              tables: Tables, pointed: dict[int, list[URIRef]]) -> None:
    node = URIRef(f"{claim}/line/{line.sequence}")
    code = coded(tables, line.namespace, line.code)
    graph.add((node, RDF.type, NEC.ClaimLine))
    if code is not None:
        graph.add((node, RDF.type, code))
    if code is None or not tables.declares(code):
        graph.add((node, RDF.type, NEC.UnclassifiedBillingCode))
    for predicate, value in (
            (NEC.onClaim, claim), (NEC.forPatient, patient),
            (NEC.sequence, Literal(line.sequence, datatype=XSD.integer)),
            (NEC.codeNotation, Literal(line.code)), (NEC.codeSystem, Literal(line.system, datatype=XSD.anyURI)),
            (NEC.quantity, Literal(format(line.quantity, "f"), datatype=XSD.decimal)),
            (NEC.serviceDate, Literal(line.service_date)), (NEC.serviceDateSource, Literal(line.service_date_source)),
            (NEC.policyDate, Literal(request.as_of or line.service_date)), (NEC.source, Literal(line.source)),
            (RDFS.label, Literal(f"claim line {line.sequence}: {line.code} ({line.source})"))):
        graph.add((node, predicate, value))
    for predicate, text in ((NEC.claimedAs, line.claimed_as), (NEC.placeOfService, line.place_of_service),
                            (NEC.readingWarning, line.system_warning)):
        if text:
            graph.add((node, predicate, Literal(text)))
    for modifier in line.modifiers:
        graph.add((node, NEC.modifier, Literal(modifier)))
    for text_class in tables.text_classes_of(line.claimed_as) if line.claimed_as else ():  # no string patterns in OWL
        graph.add((node, RDF.type, text_class))
    for sequence in line.pointers:
        for condition in pointed.get(sequence, []):
            graph.add((node, NEC.pointsToDiagnosis, condition))
    birth = request.patient.birth_date
    if birth and birth > line.service_date:
        raise InputError(request.path, line.source, "servicedDate",
                         f"{line.service_date} is before the birth date {birth}")
    if birth:
        graph.add((node, NEC.ageAtService, Literal(_age(request, line.service_date, tables), datatype=XSD.integer)))
