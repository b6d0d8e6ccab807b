"""Wrap a necessity request Bundle as a Da Vinci PAS request Bundle: the Claim first, with the submitter's
identifier, an insurer and a requesting provider Organization (with an NPI), the patient's member id and
the Coverage, each a resource of the Bundle the Claim references.

    python tools/pas_bundle.py examples/seed-aml-port.json > examples/pas/seed-aml-port.pas.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

EXAMPLE = "https://necessity.example/"


def pas_bundle(bundle: dict[str, Any], name: str) -> dict[str, Any]:
    """``bundle`` (a request Bundle with one Claim) as a PAS request Bundle named ``name``."""
    entries = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Claim"]
    claim = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim")
    patient = next(e for e in entries if e["resource"]["resourceType"] == "Patient")
    patient["resource"].setdefault("identifier", [{"system": EXAMPLE + "member-id", "value": f"MB-{name}"}])
    added = {
        "insurer": {"resourceType": "Organization", "id": f"{name}-insurer", "name": "Example Health Plan",
                    "identifier": [{"system": EXAMPLE + "payer-id", "value": "PAYER-1"}]},
        "provider": {"resourceType": "Organization", "id": f"{name}-provider", "name": "Example Provider",
                     "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}]},
    }
    coverage = {"resourceType": "Coverage", "id": f"{name}-coverage", "status": "active",
                "beneficiary": {"reference": patient["fullUrl"]},
                "payor": [{"reference": f"urn:uuid:{name}-insurer"}]}
    resource = dict(claim["resource"])
    resource["identifier"] = [{"system": EXAMPLE + "submitter-trace-number", "value": f"{name}-1"}]
    resource["insurer"] = {"reference": f"urn:uuid:{name}-insurer"}
    resource["provider"] = {"reference": f"urn:uuid:{name}-provider"}
    resource["insurance"] = [{"sequence": 1, "focal": True, "coverage": {"reference": f"urn:uuid:{name}-coverage"}}]
    new = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in (*added.values(), coverage)]
    return {"resourceType": "Bundle", "identifier": {"system": EXAMPLE + "submitter-bundle", "value": name},
            "type": "collection", "timestamp": bundle.get("timestamp", "2026-11-20T09:00:00Z"),
            "entry": [{"fullUrl": claim["fullUrl"], "resource": resource}, *entries, *new]}


def main() -> None:
    """Print the PAS Bundle of the request file named on the command line."""
    path = Path(sys.argv[1])
    print(json.dumps(pas_bundle(json.loads(path.read_text()), path.stem), indent=2))


if __name__ == "__main__":
    main()
