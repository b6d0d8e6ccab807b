"""Turns one claim of a request into RDF facts in necessity's vocabulary: the patient as of the
claim's date of service (age, present conditions, latest labs in canonical units, drug orders,
planned services, documentation answers), the claim and its lines, and the ICD-10-CM classes
of the codes involved.

A code from the request becomes a class of its system only when it has the system's form
(``kg/codes/code-systems.ttl``) and, for ICD-10-CM, is a category or code of the hierarchy: anything else
stays a fact with no class, which meets no criterion (``unknown_code_notes`` reports each one).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from urllib.parse import quote

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from reasoner import hierarchy
from reasoner.errors import InputError
from reasoner.ingest.model import Claim, ClaimLine, ConditionFact, LabFact, Request
from reasoner.ingest.tables import AnswerError, Tables, UnitError, UnitTable
from reasoner.vocab import BILLING_SYSTEMS, CANONICAL_SYSTEM, DOC, ICD, LOINC, NEC, REQ, RXN, SCT, bind_prefixes

USES = {"preauthorization": NEC.Preauthorization, "predetermination": NEC.Preauthorization,
        "claim": NEC.PostServiceClaim}
TYPES = {"professional": NEC.Professional, "institutional": NEC.Institutional}


def claim_facts(request: Request, claim: Claim, tables: Tables) -> Graph:
    """The facts graph of one claim of ``request``: what the reasoner reasons over with the knowledge."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    patient = REQ.patient
    _add_patient(graph, patient, request, claim.service_date, tables)
    for index, condition in enumerate((*request.conditions, *claim.diagnoses)):
        _add_condition(graph, patient, index, condition)
    for lab in request.labs:  # every result is checked, not only the latest: a bad one is the patient's
        if tables.units.reads(lab.loinc):
            _normalized(lab, tables.units, request.path)
    for index, lab in enumerate(latest_labs(request.labs, claim.service_date)):
        _add_lab(graph, patient, index, lab, tables.units, request.path)
    _add_drugs_services_answers(graph, patient, request, tables)
    _add_claim(graph, patient, request, claim, tables)
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


def _add_condition(graph: Graph, patient: URIRef, index: int, condition: ConditionFact) -> None:
    hierarchy.add_hierarchy(graph, condition.code)
    name = hierarchy.description(condition.code) or "not an ICD-10-CM code"
    known = hierarchy.code_class(condition.code)
    _add_fact(graph, patient, NEC.hasCondition, REQ[f"condition/{index}"],
              (NEC.Condition, *((known,) if known else ())), condition.source,
              f"ICD-10-CM {condition.code} {name}", ((NEC.codeNotation, Literal(condition.code)),))


def latest_labs(labs: tuple[LabFact, ...], service_date: date) -> list[LabFact]:
    """The latest result of each analyte on or before the date of service (ties: the later source id)."""
    latest: dict[str, LabFact] = {}
    for lab in sorted(labs, key=lambda lab: (lab.effective, lab.source)):
        if lab.effective.date() <= service_date:
            latest[lab.loinc] = lab
    return [latest[k] for k in sorted(latest)]


def _add_lab(graph: Graph, patient: URIRef, index: int, lab: LabFact, units: UnitTable, path: str) -> None:
    if not units.reads(lab.loinc):
        return
    value, unit = _normalized(lab, units, path)
    shown = format(value.normalize(), "f")
    values: tuple[tuple[URIRef, Node], ...] = (
        (NEC.value, Literal(shown, datatype=XSD.decimal)), (NEC.unit, Literal(unit)),
        (NEC.reportedValue, Literal(f"{lab.value} {lab.unit}")))
    values += ((NEC.effectiveDate, Literal(lab.effective.date())),)
    when = f" on {_shown_instant(lab.effective)}"
    _add_fact(graph, patient, NEC.hasLabResult, REQ[f"lab/{index}"], (NEC.LabResult, LOINC[lab.loinc]), lab.source,
              f"LOINC {lab.loinc} {lab.display or ''} = {shown} {unit}{when}", values)


