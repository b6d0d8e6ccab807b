"""Fuzzing the way in (hypothesis): random JSON, and random mutations of the example requests and of
real Synthea bundles, are read and reviewed; what comes out is a review or one of necessity's own
errors (exit code 2 with a message), never a traceback."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

from bundles import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasoner.cli.options import knowledge as installed
from reasoner.errors import NecessityError
from reasoner.pipeline import review

ROOT = Path(__file__).resolve().parent.parent
BASES = sorted((ROOT / "examples").glob("*.json"))
SYNTHEA = sorted((ROOT / "tests" / "corpora" / "synthea-r4").glob("[A-Z]*.json"))[:3]
SETTINGS = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

scalars = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=30)
FHIR_WORDS = ["resourceType", "Bundle", "Patient", "Claim", "entry", "resource", "item", "code", "coding", "system",
              "valueQuantity", "value", "unit", "birthDate", "subject", "reference", "use", "type", "sequence",
              "http://loinc.org", "777-3", "http://www.ama-assn.org/go/cpt", "36561", "Patient/p1"]


def reviewed_or_refused(path: Path) -> None:
    """Review the request at ``path``: it must give a review or raise one of necessity's own errors."""
    try:
        result = review(path, installed())
    except NecessityError as error:
        assert str(error)
        return
    assert result.claims


@SETTINGS
@given(json_values)
def test_random_json_is_refused_cleanly(tmp_path_factory, data):
    reviewed_or_refused(write(tmp_path_factory.mktemp("fuzz"), data))


@SETTINGS
@given(st.dictionaries(st.sampled_from(FHIR_WORDS), json_values | st.sampled_from(FHIR_WORDS), max_size=6))
def test_random_json_in_fhir_words_is_refused_cleanly(tmp_path_factory, data):
    data.setdefault("resourceType", "Bundle")
    reviewed_or_refused(write(tmp_path_factory.mktemp("fuzz"), data))


@st.composite
def mutated(draw: Any, bases: list[Path]) -> Any:
    """A base request with one to three random edits: a value replaced, a key removed, an entry doubled."""
    data = json.loads(draw(st.sampled_from(bases)).read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        parent, key = _somewhere(draw, data)
        if parent is None:
            break
        action = draw(st.sampled_from(["replace", "remove", "double", "number"]))
        if action == "replace":
            parent[key] = draw(json_values | st.sampled_from(FHIR_WORDS))
        elif action == "remove":
            del parent[key]
        elif action == "double" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:
            parent[key] = draw(st.sampled_from([-1, 0, 10**30, -(10**30), 1.5, math.nan, math.inf, "1e400", ""]))
    return data


def _somewhere(draw: Any, data: Any) -> tuple[Any, Any]:
    """A random (container, key) inside ``data``, walking down from the top."""
    parent, key = None, None
    node = data
    for _ in range(draw(st.integers(1, 8))):
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys:
            break
        parent, key = node, draw(st.sampled_from(keys))
        node = node[key]
    return parent, key


@SETTINGS
@given(mutated(BASES))
def test_mutated_example_requests_are_reviewed_or_refused_cleanly(tmp_path_factory, data):
    reviewed_or_refused(write(tmp_path_factory.mktemp("fuzz"), data))


@settings(max_examples=25, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(mutated(SYNTHEA))
def test_mutated_synthea_bundles_are_reviewed_or_refused_cleanly(tmp_path_factory, data):
    reviewed_or_refused(write(tmp_path_factory.mktemp("fuzz"), data))
