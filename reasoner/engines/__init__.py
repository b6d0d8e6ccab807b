"""Inference engines behind one protocol, ``Engine``: ``entail(facts)`` returns what the engine derives
from one claim's facts with the closed knowledge, beyond the closed knowledge itself.

``ReferenceEngine`` closes the knowledge and the facts together with owlrl (the definition of right,
seconds per claim); ``FastEngine`` applies the OWL 2 RL rules the knowledge uses, compiled once from the
closed knowledge, to the claim's facts only. The CLI makes one engine object, once, and passes it in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from rdflib import Graph
from rdflib.term import Node

from reasoner.engines import fast

Triple = tuple[Node, Node, Node]


class Engine(Protocol):
    """An inference engine for one knowledge: ``name`` (fast or reference), a ``description`` for the
    outputs, and ``entail``."""

    name: str
    description: str

    def entail(self, facts: Graph, focused: bool = False) -> Iterable[Triple]:
        """What OWL 2 RL derives from ``facts`` with the closed knowledge, beyond the closed knowledge.
        ``focused``: what bears only on recommendations and rules that none of the facts' claim lines bears
        on may be left out (the decision never reads them); otherwise everything."""
        ...


class FastEngine:
    """The OWL 2 RL rules the knowledge uses, compiled into lookup tables, applied to a claim's facts."""

    name = "fast"
    description = "fast (OWL 2 RL rules compiled from the closed knowledge base)"

    def __init__(self, rules: fast.Rules) -> None:
        self.rules = rules

    def entail(self, facts: Graph, focused: bool = False) -> Iterable[Triple]:
        """The facts' entailments under the compiled rules (milliseconds); ``focused``: without the memberships
        in the class expressions of the sources no line bears on (``fast.focusable``)."""
        return fast.infer(self.rules, facts, focused)


class ReferenceEngine:
    """owlrl's OWL 2 RL closure of the knowledge (as asserted) and a claim's facts together."""

    name = "reference"
    description = "reference (owlrl OWL 2 RL closure)"

    def __init__(self, knowledge: Graph, closed: frozenset[Triple]) -> None:
        self.knowledge = knowledge
        self.closed = closed

    def entail(self, facts: Graph, focused: bool = False) -> Iterable[Triple]:
        """Everything owlrl derives from the knowledge and ``facts`` that the closed knowledge does not hold
        already (seconds), ``focused`` or not."""
        from reasoner.engines import reference  # owlrl, imported only by those who close with it

        return [t for t in reference.entailments(self.knowledge, facts) if t not in self.closed]