def _normalized(lab: LabFact, units: UnitTable, path: str) -> tuple[Decimal, str]:
    """The lab's value in its analyte's canonical unit, or the InputError naming the Observation and field."""
    if lab.value is None:
        raise InputError(path, lab.source, "valueQuantity.value", f"no value for LOINC {lab.loinc}")
    try:
        return units.normalize(lab.loinc, lab.value, lab.unit)
    except UnitError as exc:
        raise InputError(path, lab.source, exc.field, str(exc)) from exc


def _shown_instant(instant: datetime) -> str:
    return instant.date().isoformat() if instant.time() == time() else instant.isoformat(sep=" ") + " UTC"


def _add_drugs_services_answers(graph: Graph, patient: URIRef, request: Request, tables: Tables) -> None:
    for index, drug in enumerate(request.drugs):
        code = _coded(tables, RXN, drug.rxnorm)
        route = _coded(tables, SCT, drug.route)
        shown = f"route SNOMED CT {drug.route}" if drug.route else "no route"
        unclassified = () if code is not None and tables.declares(code) else (NEC.UnclassifiedDrug,)
        _add_fact(graph, patient, NEC.hasDrugExposure, REQ[f"drug/{index}"],
                  (NEC.DrugExposure, *((code,) if code else ()), *unclassified),
                  drug.source, f"RxNorm {drug.rxnorm} {drug.display or ''}, {shown}, {drug.status}",
                  ((NEC.status, Literal(drug.status)), (NEC.route, route or NEC.RouteNotGiven),
                   (NEC.codeNotation, Literal(drug.rxnorm))))
    for index, service in enumerate(request.services):
        code = _coded(tables, SCT, service.code)
        _add_fact(graph, patient, NEC.hasPlannedService, REQ[f"service/{index}"],
                  (NEC.PlannedService, *((code,) if code else ())), service.source,
                  f"SNOMED CT {service.code} {service.display or ''}, {service.status}",
                  ((NEC.codeNotation, Literal(service.code)),))
    for index, answer in enumerate(request.answers):
        if answer.link_id not in tables.answer_types:
            continue  # not a question of the knowledge: reported by unknown_code_notes, never an IRI
        try:
            tables.check_answer(answer.link_id, answer.value)
        except AnswerError as exc:
            raise InputError(request.path, answer.source, "answer", str(exc)) from exc
        kind = NEC.booleanAnswer if isinstance(answer.value, bool) else NEC.integerAnswer \
            if isinstance(answer.value, int) else NEC.stringAnswer
        shown = str(answer.value).lower() if isinstance(answer.value, bool) else str(answer.value)
        _add_fact(graph, patient, NEC.hasAnswer, REQ[f"answer/{index}"], (NEC.DocumentationAnswer,), answer.source,
                  f"{answer.link_id} = {shown}",
                  ((NEC.question, DOC[answer.link_id]), (kind, Literal(answer.value))))


def _coded(tables: Tables, namespace: Namespace, code: str | None) -> URIRef | None:
    """The class of ``code`` in the system of ``namespace``, or None when it has not that system's form."""
    return namespace[code] if code is not None and tables.has_form(str(namespace), code) else None


def _add_claim(graph: Graph, patient: URIRef, request: Request, claim: Claim, tables: Tables) -> None:
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
    for line in claim.lines:
        _add_line(graph, node, patient, request, line, tables)


