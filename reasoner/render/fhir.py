"""The FHIR output of ``necessity determine --format fhir``: a FHIR R4 Bundle (type collection) with
one ClaimResponse per reviewed Claim, validated with ``fhir.resources`` (R4B models) before it is
written.

Each claim line is one ``item`` (by ``itemSequence``) whose adjudication carries the decision in the
Da Vinci PAS review-action extension, as an X12 306 code (codes only: X12's code texts are X12's),
and points to ``processNote`` entries that say the status, what decided it and its sources in plain
words. The knowledge base version and the reviewer notice are notes too.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from reasoner.errors import NecessityError
from reasoner.ingest.model import RejectedClaim
from reasoner.render import REVIEWER_NOTICE
from reasoner.results import ClaimReview, Determination, Review, Status

REVIEW_ACTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
REVIEW_ACTION_CODE = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewActionCode"
X12_306 = "https://codesystem.x12.org/005010/306"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"

# Status -> X12 306 review action code. A1: certified in total; A3: not certified; A4: pended.
# no-policy is A4 (pended), not A3: necessity has no policy for the code, so it has no ground to
# refuse it; the line goes to a person, as a line that needs information does.
REVIEW_ACTIONS = {Status.JUSTIFIED: "A1", Status.NOT_JUSTIFIED: "A3", Status.CODING_ERROR: "A3",
                  Status.NEEDS_INFO: "A4", Status.NO_POLICY: "A4"}
CLAIM_TYPES = ("institutional", "oral", "pharmacy", "professional", "vision")  # the HL7 claim-type codes
NO_POLICY = "The knowledge base has no policy for this code: a person reviews the line."


def render_fhir(review: Review) -> str:
    """The review as a FHIR R4 Bundle of ClaimResponses (JSON), validated before it is returned."""
    bundle = collection(review_resources(review))
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


def review_resources(review: Review) -> list[dict[str, Any]]:
    """A ClaimResponse per reviewed Claim, then an OperationOutcome per Claim that could not be reviewed."""
    return [claim_response(review, claim) for claim in review.claims] + \
        [_not_reviewed(r, number) for number, r in enumerate(review.rejected, start=1)]


def collection(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """``resources`` in a Bundle of type collection, validated as FHIR R4 (raise NecessityError if not)."""
    return validated({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": f"urn:necessity:{r['resourceType'].lower()}:{r['id']}", "resource": r} for r in resources]})


def validated(bundle: dict[str, Any]) -> dict[str, Any]:
    """``bundle`` if it is valid FHIR R4 (R4B models); raise NecessityError if not."""
    try:
        Bundle.model_validate(bundle)
    except Exception as exc:  # noqa: BLE001 - pydantic's errors: a bug in necessity, said plainly
        raise NecessityError(f"the Bundle necessity built is not valid FHIR R4: {exc}") from exc
    return bundle


def _not_reviewed(rejected: RejectedClaim, number: int) -> dict[str, Any]:
    """An OperationOutcome for a Claim that could not be reviewed: an error naming it and why."""
    return {"resourceType": "OperationOutcome", "id": f"not-reviewed-{number}",
            "issue": [{"severity": "error", "code": "invalid",
                       "diagnostics": f"{rejected.source} not reviewed: {rejected.error}"}]}


def claim_response(review: Review, claim: ClaimReview) -> dict[str, Any]:
    """One Claim's ClaimResponse: outcome complete, one item per line, the reasons as process notes."""
    notes: list[str] = []
    items = [_item(line, notes, claim.use) for line in claim.determinations]
    notes += [f"Line {c.sequence}, {c.code}: not decided: {c.reason}." for c in claim.cancelled]
    as_of = claim.other_policy_dates
    policies = f" Guidelines, rules and codes in force on {', '.join(as_of)}." if as_of else ""
    notes.append(f"Knowledge base version {review.knowledge_version} (necessity).{policies} {REVIEWER_NOTICE}")
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": f"{_fhir_id(claim.claim_id)}-review",
        "status": "active",
        "type": _claim_type(claim.claim_type),
        "use": claim.use,
        "patient": {"reference": claim.patient_reference} if claim.patient_reference
        else {"display": "the patient of the request"},
        "created": claim.created or claim.service_date,
        "insurer": {"display": "necessity decision support (not an insurer's decision)"},
        "request": {"reference": claim.reference} if claim.reference else {"display": f"claim {claim.claim_id}"},
        "outcome": "complete",
        "disposition": "Reviewed by necessity, decision support: a licensed reviewer decides.",
        "item": items,
        "processNote": [{"number": i, "type": "display", "text": text} for i, text in enumerate(notes, start=1)],
    }
    if not items:
        del response["item"]
    return response


def _item(line: Determination, notes: list[str], use: str) -> dict[str, Any]:
    notes.append(reason_in_words(line, use))
    action = {"url": REVIEW_ACTION, "extension": [
        {"url": REVIEW_ACTION_CODE,
         "valueCodeableConcept": {"coding": [{"system": X12_306, "code": REVIEW_ACTIONS[line.status]}]}}]}
    return {
        "itemSequence": line.sequence,
        "noteNumber": [len(notes)],
        "adjudication": [{"extension": [action],
                          "category": {"coding": [{"system": ADJUDICATION, "code": "submitted"}]}}],
    }


def reason_in_words(line: Determination, use: str) -> str:
    """A line's decision in words: status, deciding sources, documentation, warnings and citations."""
    deciding = [c for c in (*line.recommendations, *line.rules) if c.deciding]
    parts = [f"Line {line.sequence}, {line.code}: {line.status}."]
    if line.status == Status.NO_POLICY:
        parts.append(NO_POLICY)
    if deciding:
        parts.append("Decided by " + "; ".join(f"{c.label} ({c.role}, {c.state})" for c in deciding) + ".")
    missing = [d.label for d in line.documentation if d.state != "met"]
    if missing:
        heading = "Documentation not shown" if use == "claim" else "Documentation to report"
        parts.append(f"{heading}: " + "; ".join(missing) + ".")
    if line.warnings:
        parts.append("Warnings: " + "; ".join(f"{w.kind}: {w.message}" for w in line.warnings))
    if line.citations:
        parts.append("Sources: " + " | ".join(line.citations))
    return " ".join(parts)


def _claim_type(claim_type: str | None) -> dict[str, Any]:
    if claim_type not in CLAIM_TYPES:
        return {"text": claim_type or "not stated on the claim"}
    return {"coding": [{"system": CLAIM_TYPE, "code": claim_type}]}


def _fhir_id(text: str) -> str:
    """``text`` made a valid FHIR id: letters, digits, '-' and '.', at most 57 characters (a suffix follows)."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", text)[:57] or "claim"
