"""The Claims of a Bundle, as EHRs and Da Vinci PAS clients send them: the current Claim of an update (the
prior one is context), each line's billed code read in the billing system whose form it has, the date
of service and where it came from, the diagnoses (by code or by reference to a Condition) with the
sequences lines point to, and the lines withdrawn by the submitter, which are listed and not decided.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reasoner.errors import InputError
from reasoner.ingest import model
from reasoner.ingest.fhir.clinical import diagnosis_codes
from reasoner.ingest.fhir.codes import codings
from reasoner.ingest.fhir.entries import Entries, Resource
from reasoner.ingest.systems import CodeSystems
from reasoner.ingest.tables import Tables

CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PLACE_OF_SERVICE = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
CANCELLED = (PAS + "modifierextension-infoCancelled", PAS + "extension-itemCancelled",
             PAS + "modifierextension-itemCancelled")
PAS_TEMP_CODES = "http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASTempCodes"


def current_claims(entries: Entries) -> list[Resource]:
    """The Claims to review: all but those another Claim of the Bundle updates (Claim.related with the
    relationship prior), which the ledger names as context."""
    claims = list(entries.of_type("Claim"))
    prior: dict[int, Resource] = {}
    for claim in claims:
        for related in (claim.raw.get("related") or []) if isinstance(claim.raw.get("related"), list) else []:
            codes = {c.get("code") for c in ((related.get("relationship") or {}).get("coding") or [])
                     if isinstance(c, dict)} if isinstance(related, dict) else set()
            target = entries.resolve(((related.get("claim") or {}).get("reference")), claim) \
                if isinstance(related, dict) and isinstance(related.get("claim"), dict) else None
            if "prior" in codes and target is not None and target is not claim:
                prior[id(target)] = target
                entries.note(target, "ignored", f"the prior Claim that {claim.label} updates (Claim.related prior): "
                             "context, not reviewed")
    return [claim for claim in claims if id(claim) not in prior]


def pointed_conditions(entries: Entries, claims: list[Resource]) -> set[str]:
    """The labels of the Conditions the claims name by Claim.diagnosis.diagnosisReference."""
    found = set()
    for claim in claims:
        for diagnosis in (claim.obj.diagnosis or []) if claim.obj is not None else []:
            reference = diagnosis.diagnosisReference.reference if diagnosis.diagnosisReference else None
            target = entries.resolve(reference, claim)
            if target is not None and target.kind == "Condition":
                found.add(target.label)
    return found


def read_claim(entries: Entries, tables: Tables, resource: Resource,
               conditions: dict[str, list[model.ConditionFact]]) -> model.Claim:
    """One Claim as a claim under review; InputError naming the field when it cannot be reviewed."""
    if resource.problem is not None:
        raise resource.problem
    claim, where, label = resource.obj, entries.where, resource.label
    service_date, date_source = _claim_date(claim)
    if service_date is None:
        raise InputError(where, label, "billablePeriod.start", "no date of service (nor created)")
    model.check_line_count(len(claim.item or []), where, label, "item")
    _check_sequences(where, label, claim.item or [])
    lines, cancelled = [], []
    for index, item in enumerate(claim.item or []):
        withdrawn = _withdrawn(item)
        if withdrawn:
            cancelled.append(_cancelled(where, label, index, item, withdrawn))
        else:
            lines.append(_line(where, tables.systems, label, index, item, service_date, date_source))
    if not lines and not cancelled:
        raise InputError(where, label, "item", "no claim lines")
    if not lines:
        raise InputError(where, label, "item", "every line is withdrawn (infoCancelled): nothing to review")
    reference = claim.patient.reference if claim.patient else None
    notes = tuple(f"{line.source}: code {line.code!r} has no code system: no policy can match it"
                  for line in lines if not line.system)
    return model.Claim(
        id=claim.id or label, use=claim.use, type=_code_of(claim.type, CLAIM_TYPE), service_date=service_date,
        diagnoses=tuple(_diagnoses(entries, tables, resource, conditions)), lines=tuple(lines), source=label,
        notes=notes, created=_day(claim.created), reference=resource.keys[0] if resource.keys else None,
        patient_reference=reference, service_date_source=date_source, cancelled=tuple(cancelled))


def _claim_date(claim: Any) -> tuple[date | None, str]:
    """The claim's date of service and where it came from: billablePeriod.start, the PAS admission dates
    of supportingInfo, the earliest line date, or created."""
    if claim.billablePeriod and claim.billablePeriod.start:
        return _day(claim.billablePeriod.start), "billablePeriod"
    for info in claim.supportingInfo or []:
        if any(c.code == "admissionDates" and c.system in (PAS_TEMP_CODES, None) for c in codings(info.category)):
            start = info.timingPeriod.start if info.timingPeriod else info.timingDate
            if _day(start):
                return _day(start), "supportingInfo.admissionDates"
    served = sorted((day, source) for item in claim.item or [] for day, source in [_item_date(item)] if day)
    if served:
        return served[0]
    return _day(claim.created), "created"


def _item_date(item: Any) -> tuple[date | None, str]:
    if item.servicedDate:
        return _day(item.servicedDate), "item.servicedDate"
    if item.servicedPeriod and item.servicedPeriod.start:
        return _day(item.servicedPeriod.start), "item.servicedPeriod"
    return None, ""


def _withdrawn(item: Any) -> str | None:
    """Why a line is not decided: withdrawn by the submitter (PAS infoCancelled), or a modifier extension
    necessity does not understand (FHIR: it may change the meaning of the line); None otherwise."""
    for extension in (*(item.modifierExtension or []), *(item.extension or [])):
        if extension.url in CANCELLED and extension.valueBoolean:
            return "withdrawn by the submitter (PAS infoCancelled)"
    unknown = [e.url for e in item.modifierExtension or [] if e.url not in CANCELLED]
    return f"a modifier extension necessity does not understand ({unknown[0]})" if unknown else None


def _cancelled(where: str, label: str, index: int, item: Any, why: str) -> model.CancelledLine:
    codes = [c.code for c in codings(item.productOrService)]
    if not codes:
        raise InputError(where, label, f"item[{index}].productOrService.coding", "no code")
    return model.CancelledLine(sequence=item.sequence, code=codes[0], source=f"{label} item[{index}]", reason=why)


def _line(where: str, systems: CodeSystems, label: str, index: int, item: Any, claim_date: date,
          claim_source: str) -> model.ClaimLine:
    found = codings(item.productOrService)
    if not found:
        raise InputError(where, label, f"item[{index}].productOrService.coding", "no code")
    coding = next((c for c in found if c.system in systems.uris), found[0])
    reading = systems.billed(coding.system, coding.code)
    served, source = _item_date(item)
    quantity = Decimal(str(item.quantity.value)) if item.quantity and item.quantity.value is not None else Decimal(1)
    if quantity.is_signed() or quantity.is_zero():
        raise InputError(where, label, f"item[{index}].quantity.value", f"{quantity} units: must be more than 0")
    return model.ClaimLine(
        sequence=item.sequence, system=reading.system or coding.system or "", code=coding.code,
        claimed_as=item.productOrService.text or coding.display, quantity=quantity,
        place_of_service=_code_of(item.locationCodeableConcept, PLACE_OF_SERVICE),
        service_date=served or claim_date, source=f"{label} item[{index}]", namespace=reading.namespace,
        system_warning=reading.warning, pointers=tuple(item.diagnosisSequence or ()),
        service_date_source=source if served else claim_source,
        modifiers=tuple(c.code for concept in item.modifier or [] for c in concept.coding or [] if c.code))


def _diagnoses(entries: Entries, tables: Tables, resource: Resource,
               conditions: dict[str, list[model.ConditionFact]]) -> list[model.ClaimDiagnosis]:
    found = []
    for index, diagnosis in enumerate(resource.obj.diagnosis or []):
        source = f"{resource.label} diagnosis[{index}]"
        if diagnosis.diagnosisCodeableConcept is not None:
            facts = diagnosis_codes(diagnosis.diagnosisCodeableConcept, tables, source)
        else:
            reference = diagnosis.diagnosisReference.reference if diagnosis.diagnosisReference else None
            target = entries.resolve(reference, resource)
            facts = conditions.get(target.label, []) if target is not None else []
            if target is None or target.kind != "Condition":
                facts = [model.ConditionFact(code=None, source=source, unreadable=f"diagnosisReference {reference!r} "
                                             "is not a Condition of the Bundle")]
        found += [model.ClaimDiagnosis(sequence=diagnosis.sequence, condition=fact) for fact in facts]
    return found


def _check_sequences(where: str, label: str, items: list[Any]) -> None:
    seen: set[int] = set()
    for index, item in enumerate(items):
        if item.sequence in seen:
            raise InputError(where, label, f"item[{index}].sequence", f"sequence {item.sequence} is used twice")
        seen.add(item.sequence)


def _code_of(concept: Any, system: str) -> str | None:
    found = codings(concept)
    chosen = next((c for c in found if c.system == system), found[0] if found else None)
    return chosen.code if chosen else None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
