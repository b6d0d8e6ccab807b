"""The CapabilityStatement of ``GET /fhir/metadata``: what the API supports, and nothing it does not."""

from __future__ import annotations

from typing import Any

from reasoner import __version__

PAS_IG = "http://hl7.org/fhir/us/davinci-pas/ImplementationGuide/hl7.fhir.us.davinci-pas|2.2.1"
DTR_PACKAGE = "http://hl7.org/fhir/us/davinci-dtr/OperationDefinition/questionnaire-package"
OPERATIONS = (("submit", "http://hl7.org/fhir/us/davinci-pas/OperationDefinition/Claim-submit"),
              ("inquire", "http://hl7.org/fhir/us/davinci-pas/OperationDefinition/Claim-inquiry"))


def capability_statement(knowledge_version: str, authenticated: bool) -> dict[str, Any]:
    """The server's CapabilityStatement (FHIR R4): Claim $submit and $inquire, Questionnaire
    $questionnaire-package, ClaimResponse read and search."""
    security: dict[str, Any] = {"description": "Bearer tokens from the token file (SHA-256 at rest); every route "
                                "but this one and CDS Hooks discovery needs one." if authenticated else
                                "No authentication (--insecure-no-auth): loopback only."}
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": "2026-12-04", "kind": "instance",
        "software": {"name": "necessity", "version": __version__},
        "implementation": {"description": f"necessity decision support, knowledge base {knowledge_version}: "
                           "a licensed reviewer decides. CRD CDS Hooks services: GET /cds-services."},
        "fhirVersion": "4.0.1", "format": ["application/fhir+json", "json"], "implementationGuide": [PAS_IG],
        "rest": [{"mode": "server", "security": security, "resource": [
            {"type": "Claim", "operation": [{"name": name, "definition": url} for name, url in OPERATIONS]},
            {"type": "Questionnaire", "operation": [{"name": "questionnaire-package", "definition": DTR_PACKAGE}]},
            {"type": "ClaimResponse", "interaction": [{"code": "read"}, {"code": "search-type"}],
             "searchParam": [{"name": "patient", "type": "reference"}, {"name": "identifier", "type": "token"},
                             {"name": "created", "type": "date"}]}]}],
    }
