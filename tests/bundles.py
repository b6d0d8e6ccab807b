"""Builds small FHIR R4 review-request Bundles for tests, from a few keyword arguments.

Defaults make a valid request: a 58-year-old patient and one claim with the given lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SCT = "http://snomed.info/sct"
LABS = {"wbc": "6690-2", "hgb": "718-7", "plt": "777-3", "anc": "751-8", "pt": "5902-2", "inr": "6301-6"}
UNITS = {"6690-2": "10*3/uL", "718-7": "g/dL", "777-3": "10*3/uL", "751-8": "10*3/uL", "5902-2": "s", "6301-6": "{INR}"}
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
ROUTES = {"iv": "47625008", "oral": "26643006", "sc": "34206005"}


def bundle(lines: list[Any], birth: str = "1968-03-14", conditions: tuple[Any, ...] = (),
           labs: dict[str, Any] | None = None,
           meds: tuple[tuple[str, str], ...] = (), docs: dict[str, Any] | None = None, use: str = "claim",
           claim_type: str = "professional", date: str = "2026-11-20", services: tuple[str, ...] = (),
           pos: str | None = None) -> dict[str, Any]:
    """A Bundle: ``lines`` are codes, (code, text) pairs or dicts (code, text, quantity); ``labs`` map names
    or LOINC codes to a value or a (value, unit, date) triple; ``meds`` are (RxNorm, route) pairs; ``docs``
    map linkIds to answers; ``services`` are SNOMED CT codes of planned services; ``pos`` is every line's
    place of service."""
    entries: list[dict[str, Any]] = []
    subject = {"reference": "Patient/p1"}

    def add(resource: dict[str, Any]) -> None:
        resource.setdefault("id", f"{resource['resourceType'].lower()}-{len(entries)}")
        entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})

    add({"resourceType": "Patient", "id": "p1", "birthDate": birth, "gender": "female"})
    for condition in conditions:
        code, status = (condition, "active") if isinstance(condition, str) else condition
        add({"resourceType": "Condition", "subject": subject, "code": {"coding": [{"system": ICD, "code": code}]},
             "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                            "code": status}]}})
    for name, value in (labs or {}).items():
        loinc = LABS.get(name, name)
        value, unit, when = value if isinstance(value, tuple) else (value, UNITS[loinc], date)
        add({"resourceType": "Observation", "status": "final", "subject": subject,
             "code": {"coding": [{"system": LOINC, "code": loinc}]}, "effectiveDateTime": when,
             "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}})
    for rxnorm, route in meds:
        med: dict[str, Any] = {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                               "subject": subject,
                               "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxnorm}]}}
        if route:
            med["dosageInstruction"] = [{"route": {"coding": [{"system": SCT, "code": ROUTES[route]}]}}]
        add(med)
    for service in services:
        add({"resourceType": "ServiceRequest", "status": "active", "intent": "order", "subject": subject,
             "code": {"coding": [{"system": SCT, "code": service}]}})
    if docs:
        items = [{"linkId": k, "answer": [{_answer_key(v): v}]} for k, v in docs.items()]
        add({"resourceType": "QuestionnaireResponse", "status": "completed", "subject": subject, "item": items})
    add(claim(lines, use=use, claim_type=claim_type, date=date, pos=pos))
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def claim(lines: list[Any], use: str = "claim", claim_type: str = "professional", date: str = "2026-11-20",
          claim_id: str = "c1", pos: str | None = None) -> dict[str, Any]:
    """A Claim resource for Patient/p1 with one item per line."""
    items = []
    for sequence, line in enumerate(lines, start=1):
        spec = {"code": line} if isinstance(line, str) else line if isinstance(line, dict) else \
            {"code": line[0], "text": line[1]}
        system = CPT if spec["code"][0].isdigit() else HCPCS
        coding = {"system": system, "code": spec["code"]}
        item: dict[str, Any] = {"sequence": sequence, "productOrService": {"coding": [coding]}}
        if spec.get("text"):
            item["productOrService"]["text"] = spec["text"]
        if spec.get("quantity") is not None:
            item["quantity"] = {"value": spec["quantity"]}
        if pos:
            item["locationCodeableConcept"] = {"coding": [{"system": POS, "code": pos}]}
        items.append(item)
    return {"resourceType": "Claim", "id": claim_id, "status": "active", "use": use,
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": claim_type}]},
            "patient": {"reference": "Patient/p1"}, "created": date, "billablePeriod": {"start": date},
            "provider": {"display": "Example Provider"}, "priority": {"coding": [{"code": "normal"}]},
            "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "Example Coverage"}}],
            "item": items}


def write(folder: Path, data: Any, name: str = "request.json") -> Path:
    """Write ``data`` as JSON into ``folder`` and return the path."""
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _answer_key(value: Any) -> str:
    return "valueBoolean" if isinstance(value, bool) else "valueInteger" if isinstance(value, int) else "valueString"


def kinds(determination: Any) -> set[str]:
    """The warning kinds of a determination."""
    return {w.kind for w in determination.warnings}


def states(determination: Any, source: str | None = None) -> dict[str, str]:
    """Criterion id -> state, for the criteria of one source (recommendation or rule) or of all."""
    return {c.id: c.state for c in determination.criteria if source in (None, c.of)}
