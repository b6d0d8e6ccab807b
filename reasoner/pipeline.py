"""Request in, determinations out: read the request, build each claim's facts, infer, decide.

Two inference engines close a claim's facts with the knowledge: ``fast`` (the default: the OWL 2 RL
rules the knowledge uses, compiled once, applied to the claim's facts only) and ``reference``
(owlrl's full closure of the knowledge and the facts, the definition of right, seconds per claim).
The decision that follows is the same for both."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from reasoner.compiled import CompiledKnowledge, knowledge_graph, load_compiled
from reasoner.determine import Determination, apply_decision, decide, read_determinations
from reasoner.engines import fast, reference
from reasoner.errors import InputError
from reasoner.facts import claim_facts
from reasoner.ingest import read_request
from reasoner.ingest.model import CancelledLine, Claim, LedgerEntry, RejectedClaim, Request
from reasoner.ingest.shapes import check_patient_graph
from reasoner.notes import reading_notes
from reasoner.store import as_graph, decision_store, quads

log = logging.getLogger("necessity")

ENGINES = {"fast": "fast (OWL 2 RL rules compiled from the closed knowledge base)",
           "reference": "reference (owlrl OWL 2 RL closure)"}


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
    service_date_source: str = "created"
    cancelled: tuple[CancelledLine, ...] = ()

    @property
    def other_policy_dates(self) -> list[str]:
        """The dates whose policies decided the lines when they are not the date of service (--as-of)."""
        return sorted({d.policy_date for d in self.determinations} - {self.service_date})


@dataclass(frozen=True)
class Review:
    """The review of one request: a ClaimReview per claim, the notes of ingest, the knowledge version."""

    request: str
    knowledge_version: str
    claims: tuple[ClaimReview, ...]
    notes: tuple[str, ...]
    engine: str = ENGINES["fast"]
    rejected: tuple[RejectedClaim, ...] = ()
    ingest: tuple[LedgerEntry, ...] = ()


@dataclass(frozen=True)
class Decided:
    """One claim decided, with everything it rests on: the graph (knowledge, facts, inferences and the
    decision) and the determinations read from it."""

    claim: Claim
    graph: Graph
    determinations: tuple[Determination, ...]


def review(path: str | Path, claim_id: str | None = None, engine: str = "fast", as_of: date | None = None,
           strict: bool = False) -> Review:
    """Review every claim of the request at ``path`` (or only ``claim_id``) with an inference engine
    (``fast`` or ``reference``), with the policies in force on each line's date of service, or on
    ``as_of``; ``strict`` refuses a lab unit that cannot be converted instead of leaving the lab unknown."""
    return review_request(replace(read_request(path), as_of=as_of, strict=strict), claim_id, engine)


def review_request(request: Request, claim_id: str | None = None, engine: str = "fast") -> Review:
    """Review every claim of ``request`` (or only ``claim_id``) with an inference engine (``fast`` or
    ``reference``). A claim that cannot be reviewed is named in ``Review.rejected``; raise its error when
    none can."""
    compiled = load_compiled()
    claims = _chosen_claims(request, claim_id)
    reviews: list[ClaimReview] = []
    rejected = list(request.rejected) if claim_id is None else []
    for number, claim in enumerate(claims, start=1):
        try:
            reviews.append(_logged(number, len(claims), engine, request, claim))
        except InputError as exc:  # a claim that cannot be reviewed does not stop the others
            rejected.append(RejectedClaim(source=claim.source, error=exc))
    if not reviews:
        raise rejected[0].error
    return Review(
        request=request.path,
        knowledge_version=compiled.version,
        claims=tuple(reviews),
        notes=request.notes + reading_notes(request, compiled.tables),
        engine=ENGINES[engine],
        rejected=tuple(rejected),
        ingest=request.ledger,
    )


def _logged(number: int, count: int, engine: str, request: Request, claim: Claim) -> ClaimReview:
    """Review one claim and log its size and time, nothing about the patient."""
    started = time.perf_counter()
    done = review_claim(request, claim, engine)
    log.info("claim %d of %d reviewed with the %s engine: %d lines in %.1f ms", number, count, engine,
             len(done.determinations), (time.perf_counter() - started) * 1000)
    return done


def review_claim(request: Request, claim: Claim, engine: str = "fast") -> ClaimReview:
    """Build one claim's facts, check them against the patient shapes, infer with ``engine`` and decide."""
    determinations = decide(decision_store(closed_quads(request, claim, engine)))
    return ClaimReview(claim_id=claim.id, use=claim.use, claim_type=claim.type,
                       service_date=claim.service_date.isoformat(), determinations=tuple(determinations),
                       created=claim.created.isoformat() if claim.created else None, reference=claim.reference,
                       patient_reference=claim.patient_reference, service_date_source=claim.service_date_source,
                       cancelled=claim.cancelled)


def decided(path: str | Path, claim_id: str | None = None, engine: str = "fast", as_of: date | None = None) -> Decided:
    """The claim, the graph it is decided on (the knowledge, the claim's facts, everything inferred and
    the decision: assessments, outcomes, statuses, warnings) and its determinations. ``claim_id``
    picks the claim; it may be left out when the request has one. ``as_of``: as in ``review``."""
    request = replace(read_request(path), as_of=as_of)
    claims = _chosen_claims(request, claim_id)
    if request.rejected and claim_id is None:
        first = request.rejected[0]
        raise InputError(request.path, first.source, "-",
                         f"cannot be reviewed ({first.error}): pick a claim with --claim")
    if claims[1:]:
        known = ", ".join(c.id for c in claims)
        raise InputError(request.path, "Claim", "id",
                         f"the request has several claims ({known}): pick one with --claim")
    store = decision_store(closed_quads(request, claims[0], engine))
    apply_decision(store)
    return Decided(claim=claims[0], graph=as_graph(store), determinations=tuple(read_determinations(store)))


def closed_quads(request: Request, claim: Claim, engine: str = "fast",
                 compiled: CompiledKnowledge | None = None) -> list[ox.Quad]:
    """The claim's facts checked against the patient shapes, closed by ``engine`` with the installed
    knowledge (or another ``compiled`` knowledge base)."""
    compiled = compiled or load_compiled()
    facts = claim_facts(request, claim, compiled.tables)
    check_patient_graph(facts, request.path)
    if engine == "reference":
        return quads(reference.infer(knowledge_graph(compiled), facts))
    return [*_knowledge_quads(compiled), *quads(facts), *quads(fast.infer(compiled.fast_rules(), facts))]


def _knowledge_quads(compiled: CompiledKnowledge) -> tuple[ox.Quad, ...]:
    """The knowledge closed once by the reference engine, as quads (once per process and version)."""
    if compiled.version not in _QUADS:
        _QUADS[compiled.version] = tuple(quads((*compiled.asserted, *compiled.entailed)))
    return _QUADS[compiled.version]


_QUADS: dict[str, tuple[ox.Quad, ...]] = {}


def _chosen_claims(request: Request, claim_id: str | None) -> tuple[Claim, ...]:
    if claim_id is None:
        return request.claims
    for rejected in request.rejected:
        if claim_id in (rejected.source, rejected.source.partition("/")[2]):
            raise rejected.error
    chosen = tuple(c for c in request.claims if claim_id in (c.id, c.source))
    if not chosen:
        known = ", ".join(c.id for c in request.claims)
        raise InputError(request.path, f"Claim/{claim_id}", "id", f"no such claim (the request has: {known})")
    return chosen