def _add_line(graph: Graph, claim: URIRef, patient: URIRef, request: Request, line: ClaimLine,
              tables: Tables) -> None:
    node = URIRef(f"{claim}/line/{line.sequence}")
    namespace = BILLING_SYSTEMS.get(line.system)
    system = CANONICAL_SYSTEM[namespace] if namespace is not None else line.system
    code = _coded(tables, namespace, line.code) if namespace is not None else None
    graph.add((node, RDF.type, NEC.ClaimLine))
    if code is not None:
        graph.add((node, RDF.type, code))
    if code is None or not tables.declares(code):
        graph.add((node, RDF.type, NEC.UnclassifiedBillingCode))
    graph.add((node, NEC.onClaim, claim))
    graph.add((node, NEC.forPatient, patient))
    graph.add((node, NEC.sequence, Literal(line.sequence, datatype=XSD.integer)))
    graph.add((node, NEC.codeNotation, Literal(line.code)))
    graph.add((node, NEC.codeSystem, Literal(system, datatype=XSD.anyURI)))
    graph.add((node, NEC.quantity, Literal(format(line.quantity, "f"), datatype=XSD.decimal)))
    graph.add((node, NEC.serviceDate, Literal(line.service_date)))
    graph.add((node, NEC.policyDate, Literal(request.as_of or line.service_date)))
    graph.add((node, NEC.source, Literal(line.source)))
    graph.add((node, RDFS.label, Literal(f"claim line {line.sequence}: {line.code} ({line.source})")))
    if line.claimed_as:
        graph.add((node, NEC.claimedAs, Literal(line.claimed_as)))
    if line.place_of_service:
        graph.add((node, NEC.placeOfService, Literal(line.place_of_service)))
    birth = request.patient.birth_date
    if birth and birth > line.service_date:
        raise InputError(request.path, line.source, "servicedDate",
                         f"{line.service_date} is before the birth date {birth}")
    if birth:
        graph.add((node, NEC.ageAtService, Literal(_age(request, line.service_date, tables), datatype=XSD.integer)))



def unknown_code_notes(request: Request, tables: Tables) -> tuple[str, ...]:
    """A note for every code of the request that is not a code necessity can classify: a diagnosis not in
    ICD-10-CM, a drug or route not of RxNorm's or SNOMED CT's form or not classified by the knowledge, a
    planned service not of SNOMED CT's form, a billed code not of its system's form, and an answer to a
    question the knowledge does not ask. Each is kept as a fact that meets no criterion."""
    conditions = (*request.conditions, *(d for c in request.claims for d in c.diagnoses))
    notes = [f"{c.source}: {c.code!r} is not {_icd_kind(tables, c.code)}; kept, but it matches no criterion"
             for c in conditions if not hierarchy.is_known(c.code)]
    for drug in request.drugs:
        code = _coded(tables, RXN, drug.rxnorm)
        if code is None:
            notes.append(f"{drug.source}: {drug.rxnorm!r} does not have the form of an RxNorm code; criteria on "
                         "drug classes stay unknown for this patient")
        elif not tables.declares(code):
            notes.append(f"{drug.source}: RxNorm {drug.rxnorm!r} is not classified by the knowledge base; criteria "
                         "on drug classes stay unknown for this patient")
        if drug.route is not None and _coded(tables, SCT, drug.route) is None:
            notes.append(f"{drug.source}: route {drug.route!r} does not have the form of a SNOMED CT code; read as "
                         "no route given")
    notes += [f"{s.source}: {s.code!r} does not have the form of a SNOMED CT code; kept, but it matches no "
              "criterion" for s in request.services if _coded(tables, SCT, s.code) is None]
    notes += [f"{line.source}: {line.code!r} does not have the form of a code of {line.system}; no policy can "
              "match it" for claim in request.claims for line in claim.lines
              if line.system in BILLING_SYSTEMS and _coded(tables, BILLING_SYSTEMS[line.system], line.code) is None]
    notes += [f"{a.source}: linkId {a.link_id!r} is not a question the knowledge base asks; the answer is not used"
              for a in request.answers if a.link_id not in tables.answer_types]
    return tuple(notes)


def _icd_kind(tables: Tables, code: str) -> str:
    if tables.has_form(str(ICD), code):
        return "a category or code of the ICD-10-CM release the knowledge base holds"
    return "an ICD-10-CM code (it does not have the form of one)"
