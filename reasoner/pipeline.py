"""Request in, determinations out: read the request, build each claim's facts, infer, decide.

Every operation takes the knowledge (``reasoner.knowledge.Knowledge``) and an inference engine
(``reasoner.engines.Engine``: the fast one by default) from its caller. A claim's facts and what the
engine entails from them go into a named graph of the knowledge's store, are decided there with the
knowledge as context, read, and dropped: the knowledge is never copied per claim."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from rdflib.term import Node

from reasoner.determine import decide
from reasoner.engines import Engine
from reasoner.errors import InputError
from reasoner.facts import claim_facts
from reasoner.ingest import read_request
from reasoner.ingest.model import Claim, RejectedClaim, Request
from reasoner.ingest.shapes import check_patient_graph
from reasoner.knowledge import Knowledge
from reasoner.notes import reading_notes
from reasoner.results import ClaimReview, Decided, Review

log = logging.getLogger("necessity")

Triple = tuple[Node, Node, Node]


def review(path: str | Path, knowledge: Knowledge, engine: Engine | None = None, claim_id: str | None = None,
           as_of: date | None = None, strict: bool = False) -> Review:
    """Review every claim of the request at ``path`` (or only ``claim_id``) with ``knowledge`` and an inference
    engine (the fast one by default), with the policies in force on each line's date of service, or on
    ``as_of``; ``strict`` refuses a lab unit that cannot be converted instead of leaving the lab unknown."""
    request = replace(read_request(path, knowledge), as_of=as_of, strict=strict)
    return review_request(request, knowledge, engine, claim_id)


def review_request(request: Request, knowledge: Knowledge, engine: Engine | None = None,
                   claim_id: str | None = None) -> Review:
    """Review every claim of ``request`` (or only ``claim_id``). A claim that cannot be reviewed is named in
    ``Review.rejected``; raise its error when none can."""
    engine = engine or knowledge.engine("fast")
    claims = _chosen_claims(request, claim_id)
    reviews: list[ClaimReview] = []
    rejected = list(request.rejected) if claim_id is None else []
    for number, claim in enumerate(claims, start=1):
        try:
            reviews.append(_logged(number, len(claims), request, claim, knowledge, engine))
        except InputError as exc:  # a claim that cannot be reviewed does not stop the others
            rejected.append(RejectedClaim(source=claim.source, error=exc))
    if not reviews:
        raise rejected[0].error
    return Review(
        request=request.path,
        knowledge_version=knowledge.version,
        claims=tuple(reviews),
        notes=request.notes + reading_notes(request, knowledge.tables),
        engine=engine.description,
        rejected=tuple(rejected),
        ingest=request.ledger,
    )


def _logged(number: int, count: int, request: Request, claim: Claim, knowledge: Knowledge,
            engine: Engine) -> ClaimReview:
    """Review one claim and log its size and time, nothing about the patient."""
    started = time.perf_counter()
    done = review_claim(request, claim, knowledge, engine)
    log.info("claim %d of %d reviewed with the %s engine: %d lines in %.1f ms", number, count, engine.name,
             len(done.determinations), (time.perf_counter() - started) * 1000)
    return done


def review_claim(request: Request, claim: Claim, knowledge: Knowledge, engine: Engine) -> ClaimReview:
    """Build one claim's facts, check them against the patient shapes, infer with ``engine`` and decide."""
    with knowledge.store.claim(claim_triples(request, claim, knowledge, engine, focused=True)) as graph:
        determinations = decide(graph, knowledge.queries)
    return ClaimReview(claim_id=claim.id, use=claim.use, claim_type=claim.type,
                       service_date=claim.service_date.isoformat(), determinations=tuple(determinations),
                       created=claim.created.isoformat() if claim.created else None, reference=claim.reference,
                       patient_reference=claim.patient_reference, service_date_source=claim.service_date_source,
                       cancelled=claim.cancelled)


def decided(path: str | Path, knowledge: Knowledge, engine: Engine | None = None, claim_id: str | None = None,
            as_of: date | None = None) -> Decided:
    """The claim, the graph it is decided on (the knowledge, the claim's facts, everything inferred and
    the decision: assessments, outcomes, statuses, warnings) and its determinations. ``claim_id``
    picks the claim; it may be left out when the request has one. ``as_of``: as in ``review``."""
    request = replace(read_request(path, knowledge), as_of=as_of)
    claims = _chosen_claims(request, claim_id)
    if request.rejected and claim_id is None:
        first = request.rejected[0]
        raise InputError(request.path, first.source, "-",
                         f"cannot be reviewed ({first.error}): pick a claim with --claim")
    if claims[1:]:
        known = ", ".join(c.id for c in claims)
        raise InputError(request.path, "Claim", "id",
                         f"the request has several claims ({known}): pick one with --claim")
    triples = claim_triples(request, claims[0], knowledge, engine or knowledge.engine("fast"))
    with knowledge.store.claim(triples, whole=True) as graph:
        determinations = tuple(decide(graph, knowledge.queries))
        return Decided(claim=claims[0], store=graph, determinations=determinations)


def claim_triples(request: Request, claim: Claim, knowledge: Knowledge, engine: Engine,
                  focused: bool = False) -> list[Triple]:
    """The claim's facts, checked against the patient shapes, and what ``engine`` entails from them with the
    knowledge (beyond the closed knowledge itself); ``focused``: only what bears on the claim's lines."""
    facts = claim_facts(request, claim, knowledge.tables)
    check_patient_graph(facts, request.path, knowledge.shapes)
    return [*facts, *engine.entail(facts, focused)]


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
