"""Lab units read by UCUM arithmetic (reasoner/ingest/units.py): every alias of kg/units/aliases.ttl and
every canonical unit converts, the counts and masses convert exactly, the unit text is read when there is
no code, a unit that does not convert and a value no laboratory reports are refused with the field they
came from, the knowledge is refused when an alias or a unit it names is wrong, and the table pickled into
the knowledge cache converts the units the knowledge names without loading the library or the network."""

from __future__ import annotations

import pickle
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph

from reasoner import resources
from reasoner.errors import KnowledgeError
from reasoner.ingest import units as units_module
from reasoner.ingest.tables import ImplausibleValue, UnitError, UnitTable
from reasoner.ingest.units import UCUM_SYSTEM, unit_table
from reasoner.knowledge import parse_knowledge
from reasoner.resources import read_queries

ROOT = Path(__file__).resolve().parents[2]
PLATELETS, HEMOGLOBIN, PT, INR = "777-3", "718-7", "5902-2", "6301-6"
PREFIXES = """@prefix nec: <https://necessity.example/ns#> . @prefix loinc: <https://necessity.example/code/loinc/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


def _aliases() -> list[tuple[str, str]]:
    graph = Graph().parse(ROOT / "kg" / "units" / "aliases.ttl")
    rows = graph.query(read_queries().text("ingest/unit-aliases.rq"))
    return sorted((str(row.spelling), str(row.ucum)) for row in rows)  # type: ignore[union-attr]


ALIASES = _aliases()


@pytest.fixture(scope="module")
def units() -> UnitTable:
    return unit_table(parse_knowledge(resources.data_root()), read_queries())


def analyte_for(units: UnitTable, ucum: str) -> str:
    """An analyte whose canonical unit ``ucum`` converts to."""
    return next(loinc for loinc in sorted(units.canonical) if units.factor(loinc, ucum) is not None)


def test_the_aliases_include_the_us_spellings_of_the_issue():
    spellings = {spelling for spelling, _ in ALIASES}
    assert {"K/uL", "x10E3/uL", "10^3/uL", "g/dl", "10*3/mm3", "thou/uL", "10^9/L", "x10(9)/L", "mg/dl",
            "sec", "INR"} <= spellings


@pytest.mark.parametrize("spelling, ucum", ALIASES)
def test_every_alias_converts_as_the_ucum_code_it_stands_for(units, spelling, ucum):
    loinc = analyte_for(units, ucum)
    expected, canonical, _ = units.normalize(loinc, Decimal("2"), ucum, None)
    for written in (spelling, spelling.upper(), f" {spelling.replace('u', 'µ')} "):
        value, unit, how = units.normalize(loinc, Decimal("2"), None, written)
        assert (value, unit) == (expected, canonical)
        assert how in (f"unit text {written.strip()!r}", f"unit {written.strip()!r} (alias of {ucum})")


def test_an_alias_is_used_only_when_the_text_is_not_ucum_for_the_analyte(units):
    assert units.normalize(PLATELETS, Decimal("45"), None, "K/uL")[2] == "unit 'K/uL' (alias of 10*3/uL)"
    assert units.normalize(PLATELETS, Decimal("45"), None, "10^3/uL")[2] == "unit text '10^3/uL'"
    assert units.normalize(PT, Decimal("12"), None, "SEC")[2] == "unit 'SEC' (alias of s)"


@pytest.mark.parametrize("loinc", ["6690-2", "751-8", PLATELETS, HEMOGLOBIN, PT, INR])
def test_every_canonical_unit_round_trips(units, loinc):
    canonical = units.canonical[loinc]
    for code, text, how in ((canonical, None, f"UCUM code {canonical}"), (None, canonical, f"unit text {canonical!r}"),
                            (canonical, canonical, f"UCUM code {canonical}")):
        value, unit, read = units.normalize(loinc, Decimal("1.25"), code, text)
        assert (value, unit, read) == (Decimal("1.25"), canonical, how)
        assert str(value) == "1.25"


@pytest.mark.parametrize("value, ucum, expected", [
    ("45", "10*9/L", "45"), ("45000", "/uL", "45"), ("45000", "/mm3", "45"), ("45", "10*3/mm3", "45"),
    ("1", "/uL", "0.001"), ("3", "/mm3", "0.003"), ("0.3", "10*6/L", "0.0003"), ("45", "/nL", "45"),
    ("45000", "{cells}/uL", "45")])
def test_counts_convert_to_thousands_per_microlitre_exactly(units, value, ucum, expected):
    converted, unit, how = units.normalize(PLATELETS, Decimal(value), ucum, None)
    assert (converted, unit, how) == (Decimal(expected), "10*3/uL", f"UCUM code {ucum}")
    assert format(converted.normalize(), "f") == expected


def test_the_factors_are_exact_decimals(units):
    assert str(units.factor(PLATELETS, "/mm3")) == "0.001"
    assert str(units.factor(PLATELETS, "10*9/L")) == "1"
    assert str(units.factor(PLATELETS, "/nL")) == "1"
    assert str(units.factor(HEMOGLOBIN, "g/L")) == "0.1"
    assert str(units.factor(HEMOGLOBIN, "mg/dL")) == "0.001"
    assert str(units.factor(PT, "min")) == "60"


@pytest.mark.parametrize("value, ucum, expected", [
    ("80", "g/L", "8"), ("8000", "mg/dL", "8"), ("12.5", "g/dL", "12.5"), ("125", "g/L", "12.5"),
    ("12500", "mg/dL", "12.5")])
def test_masses_convert_to_grams_per_decilitre_exactly(units, value, ucum, expected):
    converted, unit, _ = units.normalize(HEMOGLOBIN, Decimal(value), ucum, None)
    assert (converted, unit) == (Decimal(expected), "g/dL")


def test_the_unit_text_is_read_when_there_is_no_code(units):
    assert units.normalize(PLATELETS, Decimal("45"), None, "10*9/L") == (Decimal("45"), "10*3/uL",
                                                                          "unit text '10*9/L'")
    assert units.normalize(PLATELETS, Decimal("45"), "", " 10*9/L ")[2] == "unit text '10*9/L'"
    with pytest.raises(UnitError) as error:
        units.normalize(PLATELETS, Decimal("45"), None, "mmol/L")
    assert error.value.field == "valueQuantity.unit"
    assert "unit 'mmol/L' cannot be converted to 10*3/uL (LOINC 777-3)" in str(error.value)


def test_a_code_that_does_not_convert_gives_way_to_a_text_that_does(units):
    assert units.normalize(PLATELETS, Decimal("45"), "K/uL", "K/uL")[2] == (
        "unit 'K/uL' (alias of 10*3/uL); code 'K/uL' does not convert")
    assert units.normalize(PLATELETS, Decimal("45"), "10*9/L", "K/uL")[2] == "UCUM code 10*9/L"


def test_a_code_of_another_system_is_not_read_as_ucum(units):
    assert units.normalize(PLATELETS, Decimal("45"), "10*9/L", None, system=UCUM_SYSTEM)[2] == "UCUM code 10*9/L"
    local = "http://lab.example/units"
    assert units.normalize(PLATELETS, Decimal("45"), "KUL", "K/uL", system=local)[2] == (
        f"unit 'K/uL' (alias of 10*3/uL); code 'KUL' is of the system {local}, not UCUM")
    with pytest.raises(UnitError) as error:
        units.normalize(PLATELETS, Decimal("45"), "10*9/L", None, system=local)
    assert error.value.field == "valueQuantity.code" and f"its system is {local}" in str(error.value)


@pytest.mark.parametrize("code, text, field, named", [
    ("mmol/L", None, "valueQuantity.code", "'mmol/L' cannot be converted to 10*3/uL (LOINC 777-3): UCUM reads it"),
    ("K/uL", None, "valueQuantity.code", "'K/uL' cannot be converted to 10*3/uL (LOINC 777-3): UCUM reads it as kel"),
    ("mmol/L", "mmol per L", "valueQuantity.code", "'mmol/L' cannot be converted to 10*3/uL (LOINC 777-3)"),
    (None, "furlong", "valueQuantity.unit", "'furlong' cannot be converted to 10*3/uL (LOINC 777-3): not a UCUM"),
    (None, "thou", "valueQuantity.unit", "'thou' cannot be converted to 10*3/uL (LOINC 777-3): not a UCUM unit (nor"),
    ("thou/uL", None, "valueQuantity.code", "'thou/uL' cannot be converted to 10*3/uL (LOINC 777-3): not a UCUM unit"),
    ("{rbc}/uL", None, "valueQuantity.code", "'{rbc}/uL' cannot be converted to 10*3/uL (LOINC 777-3): UCUM gives"),
    ("10*3/uL" * 400, None, "valueQuantity.code", "cannot be converted to 10*3/uL"),
    (None, None, "valueQuantity.unit", "no unit: a number cannot be converted to 10*3/uL (LOINC 777-3)")])
def test_a_unit_that_does_not_convert_is_refused_naming_it_and_its_field(units, code, text, field, named):
    with pytest.raises(UnitError) as error:
        units.normalize(PLATELETS, Decimal("45"), code, text)
    assert not isinstance(error.value, ImplausibleValue)
    assert error.value.field == field and named in str(error.value)
    if code and text:
        assert f"nor can its text {text!r}" in str(error.value)


def test_the_inr_is_a_pure_number_in_the_units_the_knowledge_accepts(units):
    for code in ("{INR}", "1", "{ratio}"):
        assert units.normalize(INR, Decimal("1.2"), code, None)[:2] == (Decimal("1.2"), "{INR}")
    assert units.normalize(INR, Decimal("1.2"), None, "INR")[2] == "unit 'INR' (alias of {INR})"
    assert units.normalize(INR, Decimal("1.2"), None, None) == (Decimal("1.2"), "{INR}", "no unit (a number: UCUM's 1)")
    for code in ("%", "{cells}", "10*3", "[ppm]"):  # commensurable in UCUM, but no INR
        with pytest.raises(UnitError, match="the analyte is a pure number, given only as 1, {INR}, {ratio}"):
            units.normalize(INR, Decimal("120"), code, None)


def test_annotations_are_accepted_only_where_the_knowledge_says(units):
    assert units.normalize(PLATELETS, Decimal("45000"), "{cells}/uL", None)[0] == Decimal("45")
    with pytest.raises(UnitError, match="annotated units the analyte accepts: none"):
        units.normalize(HEMOGLOBIN, Decimal("12"), "g{total}/dL", None)


@pytest.mark.parametrize("loinc, value, code", [
    (PLATELETS, "-4", "10*3/uL"), (PLATELETS, "45000", "10*3/uL"), (PLATELETS, "45", "10*12/L"),
    (HEMOGLOBIN, "80", "g/dL"), (HEMOGLOBIN, "8000", "g/L"), (INR, "-1", "{INR}"), (PT, "12", "h")])
def test_an_implausible_value_is_still_refused_after_conversion(units, loinc, value, code):
    with pytest.raises(ImplausibleValue) as error:
        units.normalize(loinc, Decimal(value), code, None)
    assert error.value.field == "valueQuantity.value"
    assert f"is outside what a laboratory can report for LOINC {loinc}" in str(error.value)


def test_reads_names_the_analytes_the_knowledge_reads(units):
    assert units.reads(PLATELETS) and units.reads(INR) and not units.reads("2345-7")


def test_the_pickled_table_converts_named_units_without_the_library(units, tmp_path):
    data = pickle.dumps(units)
    assert b"ucumvert" not in data and b"pint" not in data
    (tmp_path / "units.pickle").write_bytes(data)
    script = ("import pickle, sys; from decimal import Decimal; from pathlib import Path\n"
              f"table = pickle.loads(Path({str(tmp_path / 'units.pickle')!r}).read_bytes())\n"
              f"print(table.normalize({PLATELETS!r}, Decimal(45), '10*3/uL', None)[0],\n"
              f"      table.normalize({PLATELETS!r}, Decimal(45), None, 'K/uL')[0],\n"
              f"      table.normalize({INR!r}, Decimal('1.2'), '1', None)[0],\n"
              "      'ucumvert' in sys.modules, 'pint' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == ["45", "45", "1.2", "False", "False"]


def test_the_library_opens_no_connection(monkeypatch):
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    units_module._registry.cache_clear()  # built anew: definitions, grammar and parser
    units_module.ucum_factor.cache_clear()
    assert units_module.ucum_factor("10*6/L", "10*3/uL") == Decimal("0.001")
    assert units_module.ucum_reading("mmol/L") == "millimole / liter"
    assert attempts == []


def knowledge(turtle: str) -> Graph:
    analytes = """loinc:777-3 rdfs:subClassOf nec:LOINCCode ; skos:notation "777-3" ; nec:canonicalUnit "10*3/uL" ;
        nec:plausibleMinimum 0 ; nec:plausibleMaximum 5000 .
    loinc:718-7 rdfs:subClassOf nec:LOINCCode ; skos:notation "718-7" ; nec:canonicalUnit "g/dL" ."""
    return Graph().parse(data=PREFIXES + analytes + turtle, format="turtle")


@pytest.mark.parametrize("turtle, problem", [
    ('[] a nec:UnitAlias ; nec:unitSpelling "mg/dl" ; nec:ucumCode "g/dL" .', "but UCUM reads it as milligram"),
    ('[] a nec:UnitAlias ; nec:unitSpelling "K/uL" ; nec:ucumCode "10*3/uL" . '
     '[] a nec:UnitAlias ; nec:unitSpelling "k/ul" ; nec:ucumCode "/uL" .', "stands for both"),
    ('[] a nec:UnitAlias ; nec:unitSpelling "K/uL" ; nec:ucumCode "K/uL/" .', "is not a UCUM unit"),
    ('[] a nec:UnitAlias ; nec:unitSpelling "sec" ; nec:ucumCode "s" .', "converts to no canonical unit"),
    ('loinc:777-3 nec:acceptedUnit "{cells/uL" .', "is not a UCUM unit")])
def test_wrong_unit_knowledge_is_refused_when_compiled(turtle, problem):
    with pytest.raises(KnowledgeError, match=problem):
        unit_table(knowledge(turtle), read_queries())


def test_a_small_knowledge_builds_its_table():
    alias = '[] a nec:UnitAlias ; nec:unitSpelling "K/uL" ; nec:ucumCode "10*3/uL" .'
    table = unit_table(knowledge(alias), read_queries())
    assert table.aliases == {"k/ul": "10*3/uL"} and table.dimensionless == frozenset()
    assert table.factors[("10*3/uL", "g/dL")] is None and table.factors[("10*3/uL", "10*3/uL")] == 1
    assert table.normalize("777-3", Decimal("45"), None, "K/UL")[:2] == (Decimal("45"), "10*3/uL")
