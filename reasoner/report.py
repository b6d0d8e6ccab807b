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
from reasoner.compiled import load_knowledge
from reasoner.facts import latest_labs
from reasoner.ingest import read_request
from reasoner.ingest.model import Claim, LabFact, Request
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


def review_report(path: str | Path, claim_id: str | None = None, engine: str = "fast") -> ReviewReport:
    """Review the request at ``path`` (or only its claim ``claim_id``) and summarize its patient as of
    the earliest date of service of the claims reviewed."""
    result = review(path, claim_id, engine)
    request = read_request(path)
    claims = tuple(c for c in request.claims if claim_id in (None, c.id))
    return ReviewReport(review=result, summary=patient_summary(request, claims))


def patient_summary(request: Request, claims: tuple[Claim, ...]) -> PatientSummary:
    """The patient's age on the earliest date of service of ``claims``, the diagnoses of the patient and
    of those claims, the latest result of each lab on or before that date, drugs, services, answers."""
    names = load_knowledge().graph
    patient = request.patient
    service_date = min(c.service_date for c in claims)
    age = f", {_age(patient.birth_date, service_date)} years old on {service_date.isoformat()}" \
        if patient.birth_date else ""
    born = patient.birth_date.isoformat() if patient.birth_date else "birth date not given"
    diagnoses = {c.code: c.source for c in (*request.conditions, *(d for cl in claims for d in cl.diagnoses))}
    return PatientSummary(
        patient=f"{patient.source}: {patient.gender or 'gender not given'}, born {born}{age}",
        diagnoses=tuple(f"{code} {hierarchy.description(code) or '(not a code of ICD-10-CM)'} ({source})"
                        for code, source in sorted(diagnoses.items())),
        labs=tuple(_lab(lab, names) for lab in latest_labs(request.labs, service_date)),
        drugs=tuple(f"{_name(names, RXN[d.rxnorm], d.display)} (RxNorm {d.rxnorm}), route "
                    f"{_name(names, SCT[d.route], d.route) if d.route else 'not given'}, {d.status} ({d.source})"
                    for d in request.drugs),
        services=tuple(f"{_name(names, SCT[s.code], s.display)} (SNOMED CT {s.code}), {s.status} ({s.source})"
                       for s in request.services),
        answers=tuple(f"{a.link_id}: {a.value} ({a.source})" for a in request.answers),
    )


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _lab(lab: LabFact, names: Graph) -> str:
    value = "no value" if lab.value is None else f"{lab.value} {lab.unit or ''}".strip()
    return f"{_name(names, LOINC[lab.loinc], lab.display)} (LOINC {lab.loinc}): {value} on " \
           f"{lab.effective.date().isoformat()} ({lab.source})"


def _name(names: Graph, term: URIRef, fallback: str | None) -> str:
    label = names.value(term, RDFS.label)
    return str(label) if label is not None else (fallback or str(term).rsplit("/", 1)[-1])
