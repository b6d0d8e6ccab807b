"""Reads a review request given as a FHIR R4 Bundle (JSON), exactly as FHIR-PROFILE.md describes.

Each resource type that necessity reads is validated on its own with ``fhir.resources.R4B``, so an
error names the resource (type and id) and the field; other resource types are skipped with a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from reasoner.errors import InputError
from reasoner.ingest import model
from reasoner.ingest.json_text import load_json
from reasoner.vocab import BILLING_SYSTEMS

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
READ_TYPES = ("Patient", "Claim", "Condition", "Observation", "MedicationRequest", "MedicationStatement",
              "ServiceRequest", "QuestionnaireResponse")
BUNDLE_TYPES = ("collection", "transaction", "batch")
PRESENT_CONDITION = ("active", "recurrence", "relapse")
CURRENT_DRUG = ("active", "on-hold", "draft", "intended")  # "intended": a planned MedicationStatement
PLANNED_SERVICE = ("active", "draft")
NOT_A_DIAGNOSIS = ("refuted", "entered-in-error")
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PLACE_OF_SERVICE = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"


def read_bundle(data: bytes, where: str) -> model.Request:
    """Read a FHIR R4 Bundle (JSON bytes) into a request; raise InputError naming ``where`` (the file), the
    resource and the field."""
    bundle = _load_json(data, where)
    resources, notes, rejected = _validated_resources(where, bundle)
    patient = _the_patient(where, resources)
    for resource in resources:
        _check_subject(where, resource, patient)
    claims = []
    for resource in _of_type(resources, "Claim"):
        try:
            claims.append(_claim(where, resource, patient))
        except InputError as exc:  # one bad Claim does not stop the review of the others
            rejected.append(model.RejectedClaim(source=resource.label, error=exc))
    if not claims:
        if rejected:
            raise rejected[0].error
        raise InputError(where, "Bundle", "entry", "no Claim resource: nothing to review")
    return model.Request(
        path=where,
        patient=_patient(patient, notes),
        conditions=tuple(c for r in _of_type(resources, "Condition") for c in _conditions(r)),
        labs=tuple(lab for r in _of_type(resources, "Observation") for lab in _labs(r, notes)),
        drugs=tuple(d for t in ("MedicationRequest", "MedicationStatement") for r in _of_type(resources, t)
                    for d in _drugs(r, notes)),
        services=tuple(s for r in _of_type(resources, "ServiceRequest") for s in _services(r)),
        answers=tuple(a for r in _of_type(resources, "QuestionnaireResponse") for a in _answers(r)),
        claims=tuple(claims),
        notes=tuple(notes + [note for c in claims for note in c.notes]),
        rejected=tuple(rejected),
    )


def _load_json(text: bytes, path: str) -> dict[str, Any]:
    data = load_json(text, path)
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType", "-") if isinstance(data, dict) else type(data).__name__
        raise InputError(str(path), str(kind), "resourceType", "expected a FHIR Bundle")
    if data.get("type") not in BUNDLE_TYPES:
        raise InputError(str(path), "Bundle", "type", f"{data.get('type')!r} is not one of {', '.join(BUNDLE_TYPES)}")
    return data


class _Resource:
    """A validated resource, its label (Type/id) and the keys other resources may refer to it by."""

    def __init__(self, label: str, obj: Any, keys: tuple[str, ...]) -> None:
        self.label, self.obj, self.keys = label, obj, keys


def _validated_resources(where: str, bundle: dict[str, Any]) -> tuple[list[_Resource], list[str],
                                                                      list[model.RejectedClaim]]:
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError(where, "Bundle", "entry", "not a list")
    resources: list[_Resource] = []
    notes: list[str] = []
    rejected: list[model.RejectedClaim] = []
    skipped: dict[str, int] = {}
    for index, entry in enumerate(entries):
        raw = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
            raise InputError(where, f"Bundle.entry[{index}]", "resource.resourceType", "missing")
        kind = raw["resourceType"]
        if kind not in READ_TYPES:
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        label = f"{kind}/{raw.get('id') or f'entry[{index}]'}"
        try:
            _check_codes(where, label, raw, [])
            resources.append(_Resource(label, _validate(where, label, kind, raw), _keys(entry, kind, raw)))
        except InputError as exc:
            if kind != "Claim":
                raise
            rejected.append(model.RejectedClaim(source=label, error=exc))
    notes += [f"ignored {count} {kind} resource(s): not read by necessity" for kind, count in sorted(skipped.items())]
    return resources, notes, rejected


def _check_codes(where: str, label: str, value: Any, path: list[str]) -> None:
    """Refuse a code (``coding[i].code``) or a ``linkId`` holding a character no code has and no IRI may hold
    (a space, a control character, ``<>"{}|^`\\``): valid FHIR strings, but no code of any system."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        step = [*path, f"[{key}]" if isinstance(key, int) else str(key)]
        coded = key == "linkId" or key == "code" and path[-2:-1] == ["coding"]
        if coded and isinstance(child, str) and (bad := _NOT_IN_A_CODE.search(child)):
            field = ".".join(step).replace(".[", "[")
            raise InputError(where, label, field, f"{child!r} holds {bad.group()!r}, a character no code has")
        _check_codes(where, label, child, step)


_NOT_IN_A_CODE = re.compile(r'[\x00-\x20\x7f<>"{}|^`\\]')


def _validate(where: str, label: str, kind: str, raw: dict[str, Any]) -> Any:
    try:
        return get_fhir_model_class(kind).model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in first["loc"]).replace(".[", "[")
        raise InputError(where, label, field or "-", f"invalid FHIR R4: {first['msg']}") from exc


