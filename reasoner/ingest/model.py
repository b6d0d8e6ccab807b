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
    """A diagnosis: its ICD-10-CM code as written (with or without the dot), or None when it cannot be read
    (``unreadable`` says why: then diagnosis criteria stay unknown, never refuted). ``possible``: the code is
    read but not whether it is present (no clinical status, not pointed to by the claim). ``warning``: how
    the code was read when not as ICD-10-CM (a WHO ICD-10 code)."""

    code: str | None
    source: str
    possible: bool = False
    unreadable: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class LabFact:
    """A laboratory result as reported (value and unit before conversion), with its instant (for ordering)
    and its date in the sender's own offset (for comparing with the date of service)."""

    loinc: str
    value: Decimal | None
    unit_code: str | None
    unit_text: str | None
    effective: datetime
    effective_date: date
    display: str | None
    source: str
    when: str = ""  # the effective time as the sender wrote it
    unreadable: str | None = None
    unit_system: str | None = None  # the system of unit_code (UCUM's, or None: read as UCUM)


@dataclass(frozen=True)
class DrugFact:
    """A current or planned drug order or statement (RxNorm ingredient, SNOMED CT route); ``rxnorm`` None
    when the drug cannot be read (``unreadable`` says why: criteria on drug classes stay unknown)."""

    rxnorm: str | None
    display: str | None
    route: str | None
    status: str
    source: str
    unreadable: str | None = None


@dataclass(frozen=True)
class ServiceFact:
    """A planned service: a ServiceRequest in SNOMED CT, or an item ordered by a DeviceRequest in HCPCS
    (``system`` names which: "SNOMED CT" or "HCPCS"); ``code`` None when it cannot be read (``unreadable``
    says why)."""

    code: str | None
    display: str | None
    status: str
    source: str
    unreadable: str | None = None
    system: str = "SNOMED CT"
    ordered_on: str | None = None  # DeviceRequest.authoredOn as the sender wrote it


@dataclass(frozen=True)
class AnswerFact:
    """A documentation answer keyed by QuestionnaireResponse linkId: a bool, int, str or Decimal, or a coding
    as (system, code), read as the question's type when facts are made."""

    link_id: str
    value: bool | int | str | Decimal | tuple[str, str]
    source: str


@dataclass(frozen=True)
class ClaimLine:
    """One claim item: the billed code and what the submitter calls it. ``namespace``: the billing system
    the code is read in (None when it is not a billing code system), ``system_warning``: how it was read
    when not under its own system. ``pointers``: the diagnosis sequences the item points to."""

    sequence: int
    system: str
    code: str
    claimed_as: str | None
    quantity: Decimal
    place_of_service: str | None
    service_date: date
    source: str
    namespace: str | None = None
    system_warning: str | None = None
    pointers: tuple[int, ...] = ()
    service_date_source: str = "created"
    modifiers: tuple[str, ...] = ()  # the billing modifiers of the item (26, TC, ...), as sent


@dataclass(frozen=True)
class CancelledLine:
    """A claim item that is not decided, and why: withdrawn by the submitter (PAS infoCancelled or
    itemCancelled), or carrying a modifier extension necessity does not understand. Listed, not decided."""

    sequence: int
    code: str
    source: str
    reason: str


@dataclass(frozen=True)
class ClaimDiagnosis:
    """A diagnosis of the claim, by its sequence (what items point to)."""

    sequence: int | None
    condition: ConditionFact


@dataclass(frozen=True)
class Claim:
    """A claim or prior-authorization request and its lines."""

    id: str
    use: str
    type: str | None
    service_date: date
    diagnoses: tuple[ClaimDiagnosis, ...]
    lines: tuple[ClaimLine, ...]
    source: str
    notes: tuple[str, ...] = ()
    created: date | None = None
    reference: str | None = None
    patient_reference: str | None = None
    service_date_source: str = "created"
    cancelled: tuple[CancelledLine, ...] = ()


@dataclass(frozen=True)
class RejectedClaim:
    """A Claim of the request that cannot be reviewed, and why (the error names file, resource and field)."""

    source: str
    error: Exception


@dataclass(frozen=True)
class LedgerEntry:
    """What became of one entry of the Bundle: ``use`` is "used" (read into the facts), "ignored" (a type
    or role necessity does not read) or "left out" (a resource necessity reads but could not: what rests
    on it is unknown), with the reason."""

    entry: int
    resource: str
    use: str
    reason: str


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
    ledger: tuple[LedgerEntry, ...] = ()
    as_of: date | None = None  # the date whose policies apply (--as-of); None: each line's date of service
    strict: bool = False  # a lab unit that cannot be converted refuses the request instead of leaving the lab unknown
