"""The patient's clinical facts in a Bundle: diagnoses (Condition), laboratory results (Observation), drug
orders and statements (MedicationRequest, MedicationStatement, with their Medication), planned
services (ServiceRequest), ordered equipment (DeviceRequest) and documentation answers
(QuestionnaireResponse). What cannot be read is
kept as a fact that cannot be read (so the criteria it bears on stay unknown, never refuted) and the
ledger says why; what does not bear on the review is ignored, and the ledger says why too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from reasoner.hierarchy import Hierarchy
from reasoner.ingest import model
from reasoner.ingest.fhir.codes import codings, described, in_system
from reasoner.ingest.fhir.entries import Entries, Resource
from reasoner.ingest.systems import CodeSystems
from reasoner.ingest.tables import ImplausibleValue, Tables, UnitError, UnitTable
from reasoner.vocab import HCPCS, ICD, LOINC, RXN, SCT

PRESENT_CONDITION = ("active", "recurrence", "relapse")
NOT_A_DIAGNOSIS = ("refuted", "entered-in-error")
CURRENT_DRUG = ("active", "on-hold", "draft", "intended")  # "intended": a planned MedicationStatement
PLANNED_SERVICE = ("active", "draft")
NOT_A_RESULT = ("entered-in-error", "cancelled")
NOT_ANSWERS = ("entered-in-error", "stopped")
ORDER_INTENTS = ("order", "original-order", "reflex-order", "filler-order", "instance-order")


def diagnosis_codes(concept: Any, tables: Tables, source: str, possible: bool = False
                    ) -> list[model.ConditionFact]:
    """The diagnoses a CodeableConcept gives: each ICD-10-CM code (by any of its URIs), else each WHO ICD-10
    code that exists in ICD-10-CM (with a warning), else one diagnosis that cannot be read, saying why."""
    systems = tables.systems
    codes = in_system(concept, systems, str(ICD))
    if codes:
        return [_icd10cm(code, tables.hierarchy, source, possible) for code in codes]
    related = [(c, systems.related(c.system)) for c in codings(concept) if systems.related(c.system)]
    known = [(c.code, found[2]) for c, found in related if found and tables.hierarchy.is_known(c.code)]
    if known:
        return [model.ConditionFact(code=code, source=source, possible=possible,
                                    warning=f"{source}: {label} {code} read as ICD-10-CM {code}")
                for code, label in known]
    return [model.ConditionFact(code=None, source=source, possible=possible,
                                unreadable=f"coded as {described(concept, systems)}, not in ICD-10-CM")]


def _icd10cm(code: str, hierarchy: Hierarchy, source: str, possible: bool) -> model.ConditionFact:
    if hierarchy.is_known(code):
        return model.ConditionFact(code=code, source=source, possible=possible)
    return model.ConditionFact(code=code, source=source, possible=possible,
                               unreadable=f"{code!r} is not a category or code of ICD-10-CM")


def conditions(entries: Entries, tables: Tables, pointed: set[str]) -> list[model.ConditionFact]:
    """Every diagnosis of the Bundle's Conditions. A Condition the claim points to (``pointed``: labels)
    counts as present without a clinical status; another without one is possible: its code is read but
    not whether it is present."""
    found: list[model.ConditionFact] = []
    for resource in entries.of_type("Condition"):
        found += _condition(entries, tables, resource, resource.label in pointed)
    return found


def _condition(entries: Entries, tables: Tables, resource: Resource, pointed: bool) -> list[model.ConditionFact]:
    source = f"{resource.label} code"
    if resource.problem is not None:
        entries.note(resource, "left out", f"{resource.problem.detail}: diagnosis criteria are unknown")
        return [model.ConditionFact(code=None, source=source, unreadable=f"left out ({resource.problem.detail})")]
    obj = resource.obj
    verification = {c.code for c in codings(obj.verificationStatus)}
    status = {c.code for c in codings(obj.clinicalStatus)}
    if verification & set(NOT_A_DIAGNOSIS):
        entries.note(resource, "ignored", f"not a diagnosis: verificationStatus {', '.join(sorted(verification))}")
        return []
    if status and not status & set(PRESENT_CONDITION):
        entries.note(resource, "ignored", f"not present: clinicalStatus {', '.join(sorted(status))}")
        return []
    facts = diagnosis_codes(obj.code, tables, source, possible=not status and not pointed)
    _note_diagnoses(entries, resource, facts, "" if status or pointed else
                    " (no clinicalStatus and not a diagnosis of the claim: whether it is present is unknown)")
    return facts


def _note_diagnoses(entries: Entries, resource: Resource, facts: list[model.ConditionFact], presence: str) -> None:
    unreadable = [f.unreadable for f in facts if f.unreadable]
    if unreadable:
        entries.note(resource, "left out", f"{'; '.join(unreadable)}: diagnosis criteria are unknown")
    else:
        codes = ", ".join(f"{f.code}" for f in facts)
        entries.note(resource, "used", f"diagnosis ICD-10-CM {codes}{presence}" +
                     ("".join(f"; {f.warning.split(': ', 1)[1]}" for f in facts if f.warning)))


def labs(entries: Entries, systems: CodeSystems, units: UnitTable) -> list[model.LabFact]:
    """Every result of an analyte the knowledge reads (``reads``: by LOINC code). A result that cannot be
    read (invalid, no value, a comparator, no full date) is kept without a value, so that it is still the
    latest of its analyte and leaves the analyte unknown rather than letting an older result stand."""
    found: list[model.LabFact] = []
    for resource in entries.of_type("Observation"):
        found += list(_labs(entries, systems, units, resource))
    return found


def _labs(entries: Entries, systems: CodeSystems, units: UnitTable, resource: Resource) -> Iterator[model.LabFact]:
    codes = _raw_loinc(resource, systems) if resource.obj is None else in_system(resource.obj.code, systems, str(LOINC))
    read = [code for code in codes if units.reads(code)]
    if resource.problem is not None:
        unknown = f"LOINC {', '.join(read)} is unknown" if read else "not an analyte the knowledge reads in any case"
        entries.note(resource, "left out", f"{resource.problem.detail}: {unknown}")
        return
    if not read:
        why = "no LOINC code" if not codes else f"LOINC {', '.join(codes)}: not an analyte the knowledge reads"
        entries.note(resource, "ignored", why)
        return
    obs = resource.obj
    if obs.status in NOT_A_RESULT:
        entries.note(resource, "ignored", f"status {obs.status}: not a result")
        return
    when = obs.effectiveDateTime or (obs.effectivePeriod.start if obs.effectivePeriod else None) or obs.effectiveInstant
    effective, day = _instant(when)
    if effective is None or day is None:
        entries.note(resource, "left out", "no full effective date: it cannot be placed before the date of service")
        return
    problem = _value_problem(obs.valueQuantity)
    unit = None if problem else _unit_problem(units, read, obs.valueQuantity)
    if problem or unit:
        entries.note(resource, "left out", f"{problem or unit}: LOINC {', '.join(read)} is unknown as of this result")
    else:
        entries.note(resource, "used", f"LOINC {', '.join(read)} on {day}")
    quantity = obs.valueQuantity
    for code in read:  # a unit that does not convert keeps its value: --strict refuses it when the facts are made
        display = next((c.display for c in codings(obs.code) if c.code == code), None)
        yield model.LabFact(loinc=code, value=None if problem else Decimal(str(quantity.value)),
                            unit_code=quantity.code if quantity and not problem else None,
                            unit_text=quantity.unit if quantity and not problem else None,
                            effective=effective, effective_date=day, display=display, source=resource.label,
                            when=_written(when), unreadable=problem,
                            unit_system=quantity.system if quantity and not problem else None)


def _value_problem(quantity: Any) -> str | None:
    """Why a valueQuantity cannot be read as a result, or None."""
    if quantity is None or quantity.value is None:
        return "no valueQuantity.value"
    if quantity.comparator:
        return f"valueQuantity has comparator {quantity.comparator!r}: the value is a bound, not a result"
    return None


def _unit_problem(units: UnitTable, read: list[str], quantity: Any) -> str | None:
    """Why the unit of a result cannot be converted to its analyte's canonical unit (the lab is then
    unknown, or the request refused with --strict), or None; a value outside what a laboratory reports
    is left to be refused when the facts are made."""
    for code in read:
        try:
            units.normalize(code, Decimal(str(quantity.value)), quantity.code, quantity.unit, system=quantity.system)
        except ImplausibleValue:
            continue
        except UnitError as exc:
            return f"{exc.field}: {exc}"
    return None


def _raw_loinc(resource: Resource, systems: CodeSystems) -> list[str]:
    """The LOINC codes of an Observation that is not valid FHIR, read from its JSON as far as they can be."""
    code = resource.raw.get("code")
    items = code.get("coding") if isinstance(code, dict) else None
    return [c["code"] for c in items or [] if isinstance(c, dict) and isinstance(c.get("code"), str)
            and systems.namespace(c.get("system")) == str(LOINC)]


def _instant(value: Any) -> tuple[datetime | None, date | None]:
    """An instant as naive UTC (for ordering) and its date in the sender's own offset (for comparing with
    the date of service); a date alone is its midnight; (None, None) for a partial date."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value, value.date()
        return value.astimezone(UTC).replace(tzinfo=None), value.date()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), value
    return None, None


