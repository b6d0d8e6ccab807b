"""The bounded load test (slow): 2,000 $submit from 16 concurrent clients, every one answered and stored."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "api_load.py"


def load(requests: int, clients: int) -> dict[str, Any]:
    """benchmarks/api_load.py's load test (the benchmarks folder is not a package)."""
    spec = importlib.util.spec_from_file_location("api_load", BENCHMARK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures: dict[str, Any] = module.load(requests, clients)
    return figures


@pytest.mark.slow
def test_two_thousand_submits_from_sixteen_clients_are_all_answered_and_stored() -> None:
    figures = load(2000, 16)
    print(f"\nAPI load: {figures}")
    assert figures["failed"] == []
    assert figures["answered_200"] == figures["stored"] == 2000
