"""The review report (``necessity report``): the review of a request together with the patient
summary a nurse or medical director reads first (age, diagnoses with their ICD-10-CM names, the
latest result of each lab with unit and date, drug orders with route, planned services,
documentation answers). Names come from the knowledge base and the ICD-10-CM hierarchy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rdflib import RDFS, Graph, URIRef

from reasoner import hierarchy
from reasoner.ingest import read_request
from reasoner.ingest.model import LabFact, Request
from reasoner.knowledge import load_knowledge
from reasoner.pipeline import Review, review
from reasoner.vocab import LOINC, RXN, SCT


@dataclass(frozen=True)
class PatientSummary:
    """What the report says of the patient, each item a short line of text."""

    patient: str
    diagnoses: tuple[str, ...]
    labs: tuple[str, ...]
    drugs: tuple[str, ...]
    services: tuple[str, ...]
    answers: tuple[str, ...]


@dataclass(frozen=True)
class ReviewReport:
    """A review and the summary of its patient."""

    review: Review
    summary: PatientSummary


def review_report(path: str | Path, claim_id: str | None = None) -> ReviewReport:
    """Review the request at ``path`` and summarize its patient."""
    request = read_request(path)
    result = review(path, claim_id)
    first_service = min((c.service_date for c in request.claims), default=None)
    return ReviewReport(review=result, summary=patient_summary(request, first_service))


def patient_summary(request: Request, service_date: date | None) -> PatientSummary:
    """The patient's age on ``service_date``, diagnoses, latest labs, drugs, services and answers."""
    names = load_knowledge().graph
    patient = request.patient
    age = f", {_age(patient.birth_date, service_date)} years old on {service_date.isoformat()}" \
        if patient.birth_date and service_date else ""
    born = patient.birth_date.isoformat() if patient.birth_date else "birth date not given"
    diagnoses = {c.code: c.source for c in (*request.conditions, *(d for cl in request.claims for d in cl.diagnoses))}
    return PatientSummary(
        patient=f"{patient.source}: {patient.gender or 'gender not given'}, born {born}{age}",
        diagnoses=tuple(f"{code} {hierarchy.description(code) or '(not a code of ICD-10-CM)'} ({source})"
                        for code, source in sorted(diagnoses.items())),
        labs=tuple(_lab(lab, names) for lab in _latest_labs(request.labs)),
        drugs=tuple(f"{_name(names, RXN[d.rxnorm], d.display)} (RxNorm {d.rxnorm}), route "
                    f"{_name(names, SCT[d.route], d.route) if d.route else 'not given'}, {d.status} ({d.source})"
                    for d in request.drugs),
        services=tuple(f"{_name(names, SCT[s.code], s.display)} (SNOMED CT {s.code}), {s.status} ({s.source})"
                       for s in request.services),
        answers=tuple(f"{a.link_id}: {a.value} ({a.source})" for a in request.answers),
    )


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _latest_labs(labs: tuple[LabFact, ...]) -> list[LabFact]:
    latest: dict[str, LabFact] = {}
    for lab in sorted(labs, key=lambda lab: lab.effective):
        latest[lab.loinc] = lab
    return [latest[code] for code in sorted(latest)]


def _lab(lab: LabFact, names: Graph) -> str:
    value = "no value" if lab.value is None else f"{lab.value} {lab.unit or ''}".strip()
    return f"{_name(names, LOINC[lab.loinc], lab.display)} (LOINC {lab.loinc}): {value} on " \
           f"{lab.effective.date().isoformat()} ({lab.source})"


def _name(names: Graph, term: URIRef, fallback: str | None) -> str:
    label = names.value(term, RDFS.label)
    return str(label) if label is not None else (fallback or str(term).rsplit("/", 1)[-1])
