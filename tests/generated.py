"""Random review requests built from the knowledge base's own codes (hypothesis strategies), for the
engines' equivalence test and the benchmark: billing codes the knowledge declares, diagnoses below
every ICD-10-CM class it names, labs at and around every threshold of its datatype restrictions (in
canonical and other units), drugs and routes, planned services, documentation answers present,
absent or contrary, ages around every age threshold, both claim uses and types, places of service.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from bundles import ROUTES, bundle, write
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef

from reasoner.cli.options import knowledge as installed
from reasoner.errors import InputError
from reasoner.vocab import ICD, ICD_GROUP

SERVICE_DATE = date(2026, 11, 20)
OTHER_DIAGNOSES = ("I10", "E11.9", "J45.909", "D69.6", "Z51.11", "C92.99X")  # unrelated ones and an unknown code
TEXTS = ("", "Ultrasound guidance", "Blood typing", "Manual differential WBC", "lidocaine local infiltration",
         "Lidocaine IV infusion", "Platelets, pheresis", "Port placement", "Type and screen")
PLACES = (None, "11", "19", "21", "22", "23")
STATED_ANSWERS = """PREFIX nec: <https://necessity.example/ns#>
SELECT ?answer WHERE { ?question nec:linkId ?linkId . ?criterion nec:asks ?question .
                       { ?criterion nec:expectedAnswer ?answer } UNION { ?criterion nec:refutingAnswer ?answer } }"""


@cache
def pools() -> dict[str, Any]:
    """What requests are drawn from, read from the knowledge base and the ICD-10-CM hierarchy."""
    compiled = installed()
    graph = compiled.graph
    declared = sorted(str(code) for code in compiled.tables.declared_codes)
    billing = [c.rsplit("/", 1)[1] for c in declared if "/code/cpt/" in c or "/code/hcpcs/" in c]
    drugs = [c.rsplit("/", 1)[1] for c in declared if "/code/rxnorm/" in c] + ["999001"]
    services = [c.rsplit("/", 1)[1] for c in declared if "/code/sct/" in c]
    bounds = sorted({Decimal(str(bound)) for r in compiled.fast_rules().data_ranges.values() for _, bound in r.facets})
    named = sorted({str(t) for triple in graph for t in triple
                    if isinstance(t, URIRef) and str(t).startswith((str(ICD), str(ICD_GROUP)))})
    answers: dict[str, list[Any]] = {}
    for link_id, kind in compiled.tables.answer_types.items():
        stated = [str(row[0]) for row in graph.query(STATED_ANSWERS, initBindings={"linkId": Literal(link_id)})]
        answers[link_id] = [True, False] if kind == "boolean" else \
            [int(b) + d for b in bounds if b == int(b) for d in (-1, 0, 1)] if kind == "integer" else \
            sorted(set(stated)) + ["something-else"]
    return {"billing": billing, "drugs": drugs, "services": services, "bounds": bounds,
            "diagnoses": _codes_below(named) + list(OTHER_DIAGNOSES), "answers": dict(answers),
            "units": compiled.tables.units}


def _codes_below(named: list[str]) -> list[str]:
    """A few ICD-10-CM codes below each class the knowledge names (the class itself when it is a code)."""
    hierarchy = installed().hierarchy
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in hierarchy.edges():
        if parent:
            children[parent].append(child)
    codes = []
    for iri in named:
        below, todo = [], [iri]
        while todo and len(below) < 4:
            node = todo.pop(0)
            kids = sorted(children.get(node, ()))
            if not kids and node.startswith(str(ICD)):
                below.append(node.removeprefix(str(ICD)))
            todo.extend(kids[:3])
        codes += below
    return sorted(set(codes))


@st.composite
def requests(draw: Any) -> dict[str, Any]:
    """One FHIR R4 review-request Bundle with one claim."""
    p = pools()
    lines = []
    for code in draw(st.lists(st.sampled_from(p["billing"]), min_size=1, max_size=5, unique=True)):
        text = draw(st.sampled_from(TEXTS))
        quantity = draw(st.sampled_from((None, None, 1, 1.5, 2, 2.5, 3)))
        lines.append({"code": code, "text": text, "quantity": quantity})
    age = draw(st.sampled_from([int(b) + d for b in p["bounds"] if b == int(b) and 2 <= b < 100 for d in (-1, 0, 1)]
                               + [45, 70]))
    birth = SERVICE_DATE.replace(year=SERVICE_DATE.year - age) + timedelta(days=draw(st.sampled_from((-1, 0, 1))))
    return bundle(
        lines, birth=birth.isoformat(),
        conditions=tuple(draw(st.lists(st.sampled_from(p["diagnoses"]), max_size=3, unique=True))),
        labs=draw(_labs(p)),
        meds=tuple(draw(st.lists(st.tuples(st.sampled_from(p["drugs"]), st.sampled_from(("", *ROUTES))),
                                 max_size=2, unique_by=lambda m: m[0]))),
        docs=draw(_answers(p)), use=draw(st.sampled_from(("claim", "preauthorization"))),
        claim_type=draw(st.sampled_from(("professional", "institutional"))),
        date=SERVICE_DATE.isoformat(), services=tuple(draw(st.lists(st.sampled_from(p["services"]), max_size=1))),
        pos=draw(st.sampled_from(PLACES)))


@st.composite
def _labs(draw: Any, p: dict[str, Any]) -> dict[str, Any]:
    units = p["units"]
    labs = {}
    for loinc in draw(st.lists(st.sampled_from(sorted(units.canonical)), max_size=4, unique=True)):
        low, high = units.plausible.get(loinc, (Decimal(0), Decimal("Infinity")))
        steps = (Decimal(-1), Decimal("-0.1"), Decimal(0), Decimal("0.1"), Decimal(1))
        near = [b + d for b in p["bounds"] for d in steps
                if low <= b + d <= high]  # the bounds of every analyte, as far as this one's results can go
        canonical = Decimal(str(draw(st.sampled_from(near))))
        unit, factor = draw(st.sampled_from(_units_of(units, loinc)))
        value = canonical / factor
        labs[loinc] = (float(value), unit, SERVICE_DATE.isoformat())
    return labs


def _units_of(units: Any, loinc: str) -> list[tuple[str, Decimal]]:
    """Every unit the knowledge names (UCUM codes and the US spellings of kg/units/aliases.ttl) that converts
    to the analyte's canonical unit, with its factor."""
    if loinc in _UNITS:
        return _UNITS[loinc]
    found = []
    for unit in sorted({unit for unit, _ in units.factors}):
        try:
            factor, _, _ = units.normalize(loinc, Decimal(1), unit, unit)
        except ValueError:  # UnitError or ImplausibleValue: not a unit of this analyte
            continue
        found.append((unit, factor))
    _UNITS[loinc] = found
    return found


