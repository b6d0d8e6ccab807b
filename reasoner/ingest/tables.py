"""Reference tables read from the knowledge base for ingest: UCUM unit conversions (each lab value the
knowledge base reads is converted to its analyte's canonical unit with ``kg/units/ucum.ttl``; any
other unit is an error), the answer type of each documentation question, the code classes the
knowledge base declares, the form of each code system's codes (``kg/codes/code-systems.ttl``: a code
from a request becomes an IRI of its system only when it has that form) and the plausible age.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rdflib import Graph, URIRef

from reasoner import resources


class UnitError(ValueError):
    """A unit that cannot be converted to the analyte's canonical unit."""

    field = "valueQuantity.code"


class ImplausibleValue(UnitError):
    """A value outside what a laboratory can report for the analyte (a data error)."""

    field = "valueQuantity.value"


@dataclass(frozen=True)
class UnitTable:
    """Canonical unit per LOINC code, and conversion factors to it."""

    canonical: dict[str, str]
    factors: dict[tuple[str, str], Decimal]
    plausible: dict[str, tuple[Decimal, Decimal]]

    def reads(self, loinc: str) -> bool:
        """Whether the knowledge base reads this analyte (and so its unit must convert)."""
        return loinc in self.canonical

    def normalize(self, loinc: str, value: Decimal, unit: str | None) -> tuple[Decimal, str]:
        """Return ``value`` converted to the canonical unit of ``loinc``, and that unit; UnitError when the
        unit does not convert or the value is outside the analyte's plausible range."""
        target = self.canonical[loinc]
        factor = self.factors.get((loinc, unit or ""))
        if factor is None:
            raise UnitError(f"unit {unit!r} cannot be converted to {target} (LOINC {loinc})")
        converted = value * factor
        low, high = self.plausible.get(loinc, (converted, converted))  # a range is required by necessity check
        if not low <= converted <= high:
            shown = format(converted.normalize(), "f")
            raise ImplausibleValue(f"{shown} {target} is outside what a laboratory can report for LOINC {loinc} "
                                   f"({low} to {high} {target}): a data error (a sign or a unit?)")
        return converted, target


@dataclass(frozen=True)
class Tables:
    """What ingest needs from the knowledge base."""

    units: UnitTable
    answer_types: dict[str, str]
    declared_codes: frozenset[URIRef]
    code_forms: dict[str, str] = field(default_factory=dict)
    max_age: int | None = None

    def declares(self, code: URIRef) -> bool:
        """Whether the knowledge base declares this billing, drug or other code class."""
        return code in self.declared_codes

    def has_form(self, namespace: str, code: str) -> bool:
        """Whether ``code`` has the form of the codes of the system whose classes live in ``namespace`` (so
        that it may become the IRI ``namespace + code``); False for a system without a form."""
        form = self.code_forms.get(namespace)
        return form is not None and re.fullmatch(form, code) is not None

    def check_answer(self, link_id: str, value: bool | int | str) -> None:
        """Raise AnswerError when a known question is answered with a value of the wrong type."""
        expected = self.answer_types.get(link_id)
        given = "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else "string"
        if expected is not None and expected != given:
            raise AnswerError(f"{link_id} takes {_article(expected)} answer, not {_article(given)} ({value!r})")


class AnswerError(ValueError):
    """A documentation answer of the wrong type for its question."""


def reference_tables(knowledge: Graph) -> Tables:
    """Read the unit table, the question answer types and the declared codes from the knowledge graph."""
    rows: Any = knowledge.query(resources.query_text("ingest/question-types.rq"))
    types = {str(row.linkId): str(row.answerType).rsplit("#", 1)[1] for row in rows}
    codes: Any = knowledge.query(resources.query_text("ingest/declared-codes.rq"))
    forms: Any = knowledge.query(resources.query_text("ingest/code-forms.rq"))
    ages: Any = knowledge.query(resources.query_text("ingest/plausible-age.rq"))
    return Tables(units=_unit_table(knowledge), answer_types=types,
                  declared_codes=frozenset(row.code for row in codes),
                  code_forms={str(row.namespace): str(row.form) for row in forms},
                  max_age=min((int(row.maximum) for row in ages), default=None))


def _unit_table(knowledge: Graph) -> UnitTable:
    canonical: dict[str, str] = {}
    factors: dict[tuple[str, str], Decimal] = {}
    plausible: dict[str, tuple[Decimal, Decimal]] = {}
    rows: Any = knowledge.query(resources.query_text("ingest/lab-units.rq"))
    for row in rows:
        canonical[str(row.loinc)] = str(row.canonical)
        if row.minimum is not None:
            plausible[str(row.loinc)] = (Decimal(str(row.minimum)), Decimal(str(row.maximum)))
        if row.fromUnit is not None:
            factors[(str(row.loinc), str(row.fromUnit))] = Decimal(str(row.factor))
    return UnitTable(canonical=canonical, factors=factors, plausible=plausible)


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"
