"""The same request gives byte-identical JSON across runs and Python hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def determine(seed: str) -> str:
    env = os.environ | {"PYTHONHASHSEED": seed}
    run = subprocess.run([sys.executable, "-m", "reasoner", "determine", "examples/seed-aml-port.json", "--format",
                          "json"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return run.stdout


def test_json_is_byte_identical_across_hash_seeds():
    first, second = determine("0"), determine("4242")
    assert first == second
    assert '"status": "justified"' in first