def _keys(entry: dict[str, Any], kind: str, raw: dict[str, Any]) -> tuple[str, ...]:
    keys = [f"{kind}/{raw['id']}"] if raw.get("id") else []
    if isinstance(entry.get("fullUrl"), str):
        keys.append(entry["fullUrl"])
    return tuple(keys)


def _of_type(resources: list[_Resource], kind: str) -> Iterator[_Resource]:
    return (r for r in resources if r.label.startswith(kind + "/"))


def _the_patient(where: str, resources: list[_Resource]) -> _Resource:
    patients = list(_of_type(resources, "Patient"))
    if len(patients) != 1:
        found = ", ".join(p.label for p in patients) or "none"
        raise InputError(where, "Bundle", "entry", f"expected exactly one Patient, found {len(patients)} ({found})")
    return patients[0]


def _check_subject(where: str, resource: _Resource, patient: _Resource) -> None:
    """Refuse a resource whose subject is not the Bundle's Patient, in whatever form it names it."""
    subject = getattr(resource.obj, "subject", None)
    if subject is not None:
        _check_is_the_patient(where, resource.label, "subject", subject, patient)


def _check_is_the_patient(where: str, label: str, field: str, reference: Any, patient: _Resource) -> None:
    """Refuse a Reference (``field`` of resource ``label``) that is not to the Bundle's Patient: a reference
    to another resource, an identifier that is not one of the Patient's, or neither (a display alone)."""
    if reference.reference is not None:
        if reference.reference not in patient.keys:
            raise InputError(where, label, f"{field}.reference",
                             f"{reference.reference!r} is not the Patient of the Bundle")
    elif reference.identifier is not None:
        if not _identifies(reference.identifier, patient.obj.identifier or []):
            given = f"{reference.identifier.system or '-'}|{reference.identifier.value or '-'}"
            raise InputError(where, label, f"{field}.identifier",
                             f"{given!r} is not an identifier of the Patient of the Bundle")
    else:
        raise InputError(where, label, field, "names no patient (no reference and no identifier): give "
                         f"{field}.reference to the Patient of the Bundle")


def _identifies(identifier: Any, identifiers: list[Any]) -> bool:
    """Whether ``identifier`` (system and value) is one of ``identifiers``."""
    return identifier.value is not None and any(
        (identifier.system, identifier.value) == (other.system, other.value) for other in identifiers)


def _patient(resource: _Resource, notes: list[str]) -> model.Patient:
    p = resource.obj
    birth = p.birthDate if isinstance(p.birthDate, date) else None
    if p.birthDate is not None and birth is None:
        notes.append(f"{resource.label} birthDate {p.birthDate!r} is a partial date: the age is unknown")
    return model.Patient(id=resource.label, birth_date=birth, gender=p.gender, source=resource.label)


def _codes(concept: Any, system: str) -> list[Any]:
    return [c for c in (concept.coding or []) if c.system == system and c.code] if concept else []


def _conditions(resource: _Resource) -> Iterator[model.ConditionFact]:
    status = {c.code for c in (resource.obj.clinicalStatus.coding or [])} if resource.obj.clinicalStatus else set()
    verification = {c.code for c in (resource.obj.verificationStatus.coding or [])} \
        if resource.obj.verificationStatus else set()
    if status & set(PRESENT_CONDITION) and not verification & set(NOT_A_DIAGNOSIS):
        for coding in _codes(resource.obj.code, ICD10CM):
            yield model.ConditionFact(code=coding.code, source=f"{resource.label} code")


def _labs(resource: _Resource, notes: list[str]) -> Iterator[model.LabFact]:
    obs = resource.obj
    codings = _codes(obs.code, LOINC)
    if obs.status in ("entered-in-error", "cancelled") or not codings:
        return
    quantity = obs.valueQuantity
    if quantity is not None and quantity.comparator:
        notes.append(f"{resource.label} valueQuantity has comparator {quantity.comparator!r}: the value is not used")
        return
    effective = _instant(obs.effectiveDateTime or (obs.effectivePeriod.start if obs.effectivePeriod else None))
    if effective is None:
        notes.append(f"{resource.label} has no full effective date: it cannot be placed before the date of service "
                     "and is not used")
        return
    for coding in codings:
        yield model.LabFact(
            loinc=coding.code,
            value=Decimal(str(quantity.value)) if quantity and quantity.value is not None else None,
            unit=(quantity.code or quantity.unit) if quantity else None,
            effective=effective,
            display=coding.display,
            source=resource.label,
        )


