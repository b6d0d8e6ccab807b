"""Rewrites of a review request: the same facts in the forms real senders (EHRs, Da Vinci PAS clients,
X12 converters) put them in. Each function is pure: it takes a FHIR R4 Bundle (a dict) and returns a new
one, leaving its argument alone; when the form has nothing to rewrite in the Bundle it returns an equal
Bundle (``applies`` tells). Used by tests/ingest/test_rewrites.py and free for other tests.

The facts are the same after a rewrite, except for ``snomed_only_diagnoses`` (a diagnosis necessity
cannot read: what rests on it becomes unknown).
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

Bundle = dict[str, Any]

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10CM_OID = "urn:oid:2.16.840.1.113883.6.90"
ICD10_WHO = "http://hl7.org/fhir/sid/icd-10"
CPT = "http://www.ama-assn.org/go/cpt"
CPT_OID = "urn:oid:2.16.840.1.113883.6.12"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
HCPCS_HTTPS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
HCPCS_OID = "urn:oid:2.16.840.1.113883.6.285"
CPT_SYSTEMS = (CPT, CPT_OID)
HCPCS_SYSTEMS = (HCPCS, HCPCS_HTTPS, HCPCS_OID)
ICD_SYSTEMS = (ICD10CM, ICD10CM_OID, ICD10_WHO)
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
PAS_TEMP_CODES = "http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASTempCodes"
INFO_CANCELLED = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/modifierextension-infoCancelled"
ABSOLUTE_BASE = "https://ehr.example.org/fhir/R4/"
TEST_MRN = "https://necessity.example/test/mrn"

HCPCS_LEVEL_II = re.compile(r"^[A-V][0-9]{4}$")

# The SNOMED CT concept of each diagnosis of the examples and corpora (by ICD-10-CM code or category).
SNOMED_OF_ICD = {
    "C92": ("91861009", "Acute myeloid leukemia"),  # C92.0x; the AML of the seed and fludarabine requests
    "C91.0": ("91857003", "Acute lymphoid leukemia"),
    "D50.9": ("87522002", "Iron deficiency anemia"),
    "D61.818": ("127034005", "Pancytopenia"),
    "G89.4": ("373621006", "Chronic pain syndrome"),
    "C18.9": ("363406005", "Malignant neoplasm of colon"),
}

# The answers the knowledge names for a question (queries/questionnaire/answer-options.rq): a sender whose
# form offers them as codings answers with valueCoding. tests/ingest/test_rewrites.py checks this table
# against the knowledge. No boolean question has a coding.
ANSWER_OPTIONS = {"lidocaine.route": ("intravenous-infusion", "local-infiltration")}

# Lab units as laboratory systems send them, for the UCUM unit the examples use.
UNIT_SPELLINGS = {"K/uL": "10*3/uL", "x10E3/uL": "10*3/uL", "10^3/uL": "10*3/uL", "g/dl": "g/dL"}


def applies(rewrite: Callable[[Bundle], Bundle], bundle: Bundle) -> bool:
    """Whether ``rewrite`` changes anything in ``bundle``."""
    return rewrite(bundle) != bundle


# Code systems of diagnoses.

def icd10cm_by_oid(bundle: Bundle) -> Bundle:
    """ICD-10-CM named by its OID (urn:oid:2.16.840.1.113883.6.90), as HL7 v2 and CDA converters do."""
    return _recode_diagnoses(bundle, lambda c: {**c, "system": ICD10CM_OID} if c.get("system") == ICD10CM else c)


def diagnoses_as_who_icd10(bundle: Bundle) -> Bundle:
    """Diagnoses under WHO ICD-10's URI (http://hl7.org/fhir/sid/icd-10), codes unchanged (they exist in
    ICD-10-CM): a sender that does not tell the two apart."""
    return _recode_diagnoses(bundle, lambda c: {**c, "system": ICD10_WHO} if c.get("system") == ICD10CM else c)


def snomed_only_diagnoses(bundle: Bundle) -> Bundle:
    """Every diagnosis (Condition.code, Claim.diagnosis) coded only in SNOMED CT, no ICD-10-CM coding, as
    a problem list sends it (91861009 for AML): a fact necessity cannot read."""
    def recode(coding: dict[str, Any]) -> dict[str, Any]:
        if coding.get("system") not in ICD_SYSTEMS:
            return coding
        found = _snomed_of(str(coding.get("code", "")))
        if found is None:
            return coding
        return {"system": SNOMED, "code": found[0], "display": found[1]}
    return _recode_diagnoses(bundle, recode)


def _snomed_of(code: str) -> tuple[str, str] | None:
    for prefix, concept in SNOMED_OF_ICD.items():
        if code == prefix or code.startswith(prefix if "." in prefix else prefix + "."):
            return concept
    return None


def _recode_diagnoses(bundle: Bundle, recode: Callable[[dict[str, Any]], dict[str, Any]]) -> Bundle:
    out = copy.deepcopy(bundle)
    for resource in _resources(out):
        concepts = [resource.get("code")] if resource.get("resourceType") == "Condition" else \
            [d.get("diagnosisCodeableConcept") for d in resource.get("diagnosis") or []] \
            if resource.get("resourceType") == "Claim" else []
        for concept in concepts:
            if isinstance(concept, dict) and isinstance(concept.get("coding"), list):
                concept["coding"] = [recode(c) if isinstance(c, dict) else c for c in concept["coding"]]
    return out


# Code systems of billing codes (Claim.item.productOrService).

def cpt_under_hcpcs_uri(bundle: Bundle) -> Bundle:
    """CPT codes sent under the HCPCS URI, as the Da Vinci PAS examples do (99212, 33510)."""
    return _recode_lines(bundle, lambda c: {**c, "system": HCPCS} if c.get("system") in CPT_SYSTEMS else c)


def hcpcs_under_cpt_uri(bundle: Bundle) -> Bundle:
    """HCPCS Level II codes (a letter and four digits) sent under the CPT URI."""
    return _recode_lines(bundle, lambda c: {**c, "system": CPT} if c.get("system") in HCPCS_SYSTEMS
                         and HCPCS_LEVEL_II.match(str(c.get("code", ""))) else c)


def cpt_by_oid(bundle: Bundle) -> Bundle:
    """CPT named by its OID (urn:oid:2.16.840.1.113883.6.12)."""
    return _recode_lines(bundle, lambda c: {**c, "system": CPT_OID} if c.get("system") == CPT else c)


def hcpcs_by_https(bundle: Bundle) -> Bundle:
    """HCPCS under https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets (the https form of the URI)."""
    return _recode_lines(bundle, lambda c: {**c, "system": HCPCS_HTTPS} if c.get("system") == HCPCS else c)


def hcpcs_by_oid(bundle: Bundle) -> Bundle:
    """HCPCS named by its OID (urn:oid:2.16.840.1.113883.6.285)."""
    return _recode_lines(bundle, lambda c: {**c, "system": HCPCS_OID} if c.get("system") == HCPCS else c)


def _recode_lines(bundle: Bundle, recode: Callable[[dict[str, Any]], dict[str, Any]]) -> Bundle:
    out = copy.deepcopy(bundle)
    for claim in _of_type(out, "Claim"):
        for item in claim.get("item") or []:
            concept = item.get("productOrService") if isinstance(item, dict) else None
            if isinstance(concept, dict) and isinstance(concept.get("coding"), list):
                concept["coding"] = [recode(c) if isinstance(c, dict) else c for c in concept["coding"]]
    return out


def line_systems(bundle: Bundle) -> dict[tuple[str, int], str | None]:
    """(claim id, item sequence) -> the system of the line's first coding: what the line rewrites change."""
    return {(str(claim.get("id")), item.get("sequence")): ((item.get("productOrService") or {}).get("coding")
                                                           or [{}])[0].get("system")
            for claim in _of_type(bundle, "Claim") for item in claim.get("item") or []}


