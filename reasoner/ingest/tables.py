"""Reference tables read from the knowledge base for ingest: the lab units (``reasoner/ingest/units.py``:
each lab value the knowledge base reads is converted to its analyte's canonical unit by UCUM arithmetic,
with the aliases and accepted units of ``kg/units/``), the answer type of each documentation question,
the code classes the knowledge base declares, the code systems (``reasoner/ingest/systems.py``: a code
from a request becomes an IRI of its system only when it has that system's form), the plausible age, the
claim text classes with their patterns, and the ICD-10-CM hierarchy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, URIRef
from rdflib.term import Node

from reasoner.errors import KnowledgeError
from reasoner.hierarchy import Hierarchy
from reasoner.ingest.systems import CodeSystems, code_systems
from reasoner.ingest.units import ImplausibleValue as ImplausibleValue
from reasoner.ingest.units import UnitError as UnitError
from reasoner.ingest.units import UnitTable, unit_table
from reasoner.resources import Queries


@dataclass(frozen=True)
class Tables:
    """What ingest needs from the knowledge base."""

    units: UnitTable
    answer_types: dict[str, str]
    declared_codes: frozenset[URIRef]
    systems: CodeSystems
    hierarchy: Hierarchy
    max_age: int | None = None
    text_classes: tuple[tuple[Node, re.Pattern[str]], ...] = field(default=())

    def text_classes_of(self, text: str) -> list[Node]:
        """The claim text classes whose pattern matches ``text`` (what a claim calls a line), case-insensitively."""
        return [text_class for text_class, pattern in self.text_classes if pattern.search(text)]

    def declares(self, code: URIRef) -> bool:
        """Whether the knowledge base declares this billing, drug or other code class."""
        return code in self.declared_codes

    def check_answer(self, link_id: str, value: bool | int | str) -> None:
        """Raise AnswerError when a known question is answered with a value of the wrong type."""
        expected = self.answer_types.get(link_id)
        given = "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else "string"
        if expected is not None and expected != given:
            raise AnswerError(f"{link_id} takes {_article(expected)} answer, not {_article(given)} ({value!r})")


class AnswerError(ValueError):
    """A documentation answer of the wrong type for its question."""


def reference_tables(knowledge: Graph, queries: Queries, hierarchy: Hierarchy) -> Tables:
    """Read the unit table, the question answer types, the declared codes and the code systems from the
    knowledge graph with the ``ingest/`` queries, beside the ICD-10-CM ``hierarchy``."""
    rows: Any = knowledge.query(queries.text("ingest/question-types.rq"))
    types = {str(row.linkId): str(row.answerType).rsplit("#", 1)[1] for row in rows}
    codes: Any = knowledge.query(queries.text("ingest/declared-codes.rq"))
    ages: Any = knowledge.query(queries.text("ingest/plausible-age.rq"))
    return Tables(units=unit_table(knowledge, queries), answer_types=types,
                  declared_codes=frozenset(row.code for row in codes), systems=code_systems(knowledge, queries),
                  hierarchy=hierarchy, max_age=min((int(row.maximum) for row in ages), default=None),
                  text_classes=_text_classes(knowledge, queries))


def _text_classes(knowledge: Graph, queries: Queries) -> tuple[tuple[Node, re.Pattern[str]], ...]:
    """Each claim text class with its pattern compiled (case-insensitive); a pattern that does not compile is
    an error of the knowledge, naming it."""
    rows: Any = knowledge.query(queries.text("ingest/claim-text-classes.rq"))
    classes = []
    for row in rows:
        try:
            classes.append((row.textClass, re.compile(str(row.pattern), re.IGNORECASE)))
        except re.error as exc:
            raise KnowledgeError(f"the claim text pattern {str(row.pattern)!r} is not a regular expression: {exc}") \
                from exc
    return tuple(classes)


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"