def _drugs(resource: _Resource, notes: list[str]) -> Iterator[model.DrugFact]:
    med = resource.obj
    if med.status not in CURRENT_DRUG:
        return
    if med.medicationCodeableConcept is None:
        notes.append(f"{resource.label} names its drug by medicationReference, which necessity does not read: "
                     "give medicationCodeableConcept (RxNorm)")
        return
    dosages = getattr(med, "dosageInstruction", None) or getattr(med, "dosage", None) or []
    routes = [c.code for d in dosages for c in _codes(d.route, SNOMED)]
    for coding in _codes(med.medicationCodeableConcept, RXNORM):
        yield model.DrugFact(rxnorm=coding.code, display=coding.display, route=routes[0] if routes else None,
                             status=med.status, source=resource.label)


def _services(resource: _Resource) -> Iterator[model.ServiceFact]:
    if resource.obj.status in PLANNED_SERVICE:
        for coding in _codes(resource.obj.code, SNOMED):
            yield model.ServiceFact(code=coding.code, display=coding.display, status=resource.obj.status,
                                    source=resource.label)


def _answers(resource: _Resource) -> Iterator[model.AnswerFact]:
    if resource.obj.status in ("entered-in-error", "stopped"):
        return
    def walk(items: list[Any]) -> Iterator[model.AnswerFact]:
        for item in items or []:
            for answer in item.answer or []:
                for value in (answer.valueBoolean, answer.valueInteger, answer.valueString):
                    if value is not None:
                        yield model.AnswerFact(link_id=item.linkId, value=value,
                                               source=f"{resource.label} item {item.linkId}")
                yield from walk(answer.item or [])
            yield from walk(item.item or [])

    yield from walk(resource.obj.item or [])


def _claim(where: str, resource: _Resource, patient: _Resource) -> model.Claim:
    claim = resource.obj
    _check_is_the_patient(where, resource.label, "patient", claim.patient, patient)
    reference = claim.patient.reference
    service_date = _day(claim.billablePeriod.start if claim.billablePeriod and claim.billablePeriod.start
                        else claim.created)
    if service_date is None:
        raise InputError(where, resource.label, "billablePeriod.start", "no date of service (nor created)")
    diagnoses = tuple(
        model.ConditionFact(code=c.code, source=f"{resource.label} diagnosis[{i}]")
        for i, d in enumerate(claim.diagnosis or []) for c in _codes(d.diagnosisCodeableConcept, ICD10CM))
    model.check_line_count(len(claim.item or []), where, resource.label, "item")
    lines = tuple(_line(where, resource.label, i, item, service_date) for i, item in enumerate(claim.item or []))
    if not lines:
        raise InputError(where, resource.label, "item", "no claim lines")
    _check_sequences(where, resource.label, lines)
    notes = tuple(f"{line.source}: code {line.code!r} has no code system: no policy can match it"
                  for line in lines if not line.system)
    return model.Claim(id=claim.id or resource.label, use=claim.use, type=_code_of(claim.type, CLAIM_TYPE),
                       service_date=service_date, diagnoses=diagnoses, lines=lines, source=resource.label, notes=notes,
                       created=_day(claim.created), reference=resource.keys[0] if resource.keys else None,
                       patient_reference=reference)


def _check_sequences(where: str, label: str, lines: tuple[model.ClaimLine, ...]) -> None:
    seen: set[int] = set()
    for index, line in enumerate(lines):
        if line.sequence in seen:
            raise InputError(where, label, f"item[{index}].sequence", f"sequence {line.sequence} is used twice")
        seen.add(line.sequence)


def _code_of(concept: Any, system: str) -> str | None:
    codings = [c for c in (concept.coding or []) if c.code] if concept else []
    chosen = next((c for c in codings if c.system == system), codings[0] if codings else None)
    return chosen.code if chosen else None


def _line(where: str, label: str, index: int, item: Any, claim_date: date) -> model.ClaimLine:
    codings = [c for c in (item.productOrService.coding or []) if c.code]
    if not codings:
        raise InputError(where, label, f"item[{index}].productOrService.coding", "no code")
    coding = next((c for c in codings if c.system in BILLING_SYSTEMS), codings[0])
    served = item.servicedDate or (item.servicedPeriod.start if item.servicedPeriod else None)
    quantity = Decimal(str(item.quantity.value)) if item.quantity and item.quantity.value is not None else Decimal(1)
    if quantity.is_signed() or quantity.is_zero():
        raise InputError(where, label, f"item[{index}].quantity.value", f"{quantity} units: must be more than 0")
    return model.ClaimLine(
        sequence=item.sequence,
        system=coding.system or "",
        code=coding.code,
        claimed_as=item.productOrService.text or coding.display,
        quantity=quantity,
        place_of_service=_code_of(item.locationCodeableConcept, PLACE_OF_SERVICE),
        service_date=_day(served) or claim_date,
        source=f"{label} item[{index}]",
    )


def _instant(value: Any) -> datetime | None:
    """A full date or date-time as a naive UTC datetime (a date alone is its midnight); None if partial."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
