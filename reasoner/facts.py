"""Turns one claim of a request into RDF facts in necessity's vocabulary: the patient as of the
claim's date of service (age, present conditions, latest labs in canonical units, drug orders,
planned services, documentation answers), the claim and its lines, and the ICD-10-CM classes
of the codes involved.
"""

from __future__ import annotations

from datetime import date

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef

from reasoner.errors import InputError
from reasoner.ingest import icd10cm
from reasoner.ingest.model import Claim, ClaimLine, ConditionFact, LabFact, Request
from reasoner.ingest.units import UnitError, UnitTable
from reasoner.vocab import BILLING_SYSTEMS, CANONICAL_SYSTEM, DOC, LOINC, NEC, REQ, RXN, SCT, bind_prefixes

USES = {"preauthorization": NEC.Preauthorization, "predetermination": NEC.Preauthorization,
        "claim": NEC.PostServiceClaim}
TYPES = {"professional": NEC.Professional, "institutional": NEC.Institutional}


def claim_facts(request: Request, claim: Claim, units: UnitTable) -> Graph:
    """The facts graph of one claim of ``request``: what the reasoner reasons over with the knowledge."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    patient = REQ.patient
    _add_patient(graph, patient, request, claim.service_date)
    for index, condition in enumerate((*request.conditions, *claim.diagnoses)):
        _add_condition(graph, patient, index, condition)
    for index, lab in enumerate(_latest_labs(request.labs, claim.service_date)):
        _add_lab(graph, patient, index, lab, units, request.path)
    _add_drugs_services_answers(graph, patient, request)
    _add_claim(graph, patient, request, claim)
    return graph


def age_on(birth: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _add_patient(graph: Graph, patient: URIRef, request: Request, service_date: date) -> None:
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
        graph.add((patient, NEC.ageYears, Literal(age_on(info.birth_date, service_date), datatype=XSD.integer)))


def _add_condition(graph: Graph, patient: URIRef, index: int, condition: ConditionFact) -> None:
    node = REQ[f"condition/{index}"]
    code_class = icd10cm.code_class(condition.code)
    icd10cm.add_hierarchy(graph, condition.code)
    name = icd10cm.description(condition.code) or "not an ICD-10-CM code"
    graph.add((patient, NEC.hasCondition, node))
    graph.add((node, RDF.type, NEC.Condition))
    graph.add((node, RDF.type, code_class))
    graph.add((node, NEC.codeNotation, Literal(condition.code)))
    graph.add((node, NEC.source, Literal(condition.source)))
    graph.add((node, RDFS.label, Literal(f"ICD-10-CM {condition.code} {name} ({condition.source})")))


def _latest_labs(labs: tuple[LabFact, ...], service_date: date) -> list[LabFact]:
    latest: dict[str, LabFact] = {}
    for lab in labs:
        if lab.effective and lab.effective > service_date:
            continue
        held = latest.get(lab.loinc)
        if held is None or (lab.effective or date.min) >= (held.effective or date.min):
            latest[lab.loinc] = lab
    return [latest[k] for k in sorted(latest)]


def _add_lab(graph: Graph, patient: URIRef, index: int, lab: LabFact, units: UnitTable, path: str) -> None:
    if not units.reads(lab.loinc):
        return
    if lab.value is None:
        raise InputError(path, lab.source, "valueQuantity.value", f"no value for LOINC {lab.loinc}")
    try:
        value, unit = units.normalize(lab.loinc, lab.value, lab.unit)
    except UnitError as exc:
        raise InputError(path, lab.source, "valueQuantity.code", str(exc)) from exc
    node = REQ[f"lab/{index}"]
    shown = format(value.normalize(), "f")
    when = f" on {lab.effective}" if lab.effective else ""
    graph.add((patient, NEC.hasLabResult, node))
    graph.add((node, RDF.type, NEC.LabResult))
    graph.add((node, RDF.type, LOINC[lab.loinc]))
    graph.add((node, NEC.value, Literal(shown, datatype=XSD.decimal)))
    graph.add((node, NEC.unit, Literal(unit)))
    graph.add((node, NEC.reportedValue, Literal(f"{lab.value} {lab.unit}")))
    graph.add((node, NEC.source, Literal(lab.source)))
    if lab.effective:
        graph.add((node, NEC.effectiveDate, Literal(lab.effective)))
    graph.add((node, RDFS.label, Literal(f"LOINC {lab.loinc} {lab.display or ''} = {shown} {unit}{when} "
                                         f"({lab.source})".replace("  ", " "))))


def _add_drugs_services_answers(graph: Graph, patient: URIRef, request: Request) -> None:
    for index, drug in enumerate(request.drugs):
        node = REQ[f"drug/{index}"]
        graph.add((patient, NEC.hasDrugExposure, node))
        graph.add((node, RDF.type, NEC.DrugExposure))
        graph.add((node, RDF.type, RXN[drug.rxnorm]))
        graph.add((node, NEC.status, Literal(drug.status)))
        graph.add((node, NEC.source, Literal(drug.source)))
        if drug.route:
            graph.add((node, NEC.route, SCT[drug.route]))
        route = f", route SNOMED CT {drug.route}" if drug.route else ", no route"
        graph.add((node, RDFS.label, Literal(f"RxNorm {drug.rxnorm} {drug.display or ''}{route}, {drug.status} "
                                             f"({drug.source})")))
    for index, service in enumerate(request.services):
        node = REQ[f"service/{index}"]
        graph.add((patient, NEC.hasPlannedService, node))
        graph.add((node, RDF.type, NEC.PlannedService))
        graph.add((node, RDF.type, SCT[service.code]))
        graph.add((node, NEC.source, Literal(service.source)))
        graph.add((node, RDFS.label, Literal(f"SNOMED CT {service.code} {service.display or ''}, {service.status} "
                                             f"({service.source})")))
    for index, answer in enumerate(request.answers):
        _add_answer(graph, patient, index, answer.link_id, answer.value, answer.source)


def _add_answer(graph: Graph, patient: URIRef, index: int, link_id: str, value: bool | int | str, source: str) -> None:
    node = REQ[f"answer/{index}"]
    prop = NEC.booleanAnswer if isinstance(value, bool) else NEC.integerAnswer if isinstance(value, int) \
        else NEC.stringAnswer
    graph.add((patient, NEC.hasAnswer, node))
    graph.add((node, RDF.type, NEC.DocumentationAnswer))
    graph.add((node, NEC.question, DOC[link_id]))
    graph.add((node, prop, Literal(value)))
    graph.add((node, NEC.source, Literal(source)))
    shown = str(value).lower() if isinstance(value, bool) else str(value)
    graph.add((node, RDFS.label, Literal(f"{link_id} = {shown} ({source})")))


def _add_claim(graph: Graph, patient: URIRef, request: Request, claim: Claim) -> None:
    node = REQ[f"claim/{claim.id}"]
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
        _add_line(graph, node, patient, request, line)


def _add_line(graph: Graph, claim: URIRef, patient: URIRef, request: Request, line: ClaimLine) -> None:
    node = URIRef(f"{claim}/line/{line.sequence}")
    namespace = BILLING_SYSTEMS.get(line.system)
    system = CANONICAL_SYSTEM[namespace] if namespace is not None else line.system
    graph.add((node, RDF.type, NEC.ClaimLine))
    if namespace is not None:
        graph.add((node, RDF.type, namespace[line.code]))
    graph.add((node, NEC.onClaim, claim))
    graph.add((node, NEC.forPatient, patient))
    graph.add((node, NEC.sequence, Literal(line.sequence, datatype=XSD.integer)))
    graph.add((node, NEC.codeNotation, Literal(line.code)))
    graph.add((node, NEC.codeSystem, Literal(system, datatype=XSD.anyURI)))
    graph.add((node, NEC.quantity, Literal(format(line.quantity, "f"), datatype=XSD.decimal)))
    graph.add((node, NEC.serviceDate, Literal(line.service_date)))
    graph.add((node, NEC.source, Literal(line.source)))
    graph.add((node, RDFS.label, Literal(f"claim line {line.sequence}: {line.code} ({line.source})")))
    if line.claimed_as:
        graph.add((node, NEC.claimedAs, Literal(line.claimed_as)))
    if line.place_of_service:
        graph.add((node, NEC.placeOfService, Literal(line.place_of_service)))
    if request.patient.birth_date and request.patient.birth_date <= line.service_date:
        age = age_on(request.patient.birth_date, line.service_date)
        graph.add((node, NEC.ageAtService, Literal(age, datatype=XSD.integer)))

