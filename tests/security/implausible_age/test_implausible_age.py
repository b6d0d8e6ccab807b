"""Also found by the security review (issue 15): a birth date in year 1 with a service in 9999 was
accepted. An age over the plausible maximum of kg/units/ucum.ttl (130 years on the date of service) is
a data error and is refused, naming the Patient and the field.
"""

from __future__ import annotations

from bundles import bundle, write


def test_an_age_of_more_than_130_is_refused(tmp_path, run_cli):
    path = write(tmp_path, bundle(["36561"], birth="0001-01-01", date="9999-12-31"))
    result = run_cli("determine", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"necessity: error: {path}: Patient/p1: birthDate: 0001-01-01 makes the patient 9998 "
                             "years old on 9999-12-31, more than the 130 years a person is taken to reach: a data "
                             "error (the birth date or the date of service?)\n")


def test_an_age_of_130_is_accepted_and_131_is_not(tmp_path, run_cli):
    accepted = write(tmp_path, bundle(["36561"], birth="1896-11-20", date="2026-11-20"), "130.json")
    refused = write(tmp_path, bundle(["36561"], birth="1895-11-20", date="2026-11-20"), "131.json")
    assert run_cli("determine", str(accepted)).exit_code == 0
    assert run_cli("determine", str(refused)).exit_code == 2
