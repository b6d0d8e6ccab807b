"""Request in, determinations out: read the request, build each claim's facts, infer, decide."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from reasoner import hierarchy
from reasoner.determine import Determination, apply_decision, decide
from reasoner.engines import reference
from reasoner.errors import InputError
from reasoner.facts import claim_facts
from reasoner.ingest import read_request
from reasoner.ingest.model import Claim, Request
from reasoner.ingest.shapes import check_patient_graph
from reasoner.ingest.tables import Tables, reference_tables
from reasoner.knowledge import KnowledgeBase, load_knowledge
from reasoner.vocab import RXN


@dataclass(frozen=True)
class ClaimReview:
    """The determinations of one claim."""

    claim_id: str
    use: str
    claim_type: str | None
    service_date: str
    determinations: tuple[Determination, ...]
    created: str | None = None
    reference: str | None = None
    patient_reference: str | None = None


@dataclass(frozen=True)
class Review:
    """The review of one request: a ClaimReview per claim, the notes of ingest, the knowledge version."""

    request: str
    knowledge_version: str
    claims: tuple[ClaimReview, ...]
    notes: tuple[str, ...]


def review(path: str | Path, claim_id: str | None = None) -> Review:
    """Review every claim of the request at ``path`` (or only ``claim_id``) with the reference engine."""
    request = read_request(path)
    knowledge = load_knowledge()
    claims = _chosen_claims(request, claim_id)
    tables = reference_tables(knowledge.graph)
    return Review(
        request=str(path),
        knowledge_version=knowledge.version,
        claims=tuple(review_claim(request, claim, knowledge, tables) for claim in claims),
        notes=request.notes + _unknown_code_notes(request, tables),
    )


def review_claim(request: Request, claim: Claim, knowledge: KnowledgeBase, tables: Tables) -> ClaimReview:
    """Build one claim's facts, check them against the patient shapes, infer and decide."""
    closed = _closed_graph(request, claim, knowledge, tables)
    return ClaimReview(claim_id=claim.id, use=claim.use, claim_type=claim.type,
                       service_date=claim.service_date.isoformat(), determinations=tuple(decide(closed)),
                       created=claim.created.isoformat() if claim.created else None, reference=claim.reference,
                       patient_reference=claim.patient_reference)


def decided_graph(path: str | Path, claim_id: str | None = None) -> tuple[Claim, Graph]:
    """The claim and the graph it is decided on: the knowledge, the claim's facts,
    everything inferred, and the decision (assessments, outcomes, statuses, warnings). ``claim_id``
    picks the claim; it may be left out when the request has one."""
    request = read_request(path)
    claims = _chosen_claims(request, claim_id)
    if claims[1:]:
        known = ", ".join(c.id for c in claims)
        raise InputError(request.path, "Claim", "id",
                         f"the request has several claims ({known}): pick one with --claim")
    knowledge = load_knowledge()
    closed = _closed_graph(request, claims[0], knowledge, reference_tables(knowledge.graph))
    apply_decision(closed)
    return claims[0], closed


def _closed_graph(request: Request, claim: Claim, knowledge: KnowledgeBase, tables: Tables) -> Graph:
    facts = claim_facts(request, claim, tables)
    check_patient_graph(facts, request.path)
    return reference.infer(knowledge.graph, facts)


def _chosen_claims(request: Request, claim_id: str | None) -> tuple[Claim, ...]:
    if claim_id is None:
        return request.claims
    chosen = tuple(c for c in request.claims if claim_id in (c.id, c.source))
    if not chosen:
        known = ", ".join(c.id for c in request.claims)
        raise InputError(request.path, f"Claim/{claim_id}", "id", f"no such claim (the request has: {known})")
    return chosen


def _unknown_code_notes(request: Request, tables: Tables) -> tuple[str, ...]:
    conditions = (*request.conditions, *(d for c in request.claims for d in c.diagnoses))
    unknown = tuple(f"{c.source}: {c.code!r} is not an ICD-10-CM code; kept, but it matches no criterion"
                    for c in conditions if not hierarchy.is_known(c.code))
    return unknown + tuple(f"{d.source}: RxNorm {d.rxnorm!r} is not classified by the knowledge base; criteria on "
                           "drug classes stay unknown for this patient" for d in request.drugs
                           if not tables.declares(RXN[d.rxnorm]))
