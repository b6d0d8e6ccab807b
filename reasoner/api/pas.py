"""Da Vinci PAS 2.2.1 for the payer: ``Claim/$submit`` (a PAS request Bundle in, the PAS response Bundle
out, ClaimResponse first) and ``Claim/$inquire`` (the stored current decision for the Claim the inquiry
identifies). The decision is necessity's review of the request; this module only reads the PAS frame
(the first entry, the identifiers, the references) and writes the PAS response around
``reasoner.render.fhir.claim_response``."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reasoner.api.records import Decision
from reasoner.engines import Engine
from reasoner.errors import InputError
from reasoner.ingest import parse_request
from reasoner.knowledge import Knowledge
from reasoner.pipeline import review_request
from reasoner.render.fhir import REVIEW_ACTION, REVIEW_ACTIONS, claim_response, validated
from reasoner.report import patient_summary
from reasoner.results import ReviewReport, Status

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
RESPONSE_BUNDLE = PAS + "profile-pas-response-bundle"
CLAIM_RESPONSE = PAS + "profile-claimresponse"
SERVICE_LINE = PAS + "extension-serviceLineNumber"
NPI = "http://hl7.org/fhir/sid/us-npi"
IDENTIFIERS = "urn:necessity:pas"


class NotConformant(InputError):
    """A request that is FHIR but not what the Da Vinci guide asks (HTTP 422): names the resource and the field."""


@dataclass(frozen=True)
class Submitted:
    """A $submit's answer: the PAS response Bundle, the decision to store, and the review with its patient
    summary (what the reviewer's workbench shows)."""

    bundle: dict[str, Any]
    decision: Decision
    report: ReviewReport


def submit(body: bytes, knowledge: Knowledge, engine: Engine) -> Submitted:
    """Decide the PAS request Bundle ``body`` and build its PAS response Bundle. Raise InputError (400) when
    the Bundle cannot be read, NotConformant (422) when it is not a PAS request."""
    started = time.perf_counter()
    bundle = _bundle(body, "Claim/$submit")
    claim = _first_claim(bundle, "Claim/$submit")
    _claim_identifier(claim, "Claim/$submit")
    if claim.get("use") != "preauthorization":
        raise NotConformant("Claim/$submit", _label(claim), "Claim.use",
                       f"{claim.get('use')!r}: a PAS request is a preauthorization")
    request = parse_request(body, "Claim/$submit", "json", knowledge)
    review = review_request(request, knowledge, engine)
    reviewed = review.claims[0]
    response_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat(timespec="seconds")
    response = claim_response(review, reviewed)
    _frame(response, claim, response_id, now, _reference(bundle, claim))
    pended = [line for line in reviewed.determinations if REVIEW_ACTIONS[line.status] == "A4"]
    requests = [_documentation_request(line, claim, response_id) for line in pended
                if line.status == Status.NEEDS_INFO and _deciding_unknowns(line)]
    if requests:
        response["communicationRequest"] = [{"reference": f"urn:uuid:{r['id']}"} for r in requests]
    entries = [{"fullUrl": f"urn:uuid:{response_id}", "resource": response}]
    entries += [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in requests]
    entries += _echoed(bundle, claim)
    out = validated({"resourceType": "Bundle", "id": str(uuid.uuid4()), "meta": {"profile": [RESPONSE_BUNDLE]},
                     "identifier": {"system": IDENTIFIERS, "value": response_id}, "type": "collection",
                     "timestamp": now, "entry": entries})
    actions = tuple(REVIEW_ACTIONS[line.status] for line in reviewed.determinations)
    decision = Decision(response_id=response_id, claim_identifier=_claim_identifier(claim, "Claim/$submit"),
                        patient_identifier=_patient_identifier(bundle, claim), patient_reference=_patient(claim),
                        provider_identifier=_provider_identifier(bundle, claim), created=now,
                        review_actions=actions, decision_ms=(time.perf_counter() - started) * 1000,
                        response_bundle=out)
    report = ReviewReport(review=review, summary=patient_summary(
        request, tuple(c for c in request.claims if c.id == reviewed.claim_id) or request.claims[:1], knowledge))
    return Submitted(bundle=out, decision=decision, report=report)


def inquiry_keys(body: bytes) -> tuple[tuple[str, str], tuple[str, str], tuple[str, str]]:
    """The Claim identifier, patient member id and provider identifier of a PAS inquiry Bundle (PAS
    spec-53: the match needs the member id and the provider's identifier)."""
    bundle = _bundle(body, "Claim/$inquire")
    claim = _first_claim(bundle, "Claim/$inquire")
    keys = (_claim_identifier(claim, "Claim/$inquire"), _patient_identifier(bundle, claim),
            _provider_identifier(bundle, claim))
    for (_, value), field in zip(keys[1:], ("Claim.patient", "Claim.provider"), strict=True):
        if not value:
            raise NotConformant("Claim/$inquire", _label(claim), field,
                           "the referenced resource has no identifier: an inquiry matches on the patient's member "
                           "id and the provider's identifier")
    return keys


def inquiry_answer(decisions: list[Decision]) -> dict[str, Any]:
    """The $inquire output: a Parameters with the current (newest) matching response Bundle, or none."""
    parameters = [{"name": "return", "resource": d.response_bundle} for d in decisions[:1]]
    return {"resourceType": "Parameters", "parameter": parameters} if parameters else \
        {"resourceType": "Parameters"}


def _bundle(body: bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(where, "-", "-", f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise InputError(where, str(kind), "resourceType", "expected a Bundle (PAS: the request Bundle itself, "
                         "or a Parameters whose 'resource' is that Bundle)") if kind != "Parameters" \
            else InputError(where, "Parameters", "parameter", "send the Bundle itself")
    if data.get("type") != "collection":
        raise NotConformant(where, "Bundle", "Bundle.type",
                            f"{data.get('type')!r}: a PAS request Bundle is a collection")
    _refuse_repeated_entries(data, where)
    return data


def _refuse_repeated_entries(bundle: dict[str, Any], where: str) -> None:
    """PAS spec-14: each resource instance at most once (by fullUrl, and by type and id)."""
    seen: dict[str, int] = {}
    for number, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        keys = [str(entry["fullUrl"])] if isinstance(entry, dict) and entry.get("fullUrl") else []
        if isinstance(resource, dict) and resource.get("id"):
            keys.append(f"{resource.get('resourceType')}/{resource['id']}")
        for key in keys:
            if key in seen:
                raise NotConformant(where, "Bundle", f"Bundle.entry[{number}]",
                               f"{key} is also entry {seen[key]}: each resource appears at most once (PAS)")
            seen[key] = number


def _first_claim(bundle: dict[str, Any], where: str) -> dict[str, Any]:
    entries = bundle.get("entry") or []
    first = entries[0].get("resource", {}) if entries and isinstance(entries[0], dict) else {}
    if not isinstance(first, dict) or first.get("resourceType") != "Claim":
        raise NotConformant(where, "Bundle", "Bundle.entry[0].resource",
                       f"{first.get('resourceType') if isinstance(first, dict) else first!r}: "
                       "the first entry of a PAS request Bundle is its Claim")
    return first


def _claim_identifier(claim: dict[str, Any], where: str) -> tuple[str, str]:
    for identifier in claim.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("value"):
            return str(identifier.get("system") or ""), str(identifier["value"])
    raise NotConformant(where, _label(claim), "Claim.identifier",
                   "missing: a PAS Claim carries the submitter's identifier, by which $inquire finds the decision")


def _label(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id', '?')}"


def _patient(claim: dict[str, Any]) -> str:
    return str((claim.get("patient") or {}).get("reference") or "")


def _resolve(bundle: dict[str, Any], reference: str) -> dict[str, Any] | None:
    """The entry ``reference`` points to in the Bundle: by fullUrl, or by ``Type/id``."""
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") or {}
        full = entry.get("fullUrl") or ""
        local = f"{resource.get('resourceType')}/{resource.get('id')}"
        if reference and reference in (full, local) or (full.endswith("/" + reference) and "/" in reference):
            return entry
    return None


def _identifier_of(bundle: dict[str, Any], reference: dict[str, Any] | None, prefer: str = "") -> tuple[str, str]:
    reference = reference or {}
    entry = _resolve(bundle, str(reference.get("reference") or ""))
    identifiers = list((entry or {}).get("resource", {}).get("identifier") or [])
    if isinstance(reference.get("identifier"), dict):
        identifiers.insert(0, reference["identifier"])
    ranked = sorted((i for i in identifiers if isinstance(i, dict) and i.get("value")),
                    key=lambda i: i.get("system") != prefer)
    return (str(ranked[0].get("system") or ""), str(ranked[0]["value"])) if ranked else ("", "")


def _patient_identifier(bundle: dict[str, Any], claim: dict[str, Any]) -> tuple[str, str]:
    return _identifier_of(bundle, claim.get("patient"))


def _provider_identifier(bundle: dict[str, Any], claim: dict[str, Any]) -> tuple[str, str]:
    return _identifier_of(bundle, claim.get("provider"), prefer=NPI)


def _reference(bundle: dict[str, Any], claim: dict[str, Any]) -> str:
    return str((bundle.get("entry") or [{}])[0].get("fullUrl") or f"Claim/{claim.get('id')}")


def _frame(response: dict[str, Any], claim: dict[str, Any], response_id: str, now: str, claim_url: str) -> None:
    """The PAS frame of the ClaimResponse: the Claim's identifier, patient, insurer and provider echoed,
    created now, a review number on each item."""
    response.update({"id": response_id, "meta": {"profile": [CLAIM_RESPONSE]},
                     "identifier": [i for i in claim.get("identifier") or [] if isinstance(i, dict)],
                     "created": now, "request": {"reference": claim_url}, "use": "preauthorization"})
    for key, source in (("patient", "patient"), ("insurer", "insurer"), ("requestor", "provider")):
        if isinstance(claim.get(source), dict):
            response[key] = claim[source]
    for item in response.get("item", []):
        for extension in item["adjudication"][0]["extension"]:
            if extension["url"] == REVIEW_ACTION:
                extension["extension"].insert(0, {"url": "number",
                                                  "valueString": f"{response_id}-{item['itemSequence']}"})


def _documentation_request(line: Any, claim: dict[str, Any], response_id: str) -> dict[str, Any]:
    """A PAS CommunicationRequest for a pended line: the documentation that would decide it."""
    request: dict[str, Any] = {
        "resourceType": "CommunicationRequest", "id": str(uuid.uuid4()),
        "meta": {"profile": [PAS + "profile-communicationrequest"]},
        "extension": [{"url": SERVICE_LINE, "valuePositiveInt": line.sequence}],
        "identifier": [{"system": IDENTIFIERS, "value": f"{response_id}-{line.sequence}-documentation"}],
        "status": "active", "subject": claim.get("patient") or {"display": "the patient of the request"},
        "payload": [{"contentString": f"Line {line.sequence}, {line.code}: {what}"}
                    for what in _deciding_unknowns(line)],
    }
    for key, source in (("requester", "insurer"), ("recipient", "provider")):
        if isinstance(claim.get(source), dict):
            request[key] = [claim[source]] if key == "recipient" else claim[source]
    return request


def _deciding_unknowns(line: Any) -> list[str]:
    """What would decide a pended line: its documentation not shown, then its criteria that are unknown."""
    documentation = [f"documentation: {d.label}" for d in line.documentation if d.state != "met"]
    criteria = [f"a fact that decides: {c.label}" for c in line.criteria if c.state == "unknown" and not c.exception]
    return documentation + list(dict.fromkeys(criteria))


def _echoed(bundle: dict[str, Any], claim: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's Patient, insurer and requestor entries, with their own fullUrls (PAS spec-33)."""
    echoed: list[dict[str, Any]] = []
    for source in ("patient", "insurer", "provider"):
        entry = _resolve(bundle, str((claim.get(source) or {}).get("reference") or ""))
        if entry and entry.get("fullUrl") and entry not in echoed:
            echoed.append({"fullUrl": entry["fullUrl"], "resource": entry["resource"]})
    return echoed
