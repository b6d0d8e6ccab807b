"""The orders of a hook call as the lines of one review: each order's billing code (CPT or HCPCS, as the
knowledge's code systems read it), its date, its reasons (ICD-10-CM, or a Condition of the record) and
its place of service become a line of a Claim built for the review, beside the record and the orders
themselves. An order with no billing code necessity reads is kept out of the Claim, with the reason."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from reasoner.api.crd.record import Record
from reasoner.ingest import model
from reasoner.ingest.systems import CodeSystems
from reasoner.ingest.units import UnitTable
from reasoner.vocab import HCPCS, RXN, SCT

PLACE_OF_SERVICE = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
REVIEW_CLAIM = "urn:uuid:necessity-crd-orders"

# Where each kind of order names what it orders, and the dates that say when.
CODE_ELEMENTS = {"ServiceRequest": ("code",), "DeviceRequest": ("codeCodeableConcept",),
                 "MedicationRequest": ("medicationCodeableConcept",), "Appointment": ("serviceType", "appointmentType")}
DATE_ELEMENTS = {"ServiceRequest": ("occurrenceDateTime", "occurrencePeriod.start", "authoredOn"),
                 "DeviceRequest": ("occurrenceDateTime", "occurrencePeriod.start", "authoredOn"),
                 "MedicationRequest": ("dispenseRequest.validityPeriod.start", "authoredOn"),
                 "Appointment": ("start",)}
# The system each kind of order is read as a fact of the record in (a planned service, a drug, an ordered
# item); an order coded only otherwise is reviewed by its line alone, not kept as a fact that cannot be read.
FACT_SYSTEMS = {"ServiceRequest": str(SCT), "MedicationRequest": str(RXN), "DeviceRequest": str(HCPCS)}


@dataclass(frozen=True)
class Order:
    """An order or appointment of the hook call, and how it is reviewed."""

    key: str  # Type/id
    resource: dict[str, Any]
    coding: dict[str, Any] | None  # the billing code the line is reviewed with
    why_not: str | None  # why there is no line, when there is none
    day: str
    sequence: int | None = None


def read_orders(bundle: dict[str, Any], chosen: list[str] | None, systems: CodeSystems) -> list[Order]:
    """The orders to decide: every entry of ``bundle``, or only those named in ``chosen`` (order-select)."""
    found, sequence = [], 0
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        key = f"{resource.get('resourceType')}/{resource.get('id')}"
        if chosen is not None and key not in chosen:
            continue
        coding, why = billing_coding(resource, systems)
        if coding is not None:
            sequence += 1
        found.append(Order(key=key, resource=resource, coding=coding, why_not=why, day=_day(resource),
                           sequence=sequence if coding is not None else None))
    return found


def review_bundle(orders: list[Order], record: Record, patient_id: str, user: str | None,
                  systems: CodeSystems) -> dict[str, Any]:
    """A request Bundle for the review: a Claim with a line per order with a billing code, the record, and
    the orders coded in the system their kind is read in (their facts, such as an ordered item's date, are
    read as any request's are)."""
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for order in orders:
        seen.add(order.key)
        if order.coding is None or _read_as_fact(order.resource, systems):
            entries.append({"fullUrl": f"urn:necessity:order:{order.key}", "resource": copy.deepcopy(order.resource)})
    for full_url, resource in record.resources:
        key = f"{resource.get('resourceType')}/{resource.get('id')}"
        if key not in seen:
            seen.add(key)
            entries.append({"fullUrl": full_url, "resource": resource})
    patient = next((e for e in entries if e["resource"].get("resourceType") == "Patient"), None)
    if patient is None:
        patient = {"fullUrl": f"Patient/{patient_id}", "resource": {"resourceType": "Patient", "id": patient_id}}
        entries.append(patient)
    coverage = next((e for e in entries if e["resource"].get("resourceType") == "Coverage"), None)
    claim = _claim(orders, entries, patient["fullUrl"], coverage["fullUrl"] if coverage else None, user)
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": REVIEW_CLAIM, "resource": claim},
                                                                       *entries]}


def with_unavailable(request: model.Request, missing: dict[str, str], day: date, units: UnitTable) -> model.Request:
    """``request`` with a fact that cannot be read for each part of the record that could not be had, so
    that what its absence would decide stays unknown."""
    def why(key: str) -> str:
        return f"the record's {key}: {missing[key]}"
    conditions = [model.ConditionFact(code=None, source="CRD hook", unreadable=why("conditions"))] \
        if "conditions" in missing else []
    drugs = [model.DrugFact(rxnorm=None, display=None, route=None, status="unknown", source="CRD hook",
                            unreadable=why("medications"))] if "medications" in missing else []
    services = [model.ServiceFact(code=None, display=None, status="unknown", source="CRD hook",
                                  unreadable=why("services"))] if "services" in missing else []
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    labs = [model.LabFact(loinc=loinc, value=None, unit_code=None, unit_text=None, effective=moment,
                          effective_date=day, display=None, source="CRD hook", unreadable=why("observations"))
            for loinc in sorted(units.canonical)] if "observations" in missing else []
    notes = tuple(f"not available to this review: {why(key)}" for key in sorted(missing))
    return replace(request, conditions=(*request.conditions, *conditions), drugs=(*request.drugs, *drugs),
                   services=(*request.services, *services), labs=(*request.labs, *labs),
                   notes=(*request.notes, *notes))


