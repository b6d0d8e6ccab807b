"""What every route of ``necessity api`` answers with: the settings it serves with, an answer before it is
recorded and sent, and a refusal as a FHIR OperationOutcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reasoner.api.records import Records, Reviewed
from reasoner.api.tokens import Tokens
from reasoner.engines import Engine
from reasoner.knowledge import Knowledge

FHIR_JSON = "application/fhir+json"
JSON = "application/json"
HTML = "text/html; charset=utf-8"
OPEN_ROUTES = ("/fhir/metadata", "/cds-services")


@dataclass(frozen=True)
class Settings:
    """What the app serves with: the knowledge, the engine, the store, who may call, and the limits."""

    knowledge: Knowledge
    engine: Engine
    records: Records
    tokens: Tokens | None  # None: --insecure-no-auth (loopback only, checked by the CLI)
    max_request_bytes: int = 4 << 20
    time_limit_s: float = 30.0
    fhir_servers: tuple[str, ...] = ()  # the origins a CRD hook's fhirServer may be queried at


@dataclass(frozen=True)
class Answer:
    """An answer before it is recorded and sent."""

    status: int
    body: dict[str, Any] | str  # a FHIR or CDS Hooks resource, or a workbench page (HTML)
    decisions: tuple[Any, ...] = ()
    media_type: str = FHIR_JSON
    headers: dict[str, str] = field(default_factory=dict)
    reviewed: Reviewed | None = None
    recorded_request: bytes | None = None  # what the audit trail keeps instead of the body (a token never)


class Refused(Exception):
    """An answer given without deciding: an OperationOutcome with its HTTP status (or ``answer``: the
    workbench sends a person to the sign-in page instead)."""

    def __init__(self, status: int, code: str, diagnostics: str, expression: str | None = None,
                 answer: Answer | None = None) -> None:
        super().__init__(diagnostics)
        self.answer = answer or Answer(status, outcome(code, diagnostics, expression))


def outcome(code: str, diagnostics: str, expression: str | None = None) -> dict[str, Any]:
    """A FHIR OperationOutcome with one error issue."""
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}
