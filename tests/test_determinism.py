"""The same request gives byte-identical JSON across runs and Python hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def determine(seed: str, output_format: str = "json") -> str:
    env = os.environ | {"PYTHONHASHSEED": seed}
    run = subprocess.run([sys.executable, "-m", "reasoner", "determine", "examples/seed-aml-port.json", "--format",
                          output_format], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return run.stdout


def test_json_is_byte_identical_across_hash_seeds():
    first, second, third = determine("0"), determine("4242"), determine("random")
    assert first == second == third
    assert '"status": "justified"' in first


def test_fhir_is_byte_identical_across_hash_seeds():
    first, second = determine("1", "fhir"), determine("random", "fhir")
    assert first == second
    assert '"resourceType": "ClaimResponse"' in first
