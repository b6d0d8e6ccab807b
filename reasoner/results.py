"""What a review produces, in one module, so that the renderers import no reasoning: a Review of a
request, a ClaimReview per claim, a Determination per claim line with the criteria, recommendations,
rules, documentation and warnings it rests on, and the five statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rdflib import Graph
from rdflib.term import Node

from reasoner.ingest.model import CancelledLine, Claim, LedgerEntry, RejectedClaim

if TYPE_CHECKING:  # networkx takes a tenth of a second to import; only export needs it
    import networkx as nx


class Status(StrEnum):
    """The status of a claim line (``docs/``: the five statuses). Written by ``queries/decide/30-status.ru``
    and ``35-follow-primary.ru`` as these strings."""

    JUSTIFIED = "justified"
    NOT_JUSTIFIED = "not-justified"
    NEEDS_INFO = "needs-info"
    CODING_ERROR = "coding-error"
    NO_POLICY = "no-policy"


@dataclass(frozen=True)
class Criterion:
    """A criterion assessed for a line: met, refuted or unknown, with the facts that decide it."""

    id: str
    label: str
    state: str
    of: str
    facts: tuple[str, ...]
    exception: bool = False


@dataclass(frozen=True)
class Considered:
    """A recommendation, coding rule or safety check that bears on a line, and its outcome."""

    id: str
    kind: str
    role: str
    state: str
    deciding: bool
    label: str
    statement: str | None
    strength: str | None
    evidence: str | None
    guideline: str | None
    citations: tuple[str, ...]


@dataclass(frozen=True)
class DocumentationItem:
    """A documentation element a line needs: its linkId, what it is, and its state."""

    link_id: str
    label: str
    state: str
    rule: str


@dataclass(frozen=True)
class Warning:
    """A warning on a line: one of the kinds of the JSON contract, a message, and its source."""

    kind: str
    message: str
    source: str


@dataclass(frozen=True)
class Determination:
    """The decision on one claim line and everything it rests on."""

    sequence: int
    code: str
    system: str
    display: str | None
    claimed_as: str | None
    status: Status
    service_date: str
    policy_date: str
    before_service: bool
    service_date_source: str | None
    citations: tuple[str, ...]
    recommendations: tuple[Considered, ...]
    rules: tuple[Considered, ...]
    criteria: tuple[Criterion, ...]
    documentation: tuple[DocumentationItem, ...]
    warnings: tuple[Warning, ...]


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
    engine: str
    rejected: tuple[RejectedClaim, ...] = ()
    ingest: tuple[LedgerEntry, ...] = ()


@dataclass(frozen=True)
class Decided:
    """One claim decided, with everything it rests on: the store holding the knowledge, the facts, the
    inferences and the decision (a ``reasoner.store.ClaimGraph``, queried with SPARQL), and the
    determinations read from it."""

    claim: Claim
    store: Any
    determinations: tuple[Determination, ...]


@dataclass(frozen=True)
class Change:
    """A criterion that is not met and would change the status if the facts met it."""

    source: str
    criterion: str
    label: str
    state: str


@dataclass(frozen=True)
class Explanation:
    """One claim line's determination and what would change it."""

    request: str
    claim_id: str
    knowledge_version: str
    determination: Determination
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class ExportView:
    """What ``necessity export`` writes: the view's name (knowledge or proof), a title, its RDF triples,
    the same as a property graph, and the knowledge base version."""

    name: str
    title: str
    rdf: Graph
    graph: nx.DiGraph
    knowledge_version: str


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows (SELECT; CONSTRUCT gives subject, predicate, object rows), or a boolean (ASK)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Node | None, ...], ...]
    boolean: bool | None = None


@dataclass(frozen=True)
class NamedQuery:
    """A query shipped in queries/named/: its name and what it returns (its opening comment)."""

    name: str
    summary: str


@dataclass(frozen=True)
class Question:
    """One documentation question: its linkId, text, FHIR answer type, the criteria that ask it, and
    the answers the criteria name (for a question answered with text)."""

    link_id: str
    text: str
    answer_type: str
    asked_by: tuple[str, ...]
    options: tuple[str, ...] = ()
    prefill: str | None = None  # an SDC initialExpression (FHIRPath, %patient in context)


@dataclass(frozen=True)
class DocumentationNeeds:
    """A billing code, our description of it, and the questions its lines may need answered."""

    code: str
    description: str
    questions: tuple[Question, ...]


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