def _claim(orders: list[Order], entries: list[dict[str, Any]], patient: str, coverage: str | None,
           user: str | None) -> dict[str, Any]:
    diagnoses: list[dict[str, Any]] = []
    items = [_item(order, diagnoses, entries) for order in orders if order.coding is not None]
    first = min((order.day for order in orders if order.coding is not None), default=_today())
    claim: dict[str, Any] = {
        "resourceType": "Claim", "id": "necessity-crd-orders", "status": "active",
        "type": {"text": "not known when ordered (institutional or professional)"}, "use": "predetermination",
        "patient": {"reference": patient}, "created": _today(), "billablePeriod": {"start": first},
        "provider": {"display": user or "the ordering clinician"}, "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True,
                       "coverage": {"reference": coverage} if coverage else {"display": "no Coverage found"}}],
        "item": items,
    }
    if diagnoses:
        claim["diagnosis"] = diagnoses
    return claim


def _item(order: Order, diagnoses: list[dict[str, Any]], entries: list[dict[str, Any]]) -> dict[str, Any]:
    pointers = []
    for reason in _reasons(order.resource, entries):
        if reason not in [{k: v for k, v in d.items() if k != "sequence"} for d in diagnoses]:
            diagnoses.append({"sequence": len(diagnoses) + 1, **reason})
        pointers.append(next(d["sequence"] for d in diagnoses
                             if {k: v for k, v in d.items() if k != "sequence"} == reason))
    called = next((order.resource[e].get("text") for e in CODE_ELEMENTS[str(order.resource["resourceType"])]
                   if isinstance(order.resource.get(e), dict) and order.resource[e].get("text")), None)
    service = {"coding": [order.coding], **({"text": called} if isinstance(called, str) else {})}
    item: dict[str, Any] = {"sequence": order.sequence, "productOrService": service,
                            "quantity": {"value": _quantity(order.resource)}, "servicedDate": order.day}
    place = [c for c in _codings(order.resource.get("locationCode")) if c.get("system") == PLACE_OF_SERVICE]
    if place:
        item["locationCodeableConcept"] = {"coding": place[:1]}
    if pointers:
        item["diagnosisSequence"] = sorted(set(pointers))
    return item


def _reasons(resource: dict[str, Any], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order's reasons as Claim diagnoses: each reasonCode, and each reasonReference to a Condition."""
    found: list[dict[str, Any]] = []
    for concept in resource.get("reasonCode") or []:
        if isinstance(concept, dict) and concept.get("coding"):
            found.append({"diagnosisCodeableConcept": concept})
    for reference in resource.get("reasonReference") or []:
        target = str((reference or {}).get("reference") or "") if isinstance(reference, dict) else ""
        for entry in entries:
            local = f"{entry['resource'].get('resourceType')}/{entry['resource'].get('id')}"
            if entry["resource"].get("resourceType") == "Condition" and target in (entry["fullUrl"], local):
                found.append({"diagnosisReference": {"reference": entry["fullUrl"]}})
    return found


def _read_as_fact(resource: dict[str, Any], systems: CodeSystems) -> bool:
    wanted = FACT_SYSTEMS.get(str(resource.get("resourceType")))
    elements = CODE_ELEMENTS.get(str(resource.get("resourceType")), ())
    return any(systems.namespace(c.get("system")) == wanted for e in elements for c in _codings(resource.get(e)))


def billing_coding(resource: dict[str, Any], systems: CodeSystems) -> tuple[dict[str, Any] | None, str | None]:
    """The CPT or HCPCS coding an order or appointment names, or None and why there is none."""
    kind = resource.get("resourceType")
    elements = CODE_ELEMENTS.get(str(kind))
    if elements is None:
        return None, f"necessity reads no billing code from a {kind}"
    codings = [c for element in elements for c in _codings(resource.get(element))]
    for coding in codings:
        code = coding.get("code")
        if isinstance(code, str) and systems.billed(coding.get("system"), code).namespace in systems.billing:
            return {"system": coding.get("system"), "code": code}, None
    written = ", ".join(f"{systems.label(c.get('system'))} {c.get('code')}" for c in codings) or "no code"
    return None, f"the {kind} is coded as {written}: no CPT or HCPCS code to review"


def _codings(value: Any) -> list[dict[str, Any]]:
    concepts = value if isinstance(value, list) else [value]
    lists: list[list[Any]] = [concept["coding"] for concept in concepts
                              if isinstance(concept, dict) and isinstance(concept.get("coding"), list)]
    return [c for codings in lists for c in codings if isinstance(c, dict)]


def _day(resource: dict[str, Any]) -> str:
    for path in DATE_ELEMENTS.get(str(resource.get("resourceType")), ()):
        value: Any = resource
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and is_day(value[:10]):
            return value[:10]
    return _today()


def is_day(text: str) -> bool:
    """Whether ``text`` is a date written YYYY-MM-DD."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _quantity(resource: dict[str, Any]) -> float:
    quantity = resource.get("quantityQuantity")  # a ServiceRequest's units; a dispensed amount is not billed units
    value = quantity.get("value") if isinstance(quantity, dict) else None
    if not isinstance(value, int | float) or Decimal(str(value)).is_signed() or value == 0:
        return 1
    return float(value)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()