def _written(value: Any) -> str:
    """A date or time as the sender wrote it (ISO 8601, its offset kept)."""
    return value.isoformat() if isinstance(value, date) else str(value)


def drugs(entries: Entries, systems: CodeSystems) -> list[model.DrugFact]:
    """Every current or planned drug order or statement, its drug read from medicationCodeableConcept or
    from the Medication it references; a drug that cannot be read is kept as unclassified."""
    found: list[model.DrugFact] = []
    for kind in ("MedicationRequest", "MedicationStatement"):
        for resource in entries.of_type(kind):
            found += _drugs(entries, systems, resource)
    for resource in entries.of_type("Medication"):
        entries.note(resource, "ignored", "read through the orders and statements that reference it")
    return found


def _drugs(entries: Entries, systems: CodeSystems, resource: Resource) -> list[model.DrugFact]:
    if resource.problem is not None:
        entries.note(resource, "left out", f"{resource.problem.detail}: criteria on drugs are unknown")
        return [model.DrugFact(rxnorm=None, display=None, route=None, status="unknown", source=resource.label,
                               unreadable=f"left out ({resource.problem.detail})")]
    med = resource.obj
    if med.status not in CURRENT_DRUG:
        entries.note(resource, "ignored", f"status {med.status}: not a current or planned drug")
        return []
    concept, why = _medication(entries, resource)
    dosages = getattr(med, "dosageInstruction", None) or getattr(med, "dosage", None) or []
    routes = [code for d in dosages for code in in_system(d.route, systems, str(SCT))]
    codes = in_system(concept, systems, str(RXN)) if concept is not None else []
    if not codes:
        unreadable = why or f"coded as {described(concept, systems)}, not RxNorm"
        entries.note(resource, "left out", f"{unreadable}: criteria on drugs are unknown")
        return [model.DrugFact(rxnorm=None, display=None, route=routes[0] if routes else None, status=med.status,
                               source=resource.label, unreadable=unreadable)]
    entries.note(resource, "used", f"RxNorm {', '.join(codes)}, {med.status}")
    return [model.DrugFact(rxnorm=code, display=next((c.display for c in codings(concept) if c.code == code), None),
                           route=routes[0] if routes else None, status=med.status, source=resource.label)
            for code in codes]


