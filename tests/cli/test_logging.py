"""What necessity logs: nothing at the default level but problems with the knowledge cache, and with
--verbose what it does (cache, engine, each claim's size and time), never the patient's data."""

from __future__ import annotations

import subprocess
import sys

from bundles import bundle, write

PATIENT_DATA = ("1968-03-14", "Patient/p1", "C92.00", "36561", "76937", "777-3", "17.25", "Claim/c1", "female",
                "request.json")


def a_request(tmp_path):
    return str(write(tmp_path, bundle(["36561", "76937"], conditions=("C92.00",), labs={"plt": 17.25},
                                      meds=(("3041", "iv"),))))


def test_the_default_level_logs_nothing(run_cli, tmp_path):
    result = run_cli("determine", a_request(tmp_path))
    assert result.exit_code == 0
    assert result.stderr == ""


def test_verbose_says_what_it_does_and_nothing_of_the_patient(tmp_path):
    # a new process, so that the knowledge base is loaded (and logged) as on a user's machine
    result = subprocess.run([sys.executable, "-m", "reasoner", "--verbose", "determine", a_request(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert "necessity: claim 1 of 1 reviewed with the fast engine: 2 lines in " in result.stderr
    assert "necessity: knowledge base " in result.stderr
    for datum in PATIENT_DATA:
        assert datum not in result.stderr, datum


def test_the_help_says_what_verbose_logs(run_cli):
    help_text = " ".join(run_cli("--help").stdout.split())
    assert "Never patient data" in help_text
