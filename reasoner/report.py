"""The review report (``necessity report``): the review of a request together with the patient
summary a nurse or medical director reads first (age, diagnoses with their ICD-10-CM names, the
latest result of each lab with unit and date, drug orders with route, planned services,
documentation answers). Names come from the knowledge base and the ICD-10-CM hierarchy.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import RDFS, Graph, URIRef

from reasoner.engines import Engine
from reasoner.facts import age_on
from reasoner.hierarchy import Hierarchy
from reasoner.ingest import read_request
from reasoner.ingest.model import Claim, ConditionFact, DrugFact, LabFact, Request
from reasoner.ingest.units import UnitTable
from reasoner.knowledge import Knowledge
from reasoner.labs import latest_labs
from reasoner.pipeline import review
from reasoner.results import PatientSummary, ReviewReport
from reasoner.vocab import LOINC, RXN, SCT


def review_report(path: str | Path, knowledge: Knowledge, engine: Engine | None = None,
                  claim_id: str | None = None) -> ReviewReport:
    """Review the request at ``path`` (or only its claim ``claim_id``) and summarize its patient as of
    the earliest date of service of the claims reviewed."""
    result = review(path, knowledge, engine, claim_id)
    request = read_request(path, knowledge)
    claims = tuple(c for c in request.claims if claim_id in (None, c.id))
    return ReviewReport(review=result, summary=patient_summary(request, claims, knowledge))


def patient_summary(request: Request, claims: tuple[Claim, ...], knowledge: Knowledge) -> PatientSummary:
    """The patient's age on the earliest date of service of ``claims``, the diagnoses of the patient and
    of those claims, the latest result of each lab on or before that date, drugs, services, answers."""
    names, hierarchy = knowledge.graph, knowledge.hierarchy
    patient = request.patient
    service_date = min(c.service_date for c in claims)
    age = f", {age_on(patient.birth_date, service_date)} years old on {service_date.isoformat()}" \
        if patient.birth_date else ""
    born = patient.birth_date.isoformat() if patient.birth_date else "birth date not given"
    diagnoses = dict.fromkeys((*request.conditions, *(d.condition for cl in claims for d in cl.diagnoses)))
    return PatientSummary(
        patient=f"{patient.source}: {patient.gender or 'gender not given'}, born {born}{age}",
        diagnoses=tuple(sorted(_diagnosis(c, hierarchy) for c in diagnoses)),
        labs=tuple(_lab(lab, names, knowledge.tables.units) for lab in latest_labs(request.labs, service_date)),
        drugs=tuple(_drug(d, names) for d in request.drugs),
        services=tuple(f"{_name(names, SCT[s.code], s.display)} (SNOMED CT {s.code}), {s.status} ({s.source})"
                       if s.code else f"a planned service that cannot be read: {s.unreadable} ({s.source})"
                       for s in request.services),
        answers=tuple(f"{a.link_id}: {a.value} ({a.source})" for a in request.answers),
    )


def _diagnosis(condition: ConditionFact, hierarchy: Hierarchy) -> str:
    if condition.code is None or condition.unreadable:
        return f"{condition.code or '-'}: a diagnosis that cannot be read: {condition.unreadable} ({condition.source})"
    name = hierarchy.description(condition.code) or "(not a code of ICD-10-CM)"
    possible = ", presence unknown (no clinical status)" if condition.possible else ""
    return f"{condition.code} {name}{possible} ({condition.source})"


def _drug(drug: DrugFact, names: Graph) -> str:
    route = _name(names, SCT[drug.route], drug.route) if drug.route else "not given"
    if drug.rxnorm is None:
        return f"a drug that cannot be read: {drug.unreadable}, route {route}, {drug.status} ({drug.source})"
    return f"{_name(names, RXN[drug.rxnorm], drug.display)} (RxNorm {drug.rxnorm}), route {route}, {drug.status} " \
           f"({drug.source})"


def _lab(lab: LabFact, names: Graph, units: UnitTable) -> str:
    unit = units.label(lab.unit_code) if lab.unit_code else (lab.unit_text or "")
    value = f"not read: {lab.unreadable}" if lab.unreadable or lab.value is None else f"{lab.value} {unit}".strip()
    return f"{_name(names, LOINC[lab.loinc], lab.display)} (LOINC {lab.loinc}): {value} on " \
           f"{lab.when or lab.effective_date.isoformat()} ({lab.source})"


def _name(names: Graph, term: URIRef, fallback: str | None) -> str:
    label = names.value(term, RDFS.label)
    return str(label) if label is not None else (fallback or str(term).rsplit("/", 1)[-1])