def _medication(entries: Entries, resource: Resource) -> tuple[Any, str | None]:
    """The CodeableConcept naming the drug (directly, or the code of the referenced Medication), or the reason
    it cannot be had."""
    med = resource.obj
    if med.medicationCodeableConcept is not None:
        return med.medicationCodeableConcept, None
    reference = med.medicationReference.reference if med.medicationReference else None
    target = entries.resolve(reference, resource)
    if target is None or target.kind != "Medication":
        return None, f"medicationReference {reference!r} is not a Medication of the Bundle"
    if target.problem is not None or target.obj.code is None:
        return None, f"the Medication {target.label} has no readable code"
    return target.obj.code, None


def services(entries: Entries, systems: CodeSystems) -> list[model.ServiceFact]:
    """Every planned service (SNOMED CT); one coded otherwise is kept as a service that cannot be read."""
    found: list[model.ServiceFact] = []
    for resource in entries.of_type("ServiceRequest"):
        if resource.problem is not None:
            entries.note(resource, "left out", f"{resource.problem.detail}: criteria on planned services are unknown")
            found.append(model.ServiceFact(code=None, display=None, status="unknown", source=resource.label,
                                           unreadable=f"left out ({resource.problem.detail})"))
            continue
        obj = resource.obj
        if obj.status not in PLANNED_SERVICE:
            entries.note(resource, "ignored", f"status {obj.status}: not a planned service")
            continue
        codes = in_system(obj.code, systems, str(SCT))
        if codes:
            entries.note(resource, "used", f"planned service SNOMED CT {', '.join(codes)}")
        else:
            entries.note(resource, "left out", f"coded as {described(obj.code, systems)}, not SNOMED CT: criteria on "
                         "planned services are unknown")
        found += [model.ServiceFact(code=c, display=next((x.display for x in codings(obj.code) if x.code == c), None),
                                    status=obj.status, source=resource.label) for c in codes] or \
            [model.ServiceFact(code=None, display=None, status=obj.status, source=resource.label,
                               unreadable=f"coded as {described(obj.code, systems)}, not SNOMED CT")]
    return found


