"""Reads a review request given as a FHIR R4 Bundle (JSON), as EHRs and Da Vinci PAS clients send it.

The Bundle is a request (a PAS inquiry or response is refused as such); each resource necessity reads is
validated on its own with ``fhir.resources`` (R4B); the one Patient may be an entry or contained in
the Claim; every other resource must be about it, whatever form its reference takes. A Claim or
Patient that breaks FHIR R4 is an error naming the resource and the field; another resource that
breaks it is left out, and what rests on it stays unknown. Every entry ends in the ledger: used,
ignored or left out, with the reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from reasoner.errors import InputError
from reasoner.ingest import model
from reasoner.ingest.fhir import claims, clinical
from reasoner.ingest.fhir.entries import Entries, Resource, read_entries
from reasoner.ingest.json_text import load_json
from reasoner.ingest.tables import Tables

BUNDLE_TYPES = ("collection", "transaction", "batch")
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
NOT_REQUESTS = {PAS + "profile-pas-inquiry-request-bundle": "this is a PAS inquiry, not a request: it asks for the "
                "decision on a request already submitted (Claim/$inquire), which necessity cannot answer from a file",
                PAS + "profile-pas-response-bundle": "this is a PAS response, not a request",
                PAS + "profile-pas-inquiry-response-bundle": "this is a PAS inquiry response, not a request"}
INQUIRY_CLAIM = PAS + "profile-claim-inquiry"


def read_bundle(data: bytes, where: str, tables: Tables) -> model.Request:
    """Read a FHIR R4 Bundle (JSON bytes) into a request; raise InputError naming ``where`` (the file), the
    resource and the field."""
    bundle = _request_bundle(data, where)
    entries = read_entries(where, bundle)
    _refuse_what_is_not_a_request(entries, bundle)
    patient = _the_patient(entries)
    for resource in entries.resources:
        _check_subject(entries, resource, patient)
    reviewed = claims.current_claims(entries)
    diagnoses = clinical.conditions(entries, tables, claims.pointed_conditions(entries, reviewed))
    by_resource: dict[str, list[model.ConditionFact]] = {}
    for fact in diagnoses:
        by_resource.setdefault(fact.source.removesuffix(" code"), []).append(fact)
    read, rejected = _claims(entries, tables, reviewed, patient, by_resource)
    person, notes = _patient(entries, patient)
    labs = clinical.labs(entries, tables.systems, tables.units)
    drugs = clinical.drugs(entries, tables.systems)
    services = clinical.services(entries, tables.systems) + clinical.devices(entries, tables.systems)
    answers = clinical.answers(entries)
    ledger = entries.accounted()
    return model.Request(
        path=where, patient=person, conditions=tuple(diagnoses), labs=tuple(labs), drugs=tuple(drugs),
        services=tuple(services), answers=tuple(answers), claims=tuple(read),
        notes=(summary(ledger), *notes, *_invalid(entries), *(note for c in read for note in c.notes)),
        rejected=tuple(rejected),
        ledger=ledger)


def _invalid(entries: Entries) -> list[str]:
    """A note for each resource left out because it is not valid FHIR R4 (a Claim so is named apart)."""
    return [f"{r.label}: left out, not valid FHIR R4 ({r.problem.detail}); what rests on it is unknown"
            for r in entries.resources if r.problem is not None and r.kind != "Claim"]


def summary(ledger: tuple[model.LedgerEntry, ...]) -> str:
    """The ledger in one line: "read 5 of 9 entries; ignored 3 (2 Organization, 1 Coverage); left out 1 (...)"."""
    used = [e for e in ledger if e.use == "used"]
    parts = [f"read {len(used)} of {len(ledger)} entries"]
    for use in ("ignored", "left out"):
        chosen = [e for e in ledger if e.use == use]
        if chosen:
            kinds: dict[str, int] = {}
            for e in chosen:
                kinds[e.resource.split("/")[0]] = kinds.get(e.resource.split("/")[0], 0) + 1
            parts.append(f"{use} {len(chosen)} ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
    return "; ".join(parts) + " (each entry and why: the ingest list of the JSON output)"


def _request_bundle(data: bytes, where: str) -> dict[str, Any]:
    bundle = load_json(data, where)
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        kind = bundle.get("resourceType", "-") if isinstance(bundle, dict) else type(bundle).__name__
        raise InputError(where, str(kind), "resourceType", "expected a FHIR Bundle")
    if bundle.get("type") not in BUNDLE_TYPES:
        raise InputError(where, "Bundle", "type", f"{bundle.get('type')!r} is not one of {', '.join(BUNDLE_TYPES)}")
    return bundle


def _refuse_what_is_not_a_request(entries: Entries, bundle: dict[str, Any]) -> None:
    """Refuse a PAS inquiry or response Bundle (by its profile, an inquiry Claim, or a ClaimResponse first)."""
    meta = bundle.get("meta")
    for profile in (meta.get("profile") if isinstance(meta, dict) else None) or []:
        if profile in NOT_REQUESTS:
            raise InputError(entries.where, "Bundle", "meta.profile", NOT_REQUESTS[profile])
    for claim in entries.of_type("Claim"):
        if INQUIRY_CLAIM in ((claim.raw.get("meta") or {}).get("profile") or []):
            raise InputError(entries.where, claim.label, "meta.profile", NOT_REQUESTS[PAS + "profile-pas-inquiry-"
                                                                                        "request-bundle"])
    first = entries.resources[0] if entries.resources else None
    if first is not None and first.kind == "ClaimResponse":
        raise InputError(entries.where, "Bundle", "entry[0]", "a ClaimResponse comes first: this is a PAS response, "
                         "not a request")


def _the_patient(entries: Entries) -> Resource:
    """The one Patient: an entry of the Bundle, or contained in the Claim that names it."""
    patients = list(entries.of_type("Patient"))
    if not patients:
        patients = [r for claim in entries.of_type("Claim") for r in entries.resources
                    if r.kind == "Patient" and r.container is claim
                    and f"#{r.raw.get('id')}" == ((claim.raw.get("patient") or {}).get("reference"))]
    if len(patients) != 1:
        found = ", ".join(p.label for p in patients) or "none"
        raise InputError(entries.where, "Bundle", "entry", f"expected exactly one Patient, found {len(patients)} "
                         f"({found})")
    patient = patients[0]
    if patient.problem is not None:
        raise patient.problem
    if patient.container is not None:
        patient.keys = (f"Patient/{patient.raw.get('id')}",)
    return patient


def _check_subject(entries: Entries, resource: Resource, patient: Resource) -> None:
    """Refuse a resource whose subject is not the Bundle's Patient, in whatever form it names it."""
    subject = getattr(resource.obj, "subject", None) if resource.obj is not None else None
    if subject is not None:
        check_is_the_patient(entries, resource, "subject", subject, patient)