# Diagnoses by reference.

def diagnosis_by_reference(bundle: Bundle) -> Bundle:
    """Claim.diagnosis by diagnosisReference: each diagnosisCodeableConcept moved into a new Condition entry
    (no clinicalStatus: the Claim's pointing to it says it is present), as EHRs that hold the problem list
    send it."""
    out = copy.deepcopy(bundle)
    added = []
    for claim in _of_type(out, "Claim"):
        for index, diagnosis in enumerate(claim.get("diagnosis") or []):
            concept = diagnosis.pop("diagnosisCodeableConcept", None) if isinstance(diagnosis, dict) else None
            if concept is None:
                continue
            condition_id = f"{claim.get('id', 'claim')}-diagnosis-{diagnosis.get('sequence', index + 1)}"
            full_url = f"urn:uuid:{_uuid('Condition', condition_id)}"
            added.append({"fullUrl": full_url, "resource": {
                "resourceType": "Condition", "id": condition_id, "subject": copy.deepcopy(claim.get("patient")),
                "code": concept}})
            diagnosis["diagnosisReference"] = {"reference": full_url}
    out["entry"] = [*(out.get("entry") or []), *added]
    return out


# Lab values: units and times.

def _respell_units(bundle: Bundle, spelling: str) -> Bundle:
    ucum = UNIT_SPELLINGS[spelling]
    out = copy.deepcopy(bundle)
    for observation in _of_type(out, "Observation"):
        quantity = observation.get("valueQuantity")
        if isinstance(quantity, dict) and ucum in (quantity.get("code"), quantity.get("unit")):
            quantity["unit"] = spelling
            if "code" in quantity:
                quantity["code"] = spelling
    return out


