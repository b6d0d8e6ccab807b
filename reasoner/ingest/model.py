"""The request model: what ingest reads from a FHIR Bundle or Turtle, before it becomes RDF facts.

Every record keeps ``source``: the resource (type/id) and field it came from, so that errors and
explanations can point back to the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from reasoner.errors import InputError

# The most lines a claim may have: an X12 837 institutional claim carries at most 999 service lines (a
# professional one 50; a PAS request fewer). A review costs time in proportion to its lines; beyond
# this, a request is not one claim and is refused.
MAX_CLAIM_LINES = 999


def check_line_count(count: int, where: str, claim: str, field: str) -> None:
    """Refuse a claim of more than MAX_CLAIM_LINES lines (``field`` names them in the input)."""
    if count > MAX_CLAIM_LINES:
        raise InputError(where, claim, field, f"{count:,} lines: a claim may have at most {MAX_CLAIM_LINES} (the "
                         "most an X12 837 institutional claim carries); split it into several claims")


@dataclass(frozen=True)
class Patient:
    """The one patient of a request."""

    id: str
    birth_date: date | None
    gender: str | None
    source: str


@dataclass(frozen=True)
class ConditionFact:
    """A present diagnosis (ICD-10-CM code as written, with or without the dot)."""

    code: str
    source: str


@dataclass(frozen=True)
class LabFact:
    """A laboratory result as reported (value and UCUM unit before conversion)."""

    loinc: str
    value: Decimal | None
    unit: str | None
    effective: datetime
    display: str | None
    source: str


@dataclass(frozen=True)
class DrugFact:
    """A current or planned drug order or statement (RxNorm ingredient, SNOMED CT route)."""

    rxnorm: str
    display: str | None
    route: str | None
    status: str
    source: str


@dataclass(frozen=True)
class ServiceFact:
    """A planned service (SNOMED CT)."""

    code: str
    display: str | None
    status: str
    source: str


@dataclass(frozen=True)
class AnswerFact:
    """A documentation answer keyed by QuestionnaireResponse linkId."""

    link_id: str
    value: bool | int | str
    source: str


@dataclass(frozen=True)
class ClaimLine:
    """One claim item: the billed code and what the submitter calls it."""

    sequence: int
    system: str
    code: str
    claimed_as: str | None
    quantity: Decimal
    place_of_service: str | None
    service_date: date
    source: str


@dataclass(frozen=True)
class Claim:
    """A claim or prior-authorization request and its lines."""

    id: str
    use: str
    type: str | None
    service_date: date
    diagnoses: tuple[ConditionFact, ...]
    lines: tuple[ClaimLine, ...]
    source: str
    notes: tuple[str, ...] = ()
    created: date | None = None
    reference: str | None = None
    patient_reference: str | None = None


@dataclass(frozen=True)
class RejectedClaim:
    """A Claim of the request that cannot be reviewed, and why (the error names file, resource and field)."""

    source: str
    error: Exception


@dataclass(frozen=True)
class Request:
    """Everything read from one request file."""

    path: str
    patient: Patient
    conditions: tuple[ConditionFact, ...] = ()
    labs: tuple[LabFact, ...] = ()
    drugs: tuple[DrugFact, ...] = ()
    services: tuple[ServiceFact, ...] = ()
    answers: tuple[AnswerFact, ...] = ()
    claims: tuple[Claim, ...] = ()
    notes: tuple[str, ...] = field(default=())
    rejected: tuple[RejectedClaim, ...] = ()
    as_of: date | None = None  # the date whose policies apply (--as-of); None: each line's date of service