def check_is_the_patient(entries: Entries, resource: Resource, field: str, reference: Any, patient: Resource) -> None:
    """Refuse a Reference (``field`` of ``resource``) that is not to the Bundle's Patient: a reference to
    another resource, an identifier that is not one of the Patient's, or neither (a display alone)."""
    if reference.reference is not None:
        target = entries.resolve(reference.reference, resource)
        if target is not patient and reference.reference not in patient.keys:
            raise InputError(entries.where, resource.label, f"{field}.reference",
                             f"{reference.reference!r} is not the Patient of the Bundle")
    elif reference.identifier is not None:
        if not _identifies(reference.identifier, patient.obj.identifier or []):
            given = f"{reference.identifier.system or '-'}|{reference.identifier.value or '-'}"
            raise InputError(entries.where, resource.label, f"{field}.identifier",
                             f"{given!r} is not an identifier of the Patient of the Bundle")
    else:
        raise InputError(entries.where, resource.label, field, "names no patient (no reference and no identifier): "
                         f"give {field}.reference to the Patient of the Bundle")


def _identifies(identifier: Any, identifiers: list[Any]) -> bool:
    """Whether ``identifier`` (system and value) is one of ``identifiers``."""
    return identifier.value is not None and any(
        (identifier.system, identifier.value) == (other.system, other.value) for other in identifiers)


def _claims(entries: Entries, tables: Tables, reviewed: list[Resource], patient: Resource,
            conditions: dict[str, list[model.ConditionFact]]) -> tuple[list[model.Claim], list[model.RejectedClaim]]:
    """Each Claim reviewed, or set aside with its error (one bad Claim does not stop the others)."""
    read, rejected = [], []
    for resource in reviewed:
        try:
            if resource.obj is not None:
                check_is_the_patient(entries, resource, "patient", resource.obj.patient, patient)
            claim = claims.read_claim(entries, tables, resource, conditions)
        except InputError as exc:
            rejected.append(model.RejectedClaim(source=resource.label, error=exc))
            entries.note(resource, "left out", f"cannot be reviewed: {exc.detail}")
            continue
        entries.note(resource, "used", f"reviewed: {len(claim.lines)} line(s)" +
                     (f", {len(claim.cancelled)} not decided" if claim.cancelled else ""))
        read.append(claim)
    if not read:
        if rejected:
            raise rejected[0].error
        raise InputError(entries.where, "Bundle", "entry", "no Claim resource: nothing to review")
    return read, rejected


def _patient(entries: Entries, resource: Resource) -> tuple[model.Patient, list[str]]:
    """The Patient, and the note of a partial birth date (the age is then unknown)."""
    p = resource.obj
    birth = p.birthDate if isinstance(p.birthDate, date) and not isinstance(p.birthDate, datetime) else None
    partial = [] if birth or p.birthDate is None else \
        [f"{resource.label} birthDate {str(p.birthDate)!r} is a partial date: the age is unknown"]
    entries.note(resource, "used", "the patient" + ("; " + partial[0].split(" ", 1)[1] if partial else ""))
    return model.Patient(id=resource.label, birth_date=birth, gender=p.gender, source=resource.label), partial
