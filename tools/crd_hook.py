"""Make a CDS Hooks order-sign call from a necessity request Bundle: each claim line becomes a draft
ServiceRequest coded with the line's billing code, date, place of service, units and the claim's
diagnoses as reasons; the rest of the request is the prefetch (patient, conditions, observations,
medications, services, documentation answers) with a Coverage of the patient.

    python tools/crd_hook.py examples/seed-aml-port.json > examples/crd/seed-order-sign.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PREFETCH_KINDS = {"conditions": "Condition", "observations": "Observation", "medications": "MedicationRequest",
                  "services": "ServiceRequest", "responses": "QuestionnaireResponse"}


def order_sign(bundle: dict[str, Any], name: str) -> dict[str, Any]:
    """The order-sign call of ``bundle`` (a request Bundle with one Claim), named ``name``."""
    resources = [e["resource"] for e in bundle["entry"]]
    claim = next(r for r in resources if r["resourceType"] == "Claim")
    patient_entry = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient = dict(patient_entry["resource"])
    reasons = [d["diagnosisCodeableConcept"] for d in claim.get("diagnosis", []) if "diagnosisCodeableConcept" in d]
    orders = [_order(item, patient["id"], reasons, claim) for item in claim["item"]]
    coverage = {"resourceType": "Coverage", "id": f"{name}-coverage", "status": "active",
                "beneficiary": {"reference": f"Patient/{patient['id']}"},
                "payor": [{"display": "Example Health Plan"}]}
    prefetch: dict[str, Any] = {"patient": patient, "coverage": _searchset([coverage])}
    for key, kind in PREFETCH_KINDS.items():
        found = [r for r in resources if r["resourceType"] == kind]
        prefetch[key] = _searchset([_local(r, patient_entry["fullUrl"], patient["id"]) for r in found])
    return {"hook": "order-sign", "hookInstance": f"{name}-order-sign",
            "context": {"userId": "Practitioner/example", "patientId": patient["id"],
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": order} for order in orders]}},
            "prefetch": prefetch}


def _order(item: dict[str, Any], patient: str, reasons: list[dict[str, Any]], claim: dict[str, Any]) -> dict[str, Any]:
    order: dict[str, Any] = {
        "resourceType": "ServiceRequest", "id": f"order-{item['sequence']}", "status": "draft",
        "intent": "original-order", "code": {"coding": item["productOrService"]["coding"],
                                             "text": item["productOrService"].get("text")},
        "subject": {"reference": f"Patient/{patient}"},
        "occurrenceDateTime": item.get("servicedDate") or claim["billablePeriod"]["start"],
        "authoredOn": claim.get("created"), "reasonCode": reasons,
        "quantityQuantity": {"value": item.get("quantity", {}).get("value", 1)},
    }
    if "locationCodeableConcept" in item:
        order["locationCode"] = [item["locationCodeableConcept"]]
    return order


def _local(resource: dict[str, Any], full_url: str, patient: str) -> dict[str, Any]:
    """The resource as the EHR's server holds it: its patient referenced as Patient/id."""
    return dict(json.loads(json.dumps(resource).replace(json.dumps(full_url), json.dumps(f"Patient/{patient}"))))


def _searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"https://ehr.example/fhir/{r['resourceType']}/{r['id']}", "resource": r}
                      for r in resources]}


def main() -> None:
    """Print the order-sign call of the request file named on the command line."""
    path = Path(sys.argv[1])
    print(json.dumps(order_sign(json.loads(path.read_text()), path.stem), indent=2))


if __name__ == "__main__":
    main()
