"""The namespaces of necessity's vocabulary, knowledge and code systems."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import NamespaceManager

BASE = "https://necessity.example/"
NEC = Namespace(BASE + "ns#")
REQ = Namespace(BASE + "request/")
CPT = Namespace(BASE + "code/cpt/")
HCPCS = Namespace(BASE + "code/hcpcs/")
ICD = Namespace(BASE + "code/icd10cm/")
ICD_GROUP = Namespace(BASE + "kg/icd10cm-group/")  # chapters and blocks: no request code can name them
LOINC = Namespace(BASE + "code/loinc/")
RXN = Namespace(BASE + "code/rxnorm/")
SCT = Namespace(BASE + "code/sct/")
DOC = Namespace(BASE + "kg/documentation/")
UNIT = Namespace(BASE + "code/ucum/")
VIEW = Namespace(BASE + "view#")

PREFIXES: dict[str, Namespace] = {
    "nec": NEC, "req": REQ, "cpt": CPT, "hcpcs": HCPCS, "icd": ICD, "loinc": LOINC,
    "icdg": ICD_GROUP, "rxn": RXN, "sct": SCT, "doc": DOC, "view": VIEW,
    "rec": Namespace(BASE + "kg/recommendation/"), "crit": Namespace(BASE + "kg/criterion/"),
    "gl": Namespace(BASE + "kg/guideline/"), "cite": Namespace(BASE + "kg/citation/"),
    "rule": Namespace(BASE + "kg/rule/"), "conflict": Namespace(BASE + "kg/conflict/"),
    "prec": Namespace(BASE + "kg/precedence/"), "grade": Namespace(BASE + "kg/strength/"),
}

# FHIR code-system URIs (docs/input.md) mapped to our code namespaces.
SYSTEMS: dict[str, Namespace] = {
    "http://www.ama-assn.org/go/cpt": CPT,
    "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets": HCPCS,
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets": HCPCS,
    "urn:oid:2.16.840.1.113883.6.285": HCPCS,
    "http://hl7.org/fhir/sid/icd-10-cm": ICD,
    "http://loinc.org": LOINC,
    "http://www.nlm.nih.gov/research/umls/rxnorm": RXN,
    "http://snomed.info/sct": SCT,
}
BILLING_SYSTEMS = {uri: ns for uri, ns in SYSTEMS.items() if ns in (CPT, HCPCS)}
CANONICAL_SYSTEM = {CPT: "http://www.ama-assn.org/go/cpt", HCPCS: "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"}


def bind_prefixes(manager: NamespaceManager) -> None:
    """Bind necessity's prefixes on a graph's namespace manager."""
    for prefix, namespace in PREFIXES.items():
        manager.bind(prefix, namespace, override=True)
