"""The CDS services necessity offers (``GET /cds-services``): a service per hook, each with the prefetch
templates of the record a review reads and the CRD configuration options it honours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONFIGURATION_OPTIONS = "davinci-crd.configuration-options"
CONFIGURATION = "davinci-crd.configuration"
CARD_TYPES = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"

# The record a review reads, by prefetch key: CRD's suggested templates (CRD 2.0.1, "Prefetch").
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "coverage": "Coverage?patient={{context.patientId}}&status=active",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}&category=laboratory,vital-signs",
    "medications": "MedicationRequest?patient={{context.patientId}}",
    "services": "ServiceRequest?patient={{context.patientId}}",
    "responses": "QuestionnaireResponse?patient={{context.patientId}}&status=completed",
}

# The configuration a client may send (CRD-115, 116): one boolean per card type returned.
OPTIONS = (
    {"code": "coverage-info", "type": "boolean", "name": "Coverage cards",
     "description": "A card per order saying whether the criteria of the payer's policy are met, with the "
                    "cited reason. False: no such card (the coverage information system action is still sent).",
     "default": True},
)


@dataclass(frozen=True)
class Service:
    """A CDS service: its id, its hook and the context key that holds what it decides."""

    id: str
    hook: str
    title: str
    orders: str  # the context key of the Bundle of orders or appointments
    what: str
    secondary: bool = False  # CRD's secondary hooks: coverage information asks for no documentation

    def discovery(self) -> dict[str, Any]:
        """The service as CDS Hooks discovery describes it."""
        return {"hook": self.hook, "id": self.id, "title": self.title,
                "description": f"Coverage requirements for {self.what}: whether the criteria of the payer's policy "
                               "are met on the record, prior authorization, the documentation to gather and its "
                               "questionnaire, each with the cited reason. Decision support: a licensed reviewer "
                               "decides.",
                "prefetch": dict(PREFETCH), "usageRequirements": "A Coverage of the patient must be found (prefetch "
                "'coverage' or the client's FHIR server) for coverage information to be returned.",
                "extension": {CONFIGURATION_OPTIONS: [dict(option) for option in OPTIONS]}}


SERVICES = {service.id: service for service in (
    Service("necessity-order-sign", "order-sign", "necessity: coverage requirements when orders are signed",
            "draftOrders", "the orders being signed"),
    Service("necessity-order-select", "order-select", "necessity: coverage requirements when orders are chosen",
            "draftOrders", "the orders selected", secondary=True),
    Service("necessity-appointment-book", "appointment-book",
            "necessity: coverage requirements when appointments are booked", "appointments",
            "the appointments being booked"),
)}


def discovery() -> dict[str, Any]:
    """The CDS Hooks discovery response."""
    return {"services": [service.discovery() for service in SERVICES.values()]}


def configured(request: dict[str, Any]) -> dict[str, bool]:
    """The options in force for a hook call: each option's default, overridden by a boolean the client sent
    under ``extension.davinci-crd.configuration``; anything else is ignored (CRD-117, 129, 131)."""
    sent = (request.get("extension") or {}).get(CONFIGURATION) if isinstance(request.get("extension"), dict) else None
    sent = sent if isinstance(sent, dict) else {}
    return {str(o["code"]): sent[o["code"]] if isinstance(sent.get(o["code"]), bool) else bool(o["default"])
            for o in OPTIONS}
