"""UCUM unit normalization at ingest: each lab value the knowledge base reads is converted to its
analyte's canonical unit with the conversions of ``kg/units/ucum.ttl``; anything else is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rdflib import Graph

from reasoner import resources


class UnitError(ValueError):
    """A unit that cannot be converted to the analyte's canonical unit."""


@dataclass(frozen=True)
class UnitTable:
    """Canonical unit per LOINC code, and conversion factors to it."""

    canonical: dict[str, str]
    factors: dict[tuple[str, str], Decimal]

    def reads(self, loinc: str) -> bool:
        """Whether the knowledge base reads this analyte (and so its unit must convert)."""
        return loinc in self.canonical

    def normalize(self, loinc: str, value: Decimal, unit: str | None) -> tuple[Decimal, str]:
        """Return ``value`` converted to the canonical unit of ``loinc``, and that unit."""
        target = self.canonical[loinc]
        factor = self.factors.get((loinc, unit or ""))
        if factor is None:
            raise UnitError(f"unit {unit!r} cannot be converted to {target} (LOINC {loinc})")
        return value * factor, target


def unit_table(knowledge: Graph) -> UnitTable:
    """Read the unit table from the knowledge graph."""
    canonical: dict[str, str] = {}
    factors: dict[tuple[str, str], Decimal] = {}
    rows: Any = knowledge.query(resources.query_text("ingest/lab-units.rq"))
    for row in rows:
        canonical[str(row.loinc)] = str(row.canonical)
        if row.fromUnit is not None:
            factors[(str(row.loinc), str(row.fromUnit))] = Decimal(str(row.factor))
    return UnitTable(canonical=canonical, factors=factors)