def units_k_per_ul(bundle: Bundle) -> Bundle:
    """Cell counts in K/uL (for 10*3/uL), as many laboratory systems print them."""
    return _respell_units(bundle, "K/uL")


def units_x10e3_per_ul(bundle: Bundle) -> Bundle:
    """Cell counts in x10E3/uL (for 10*3/uL), as Quest and LabCorp report them."""
    return _respell_units(bundle, "x10E3/uL")


def units_10_caret_3_per_ul(bundle: Bundle) -> Bundle:
    """Cell counts in 10^3/uL (for 10*3/uL)."""
    return _respell_units(bundle, "10^3/uL")


def units_g_per_dl_lower_case(bundle: Bundle) -> Bundle:
    """Hemoglobin in g/dl (for g/dL): UCUM is case-sensitive, senders often are not."""
    return _respell_units(bundle, "g/dl")


def unit_without_code(bundle: Bundle) -> Bundle:
    """valueQuantity with a ``unit`` only: no UCUM ``code`` nor ``system``."""
    out = copy.deepcopy(bundle)
    for observation in _of_type(out, "Observation"):
        quantity = observation.get("valueQuantity")
        if isinstance(quantity, dict) and quantity.get("code") is not None:
            quantity["unit"] = quantity.get("unit") or quantity["code"]
            quantity.pop("code")
            quantity.pop("system", None)
    return out


