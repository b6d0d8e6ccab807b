"""Finding 7 of the security review (issue 15): a resource whose subject names another patient by
identifier (not by reference) was taken as this patient's. Now a subject (or a Claim's patient) that is
not this request's Patient is refused, whatever form it takes: a reference to another resource, an
identifier the Patient does not carry, or neither (a display alone). An identifier the Patient carries
is this patient.
"""

from __future__ import annotations

import copy

import pytest
from bundles import bundle, write

MRN = {"system": "http://hospital.example/mrn", "value": "12345"}


def request(subject: dict, patient_field: dict | None = None) -> dict:
    data = bundle(["36561"], conditions=("C92.00",))
    for entry in data["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            resource["identifier"] = [MRN]
        elif resource["resourceType"] == "Condition":
            resource["subject"] = subject
        elif resource["resourceType"] == "Claim" and patient_field is not None:
            resource["patient"] = patient_field
    return data


@pytest.mark.parametrize("subject, field, words", [
    ({"identifier": {"system": MRN["system"], "value": "99999"}}, "subject.identifier",
     "'http://hospital.example/mrn|99999' is not an identifier of the Patient of the Bundle"),
    ({"identifier": {"value": "12345"}}, "subject.identifier", "'-|12345' is not an identifier of the Patient"),
    ({"display": "John Doe"}, "subject", "names no patient (no reference and no identifier)"),
    ({"reference": "Patient/someone-else"}, "subject.reference", "'Patient/someone-else' is not the Patient"),
    ({"reference": "Group/g1"}, "subject.reference", "'Group/g1' is not the Patient"),
])
def test_a_subject_that_is_not_the_patient_is_refused(subject, field, words, tmp_path, run_cli):
    path = write(tmp_path, request(subject))
    result = run_cli("determine", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"necessity: error: {path}: Condition/condition-1: {field}: {words}")


def test_the_patients_own_identifier_is_this_patient(tmp_path, run_cli):
    path = write(tmp_path, request({"identifier": copy.deepcopy(MRN)}))
    result = run_cli("determine", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr


def test_a_claim_for_another_patient_by_identifier_is_refused(tmp_path, run_cli):
    path = write(tmp_path, request({"reference": "Patient/p1"}, {"identifier": {**MRN, "value": "99999"}}))
    result = run_cli("determine", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"necessity: error: {path}: Claim/c1: patient.identifier: "
                                    "'http://hospital.example/mrn|99999' is not an identifier of the Patient")


def test_a_claim_for_the_patient_by_identifier_is_reviewed(tmp_path, run_cli):
    path = write(tmp_path, request({"reference": "Patient/p1"}, {"identifier": copy.deepcopy(MRN)}))
    result = run_cli("determine", str(path), "--format", "fhir")
    assert result.exit_code == 0, result.stderr