_UNITS: dict[str, list[tuple[str, Decimal]]] = {}


@st.composite
def _answers(draw: Any, p: dict[str, Any]) -> dict[str, Any]:
    answers = {}
    for link_id in draw(st.lists(st.sampled_from(sorted(p["answers"])), max_size=6, unique=True)):
        answers[link_id] = draw(st.sampled_from(p["answers"][link_id]))
    return answers


@cache
def generated_requests(count: int) -> tuple[dict[str, Any], ...]:
    """``count`` request Bundles drawn from ``requests()``, the same on every run (derandomized)."""
    drawn: list[dict[str, Any]] = []

    @settings(max_examples=count, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(requests())
    def collect(bundle: dict[str, Any]) -> None:
        drawn.append(bundle)

    collect()
    return tuple(drawn)


def write_ndjson(path: Path, count: int) -> Path:
    """``count`` generated request Bundles written to ``path`` as NDJSON, one Bundle per line."""
    with path.open("w", encoding="utf-8") as stream:
        for drawn in generated_requests(count):
            stream.write(json.dumps(drawn, ensure_ascii=False) + "\n")
    return path


def each_readable(folder: Path, work: Any, count: int = 60) -> list[tuple[str, Any]]:
    """``work(path)`` on each of the first ``count`` generated requests, written to ``folder``, that ingest reads
    (a request it refuses is passed over): (the file's name, what ``work`` returned)."""
    done = []
    for number, data in enumerate(generated_requests(500)[:count]):
        name = f"generated-{number}.json"
        try:
            done.append((name, work(write(folder, data, name))))
        except InputError:
            continue
    return done

