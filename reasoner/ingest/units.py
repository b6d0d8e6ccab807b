"""Lab units: each lab value the knowledge reads is converted to its analyte's canonical UCUM unit
(``kg/codes/loinc.ttl``) by UCUM arithmetic, with the ucumvert parser over pint
(``docs/decisions/0012-ucum-units.md``). What UCUM cannot know is knowledge in ``kg/units/``: the
spellings of US laboratory feeds that are not UCUM (``aliases.ttl``), and per analyte the units with an
annotation or without a dimension it accepts and its plausible range (``ucum.ttl``).

A unit is read as the first of these that converts: the ``code`` as UCUM (unless its system is another
than UCUM's), the ``unit`` text as UCUM, the text as an alias (ignoring case, spaces and the micro
sign). No unit at all is a pure number, UCUM's 1. A unit with an annotation (``{...}``: UCUM gives it
no meaning) and any unit of an analyte whose canonical unit is dimensionless (every two dimensionless
units are commensurable in UCUM: 120 % would be an INR of 1.2) convert only when the analyte accepts
them. The factor is exact: pint computes it with fractions, and it is kept as a Decimal.

The factors of the units the knowledge names (canonical, accepted, aliases and their spellings) are
computed when the knowledge is compiled and kept in the table, plain Decimals (the table is pickled into
the knowledge cache); any other unit, a spelling of an alias in other capitals too, loads the library's
registry once per process (about half a second) and its factor is remembered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any

from rdflib import Graph

from reasoner.errors import KnowledgeError
from reasoner.resources import Queries

UCUM_SYSTEM = "http://unitsofmeasure.org"
CODE_FIELD = "valueQuantity.code"
UNIT_FIELD = "valueQuantity.unit"
NUMBER = "1"  # UCUM's unity: the unit of a value given without one
_ANNOTATION = re.compile(r"\{[^{}]*\}")
_LEADING_ANNOTATION = re.compile(r"(^|[./(])\{[^{}]*\}")


class UnitError(ValueError):
    """A unit that cannot be converted to the analyte's canonical unit; ``field`` names the input field
    it was read from (valueQuantity.code or valueQuantity.unit)."""

    field = CODE_FIELD

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class ImplausibleValue(UnitError):
    """A value outside what a laboratory can report for the analyte (a data error)."""

    field = "valueQuantity.value"


@dataclass(frozen=True)
class _Reading:
    """One way of reading the unit of a result: the UCUM code it gives, how it was read, from which field."""

    ucum: str
    how: str
    field: str


@dataclass(frozen=True)
class UnitTable:
    """Canonical unit, plausible range and accepted annotated or dimensionless units per LOINC code; the
    unit aliases (folded spelling -> UCUM code); the factors computed when the knowledge was compiled
    ((UCUM code, canonical unit) -> factor, None when they are not commensurable)."""

    canonical: dict[str, str]
    plausible: dict[str, tuple[Decimal, Decimal]]
    accepted: dict[str, frozenset[str]] = field(default_factory=dict)
    dimensionless: frozenset[str] = frozenset()
    aliases: dict[str, str] = field(default_factory=dict)
    factors: dict[tuple[str, str], Decimal | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # UCUM code -> as people read it (kg/units/labels.ttl)

    def label(self, unit: str) -> str:
        """The UCUM code ``unit`` as a person reads it ("×10³/µL" for 10*3/uL), or the code itself."""
        return self.labels.get(unit, unit)

    def reads(self, loinc: str) -> bool:
        """Whether the knowledge base reads this analyte (and so its unit must convert)."""
        return loinc in self.canonical

    def normalize(self, loinc: str, value: Decimal, code: str | None, text: str | None, *,
                  system: str | None = None) -> tuple[Decimal, str, str]:
        """Return ``value`` converted to the canonical unit of ``loinc``, that unit, and how the unit was read
        (``code``: valueQuantity.code, used when ``system`` is UCUM's or None; ``text``: valueQuantity.unit).
        Raise UnitError (its ``field`` the one read) when no reading converts, ImplausibleValue when the
        converted value is outside the analyte's plausible range."""
        code, text = _given(code), _given(text)
        readings = self._readings(code, text, system)
        for reading in readings:
            factor = self.factor(loinc, reading.ucum)
            if factor is not None:
                converted = value * factor
                self._check_plausible(loinc, converted)
                return converted, self.canonical[loinc], _how(reading, code, system)
        raise self._refusal(loinc, code, text, system, readings)

    def factor(self, loinc: str, ucum: str) -> Decimal | None:
        """The factor from the UCUM code ``ucum`` to the canonical unit of ``loinc``, or None when it does not
        convert (not UCUM, not commensurable, or an annotated or dimensionless unit the analyte does not accept)."""
        target = self.canonical[loinc]
        if ucum != target and self._restricted(loinc, ucum) and ucum not in self.accepted.get(loinc, ()):
            return None
        if (ucum, target) in self.factors:
            return self.factors[(ucum, target)]
        return ucum_factor(ucum, target)

    def alias(self, spelling: str) -> str | None:
        """The UCUM code an alias spelling stands for (ignoring case, spaces and the micro sign), or None."""
        return self.aliases.get(_folded(spelling))

    def _restricted(self, loinc: str, ucum: str) -> bool:
        return loinc in self.dimensionless or _ANNOTATION.search(ucum) is not None

    def _readings(self, code: str | None, text: str | None, system: str | None) -> list[_Reading]:
        readings = []
        if code is not None and _is_ucum(system):
            readings.append(_Reading(code, f"UCUM code {code}", CODE_FIELD))
        if text is not None:
            readings.append(_Reading(text, f"unit text {text!r}", UNIT_FIELD))
            alias = self.alias(text)
            if alias is not None:
                readings.append(_Reading(alias, f"unit {text!r} (alias of {alias})", UNIT_FIELD))
        if code is None and text is None:
            readings.append(_Reading(NUMBER, f"no unit (a number: UCUM's {NUMBER})", UNIT_FIELD))
        return readings

    def _check_plausible(self, loinc: str, converted: Decimal) -> None:
        target = self.canonical[loinc]
        low, high = self.plausible.get(loinc, (converted, converted))  # a range is required by necessity check
        if not low <= converted <= high:
            shown = format(converted.normalize(), "f")
            raise ImplausibleValue(f"{shown} {target} is outside what a laboratory can report for LOINC {loinc} "
                                   f"({low} to {high} {target}): a data error (a sign or a unit?)")

    def _refusal(self, loinc: str, code: str | None, text: str | None, system: str | None,
                 readings: list[_Reading]) -> UnitError:
        target = self.canonical[loinc]
        if code is None and text is None:
            return UnitError(f"no unit: a number cannot be converted to {target} (LOINC {loinc})", UNIT_FIELD)
        given, where = (code, CODE_FIELD) if code is not None else (text, UNIT_FIELD)
        message = f"unit {given!r} cannot be converted to {target} (LOINC {loinc})"
        if code is not None and not _is_ucum(system):
            message += f": its system is {system}, not UCUM"
        elif readings:
            message += f": {self._why(loinc, readings[0])}"
        if code is not None and text is not None and text != code:
            message += f"; nor can its text {text!r}"
        return UnitError(message, where)

    def _why(self, loinc: str, first: _Reading) -> str:
        """Why the first reading (the code's, else the text's) does not convert."""
        reading = ucum_reading(first.ucum)
        if reading is None:
            alias = " (nor a spelling of kg/units/aliases.ttl)" if first.field == UNIT_FIELD else ""
            return f"not a UCUM unit{alias}"
        if self._restricted(loinc, first.ucum) and ucum_factor(first.ucum, self.canonical[loinc]) is not None:
            return self._not_accepted(loinc)
        return f"UCUM reads it as {reading}"

    def _not_accepted(self, loinc: str) -> str:
        accepted = sorted(self.accepted.get(loinc, ()))
        if loinc in self.dimensionless:
            shown = ", ".join(sorted({self.canonical[loinc], *accepted}))
            return f"the analyte is a pure number, given only as {shown} (kg/units/ucum.ttl)"
        shown = ", ".join(accepted) or "none"
        return f"UCUM gives an annotation no meaning; annotated units the analyte accepts: {shown} (kg/units/ucum.ttl)"


def unit_table(knowledge: Graph, queries: Queries) -> UnitTable:
    """Read the canonical units, plausible ranges, accepted units and aliases from the knowledge graph, and
    compute the factor of every unit it names to every canonical unit; KnowledgeError when a unit it names is
    not UCUM, or an alias that UCUM reads as another unit."""
    canonical, plausible = _analytes(knowledge, queries)
    accepted = _accepted(knowledge, queries)
    rows = _alias_rows(knowledge, queries)
    aliases = _aliases(rows)
    named = {*canonical.values(), *aliases.values(), *(u for units in accepted.values() for u in units)}
    for unit in sorted(named):
        if ucum_reading(unit) is None:
            raise KnowledgeError(f"{unit!r} (kg/units/ or kg/codes/loinc.ttl) is not a UCUM unit")
    targets = set(canonical.values())
    spellings = {spelling for spelling, _ in rows}  # a text is read as UCUM before as an alias
    factors = {(unit, target): ucum_factor(unit, target) for unit in named | spellings for target in targets}
    _check_aliases(rows, targets)
    dimensionless = frozenset(loinc for loinc, unit in canonical.items() if ucum_factor(unit, NUMBER) is not None)
    return UnitTable(canonical=canonical, plausible=plausible, accepted=accepted, dimensionless=dimensionless,
                     aliases=aliases, factors=factors, labels=_labels(knowledge, queries))


def _labels(knowledge: Graph, queries: Queries) -> dict[str, str]:
    rows: Any = knowledge.query(queries.text("ingest/unit-labels.rq"))
    return {str(row.ucum): str(row.label) for row in rows}


def _analytes(knowledge: Graph, queries: Queries) -> tuple[dict[str, str], dict[str, tuple[Decimal, Decimal]]]:
    canonical: dict[str, str] = {}
    plausible: dict[str, tuple[Decimal, Decimal]] = {}
    rows: Any = knowledge.query(queries.text("ingest/lab-units.rq"))
    for row in rows:
        canonical[str(row.loinc)] = str(row.canonical)
        if row.minimum is not None:
            plausible[str(row.loinc)] = (Decimal(str(row.minimum)), Decimal(str(row.maximum)))
    return canonical, plausible


def _accepted(knowledge: Graph, queries: Queries) -> dict[str, frozenset[str]]:
    accepted: dict[str, set[str]] = {}
    rows: Any = knowledge.query(queries.text("ingest/accepted-units.rq"))
    for row in rows:
        accepted.setdefault(str(row.loinc), set()).add(str(row.unit))
    return {loinc: frozenset(units) for loinc, units in accepted.items()}


def _aliases(rows: list[tuple[str, str]]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for spelling, ucum in rows:
        known = aliases.setdefault(_folded(spelling), ucum)
        if known != ucum:
            raise KnowledgeError(f"the unit alias {spelling!r} (kg/units/aliases.ttl) stands for both {known} and "
                                 f"{ucum} (aliases are read ignoring case, spaces and the micro sign)")
    return aliases


def _alias_rows(knowledge: Graph, queries: Queries) -> list[tuple[str, str]]:
    rows: Any = knowledge.query(queries.text("ingest/unit-aliases.rq"))
    return sorted((str(row.spelling), str(row.ucum)) for row in rows)


def _check_aliases(rows: list[tuple[str, str]], targets: Iterable[str]) -> None:
    """An alias spelling that UCUM reads too must mean the same unit to every canonical unit (the text is read
    as UCUM first, so the alias would never be used); and each alias must convert to some canonical unit."""
    for spelling, ucum in rows:
        meant = {target: ucum_factor(ucum, target) for target in targets}
        if all(factor is None for factor in meant.values()):
            raise KnowledgeError(f"the unit alias {spelling!r} stands for {ucum}, which converts to no canonical "
                                 "unit of kg/codes/loinc.ttl")
        read = {target: ucum_factor(spelling, target) for target in targets}
        if any(factor is not None and factor != meant[target] for target, factor in read.items()):
            raise KnowledgeError(f"the unit alias {spelling!r} stands for {ucum}, but UCUM reads it as "
                                 f"{ucum_reading(spelling)}, and the text is read as UCUM first")


def _given(unit: str | None) -> str | None:
    """A unit as given, stripped; None when absent or blank."""
    if unit is None:
        return None
    return unit.strip() or None


def _is_ucum(system: str | None) -> bool:
    return system is None or system == UCUM_SYSTEM


def _how(reading: _Reading, code: str | None, system: str | None) -> str:
    """How the unit was read, and why not by the code when there was one."""
    if reading.field == CODE_FIELD or code is None:
        return reading.how
    if not _is_ucum(system):
        return f"{reading.how}; code {code!r} is of the system {system}, not UCUM"
    return f"{reading.how}; code {code!r} does not convert"


def _folded(spelling: str) -> str:
    """A spelling as aliases are matched: without spaces, the micro sign as u, case folded."""
    return "".join(spelling.split()).replace("\u00b5", "u").replace("\u03bc", "u").casefold()


# UCUM arithmetic: the library, loaded when first needed and never pickled.

@cache
def _registry() -> Any:
    """The UCUM-aware pint registry, exact (fractions): about half a second to build, once per process."""
    from ucumvert import PintUcumRegistry  # imported here: importing ucumvert and pint takes a tenth of a second

    return PintUcumRegistry(non_int_type=Fraction)


@lru_cache(maxsize=4096)
def ucum_factor(ucum: str, target: str) -> Decimal | None:
    """The exact factor that turns a value in the UCUM unit ``ucum`` into one in ``target``, or None when either
    is not UCUM or they are not commensurable. Annotations count as UCUM says: for nothing."""
    try:
        given, wanted = _quantity(ucum), _quantity(target)
        ratio = _registry().Quantity(Fraction(1), given.units).to(wanted.units).magnitude
        return _decimal(_fraction(ratio) * _fraction(given.magnitude) / _fraction(wanted.magnitude))
    except Exception:  # noqa: BLE001 - the parser and pint raise many types (and RecursionError on a huge unit)
        return None


@lru_cache(maxsize=4096)
def ucum_reading(ucum: str) -> str | None:
    """How UCUM reads a unit, in pint's words (``kelvin / microliter``), or None when it is not UCUM."""
    try:
        return str(_quantity(ucum).units)
    except Exception:  # noqa: BLE001 - as in ucum_factor
        return None


def _quantity(ucum: str) -> Any:
    """The pint quantity of a UCUM unit, its annotations dropped (a bare annotation is the unity)."""
    return _registry().from_ucum(_ANNOTATION.sub("", _LEADING_ANNOTATION.sub(r"\g<1>1", ucum)))


def _fraction(number: Any) -> Fraction:
    """A magnitude as an exact fraction: a float as its shortest decimal (1.0, never its binary expansion)."""
    return Fraction(repr(number)) if isinstance(number, float) else Fraction(number)


def _decimal(fraction: Fraction) -> Decimal:
    """A fraction as a Decimal: exact for the powers of ten of UCUM's prefixes and units."""
    with localcontext() as context:
        context.prec = 40
        return Decimal(fraction.numerator) / Decimal(fraction.denominator)