def lab_times_in_another_offset(bundle: Bundle, time: str = "20:30:00-05:00") -> Bundle:
    """Each lab taken on a date restated as a time of that same local date in the sender's offset
    (``20:30:00-05:00``: 01:30 the next day in UTC), as an EHR in US Eastern time sends it."""
    out = copy.deepcopy(bundle)
    for observation in _of_type(out, "Observation"):
        when = observation.get("effectiveDateTime")
        if isinstance(when, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", when):
            observation["effectiveDateTime"] = f"{when}T{time}"
        period = observation.get("effectivePeriod")
        if isinstance(period, dict) and isinstance(period.get("start"), str) \
                and re.fullmatch(r"\d{4}-\d{2}-\d{2}", period["start"]):
            period["start"] = f"{period['start']}T{time}"
    return out


# The date of service.

def admission_dates_instead_of_billable_period(bundle: Bundle) -> Bundle:
    """No billablePeriod, no item servicedDate on that day: the date of service only as a Da Vinci PAS
    supportingInfo of category admissionDates whose period starts on it. ``created`` moved 8 days away
    (before the service for a prior authorization, after it for a claim), as in the PAS surgical example
    (created 2020-06-24, admitted 2020-07-02): a reader that falls back to ``created`` gets another date."""
    out = copy.deepcopy(bundle)
    for claim in _of_type(out, "Claim"):
        period = claim.get("billablePeriod")
        start = period.get("start") if isinstance(period, dict) else None
        if not isinstance(start, str):
            continue
        day = start[:10]
        del claim["billablePeriod"]
        for item in claim.get("item") or []:
            if isinstance(item.get("servicedDate"), str) and item["servicedDate"][:10] == day:
                del item["servicedDate"]
        infos = claim.setdefault("supportingInfo", [])
        sequence = max((i.get("sequence", 0) for i in infos if isinstance(i, dict)), default=0) + 1
        timing = {"start": start, **({"end": period["end"]} if period.get("end") else {})}
        infos.append({"sequence": sequence,
                      "category": {"coding": [{"system": PAS_TEMP_CODES, "code": "admissionDates"}]},
                      "timingPeriod": timing})
        shift = timedelta(days=8 if claim.get("use") == "claim" else -8)
        claim["created"] = (date.fromisoformat(day) + shift).isoformat()
    return out


# References.

def patient_contained_in_claim(bundle: Bundle) -> Bundle:
    """The Patient contained in the (first) Claim, which names it ``#id``; every other resource names the
    patient by the Patient's identifier (one is added when it has none), as a Claim converted from X12 does."""
    out = copy.deepcopy(bundle)
    entries = out.get("entry") or []
    patients = [e for e in entries if _resource(e).get("resourceType") == "Patient"]
    claims = [e for e in entries if _resource(e).get("resourceType") == "Claim"]
    if len(patients) != 1 or not claims:
        return out
    entry = patients[0]
    patient = entry["resource"]
    patient_id = patient.get("id") or "patient"
    patient["id"] = patient_id
    identifiers = patient.setdefault("identifier", [])
    if not any(isinstance(i, dict) and i.get("value") for i in identifiers):
        identifiers.append({"system": TEST_MRN, "value": patient_id})
    identifier = {k: v for k, v in next(i for i in identifiers if isinstance(i, dict) and i.get("value")).items()
                  if k in ("system", "value")}
    keys = _keys(entry)
    out["entry"] = [e for e in entries if e is not entry]
    claim = claims[0]["resource"]
    for resource in _resources(out):
        for reference in _references(resource):
            if reference.get("reference") in keys:
                del reference["reference"]
                reference["identifier"] = dict(identifier)
    claim["contained"] = [patient, *(claim.get("contained") or [])]
    claim["patient"] = {"reference": f"#{patient_id}"}
    return out


def references_as_absolute_urls(bundle: Bundle) -> Bundle:
    """Every entry's fullUrl an absolute URL (``https://ehr.example.org/fhir/R4/Type/id``) and every reference
    to it that URL, as a FHIR server's search or $everything Bundle gives them."""
    return _rereference(bundle, lambda kind, rid: f"{ABSOLUTE_BASE}{kind}/{rid}")


def references_as_urn_uuid(bundle: Bundle) -> Bundle:
    """Every entry's fullUrl a ``urn:uuid:`` (a real UUID) and every reference to it that URN, as a
    transaction Bundle built by a client gives them."""
    return _rereference(bundle, lambda kind, rid: f"urn:uuid:{_uuid(kind, rid)}")


def _rereference(bundle: Bundle, url: Callable[[str, str], str]) -> Bundle:
    out = copy.deepcopy(bundle)
    renamed: dict[str, str] = {}
    for entry in out.get("entry") or []:
        resource = _resource(entry)
        if resource.get("id") and resource.get("resourceType"):
            new = url(resource["resourceType"], resource["id"])
            for key in _keys(entry):
                renamed[key] = new
            entry["fullUrl"] = new
    for resource in _resources(out):
        for reference in _references(resource):
            if reference.get("reference") in renamed:
                reference["reference"] = renamed[reference["reference"]]
    return out


# Documentation answers.

def answers_as_value_coding(bundle: Bundle, options: dict[str, tuple[str, ...]] | None = None) -> Bundle:
    """A documentation answer among the knowledge's answer options (``ANSWER_OPTIONS``) given as valueCoding
    (matched by code), as a form whose answer list is coded (SDC, DTR) sends it."""
    options = ANSWER_OPTIONS if options is None else options
    out = copy.deepcopy(bundle)

    def walk(items: list[Any]) -> None:
        for item in items or []:
            for answer in item.get("answer") or []:
                for key in ("valueString", "valueBoolean"):
                    value = answer.get(key)
                    if value is not None and str(value).lower() in options.get(item.get("linkId"), ()):
                        del answer[key]
                        code = str(value).lower()
                        answer["valueCoding"] = {"code": code, "display": code.replace("-", " ")}
                walk(answer.get("item") or [])
            walk(item.get("item") or [])

    for response in _of_type(out, "QuestionnaireResponse"):
        walk(response.get("item") or [])
    return out


# A resource necessity cannot read.

INVALID_OBSERVATION_ID = "glucose-invalid"


def invalid_documentation_resource(bundle: Bundle) -> Bundle:
    """An Observation of an analyte the knowledge does not read (glucose, LOINC 2339-0) that is invalid FHIR
    (``valueQuantity.value`` a word), added to the Bundle: what EHR exports sometimes hold."""
    out = copy.deepcopy(bundle)
    claims = list(_of_type(out, "Claim"))
    if not claims:
        return out
    claim = claims[0]
    when = (claim.get("billablePeriod") or {}).get("start") or claim.get("created") or "2026-11-20"
    observation = {
        "resourceType": "Observation", "id": INVALID_OBSERVATION_ID, "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "2339-0", "display": "Glucose [Mass/volume] in Blood"}]},
        "subject": copy.deepcopy(claim.get("patient")), "effectiveDateTime": str(when)[:10],
        "valueQuantity": {"value": "ninety-five", "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}}
    out["entry"] = [*(out.get("entry") or []),
                    {"fullUrl": f"urn:uuid:{_uuid('Observation', INVALID_OBSERVATION_ID)}", "resource": observation}]
    return out


# PAS item flags (not a rewrite that keeps the facts: used to build cases).

def with_info_cancelled(bundle: Bundle, sequence: int, value: bool = True) -> Bundle:
    """The first Claim's item ``sequence`` with the PAS modifierExtension infoCancelled set to ``value``."""
    out = copy.deepcopy(bundle)
    claim = next(iter(_of_type(out, "Claim")))
    for item in claim.get("item") or []:
        if item.get("sequence") == sequence:
            extensions = [m for m in item.get("modifierExtension") or [] if m.get("url") != INFO_CANCELLED]
            item["modifierExtension"] = [*extensions, {"url": INFO_CANCELLED, "valueBoolean": value}]
    return out


# Helpers.

def _resource(entry: Any) -> dict[str, Any]:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    return resource if isinstance(resource, dict) else {}


def _resources(bundle: Bundle) -> Iterator[dict[str, Any]]:
    """Every resource of the Bundle, contained ones too."""
    for entry in bundle.get("entry") or []:
        resource = _resource(entry)
        if resource:
            yield resource
            yield from (c for c in resource.get("contained") or [] if isinstance(c, dict))


def _of_type(bundle: Bundle, kind: str) -> Iterator[dict[str, Any]]:
    return (r for r in (_resource(e) for e in bundle.get("entry") or []) if r.get("resourceType") == kind)


def _keys(entry: dict[str, Any]) -> set[str]:
    """The strings a reference names this entry by: its fullUrl and Type/id."""
    resource = _resource(entry)
    keys = {entry["fullUrl"]} if isinstance(entry.get("fullUrl"), str) else set()
    if resource.get("id"):
        keys.add(f"{resource['resourceType']}/{resource['id']}")
    return keys


def _references(value: Any) -> Iterator[dict[str, Any]]:
    """Every Reference (a dict with a string ``reference``) inside ``value``, contained resources left to
    their own walk."""
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value
        for key, child in value.items():
            if key != "contained":
                yield from _references(child)
    elif isinstance(value, list):
        for child in value:
            yield from _references(child)


def _uuid(kind: str, rid: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://necessity.example/tests/{kind}/{rid}")