def devices(entries: Entries, systems: CodeSystems) -> list[model.ServiceFact]:
    """Every item a current DeviceRequest orders (``codeCodeableConcept`` in HCPCS, ``status`` active or
    draft, an order ``intent``), as a planned service; one coded otherwise, or by a Device reference, is
    kept as a planned service that cannot be read."""
    found: list[model.ServiceFact] = []
    for resource in entries.of_type("DeviceRequest"):
        found += _device(entries, systems, resource)
    return found


def _device(entries: Entries, systems: CodeSystems, resource: Resource) -> list[model.ServiceFact]:
    unknown = "criteria on ordered equipment are unknown"
    if resource.problem is not None:
        entries.note(resource, "left out", f"{resource.problem.detail}: {unknown}")
        return [model.ServiceFact(code=None, display=None, status="unknown", source=resource.label,
                                  unreadable=f"left out ({resource.problem.detail})", system="HCPCS")]
    obj = resource.obj
    if obj.status not in PLANNED_SERVICE:
        entries.note(resource, "ignored", f"status {obj.status}: not a current order")
        return []
    if obj.intent not in ORDER_INTENTS:
        entries.note(resource, "ignored", f"intent {obj.intent}: a {obj.intent}, not an order")
        return []
    ordered = _written(obj.authoredOn) if obj.authoredOn is not None else None
    concept = obj.codeCodeableConcept
    codes = in_system(concept, systems, str(HCPCS)) if concept is not None else []
    if not codes:
        why = f"coded as {described(concept, systems)}, not HCPCS" if concept is not None else \
            "the item is a Device reference (codeReference), not an HCPCS code"
        entries.note(resource, "left out", f"{why}: {unknown}")
        return [model.ServiceFact(code=None, display=None, status=obj.status, source=resource.label, unreadable=why,
                                  system="HCPCS", ordered_on=ordered)]
    authored = f", authored {ordered}" if ordered else ""
    entries.note(resource, "used", f"ordered item HCPCS {', '.join(codes)}{authored}")
    return [model.ServiceFact(code=c, display=next((x.display for x in codings(concept) if x.code == c), None),
                              status=obj.status, source=resource.label, system="HCPCS", ordered_on=ordered)
            for c in codes]


def answers(entries: Entries) -> list[model.AnswerFact]:
    """Every documentation answer: valueBoolean, valueInteger, valueDecimal, valueString, valueCoding,
    valueQuantity (its value), valueDate and valueDateTime, with nested items."""
    found: list[model.AnswerFact] = []
    for resource in entries.of_type("QuestionnaireResponse"):
        if resource.problem is not None:
            entries.note(resource, "left out", f"{resource.problem.detail}: its answers are unknown")
            continue
        if resource.obj.status in NOT_ANSWERS:
            entries.note(resource, "ignored", f"status {resource.obj.status}: not answers")
            continue
        read = list(_walk(resource.obj.item or [], resource.label))
        entries.note(resource, "used", f"{len(read)} answer(s)")
        found += read
    return found


def _walk(items: list[Any], label: str) -> Iterator[model.AnswerFact]:
    for item in items:
        for answer in item.answer or []:
            value = _answer_value(answer)
            if value is not None:
                yield model.AnswerFact(link_id=item.linkId, value=value, source=f"{label} item {item.linkId}")
            yield from _walk(answer.item or [], label)
        yield from _walk(item.item or [], label)


def _answer_value(answer: Any) -> Any:
    """The value of an answer, as Python: a bool, int, Decimal, str, (system, code) for a coding, or None."""
    for value in (answer.valueBoolean, answer.valueInteger, answer.valueString):
        if value is not None:
            return value
    if answer.valueDecimal is not None:
        return Decimal(str(answer.valueDecimal))
    if answer.valueQuantity is not None and answer.valueQuantity.value is not None:
        return Decimal(str(answer.valueQuantity.value))
    if answer.valueCoding is not None and answer.valueCoding.code:
        return (answer.valueCoding.system or "", answer.valueCoding.code)
    for day in (answer.valueDate, answer.valueDateTime):
        if day is not None:
            return day.isoformat() if hasattr(day, "isoformat") else str(day)
    return None
