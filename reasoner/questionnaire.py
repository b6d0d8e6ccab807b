"""The documentation a claim line billed with a code needs (``necessity questionnaire``): the
questions the knowledge's criteria ask (``queries/questionnaire/questions.rq``), each with the
QuestionnaireResponse linkId that ``determine`` reads back, its answer type, and what asks it.
"""

from __future__ import annotations

import threading
from typing import Any

from reasoner.determine import select
from reasoner.errors import NecessityError
from reasoner.knowledge import Knowledge
from reasoner.results import DocumentationNeeds, Question

_NEEDS: dict[str, dict[str, DocumentationNeeds]] = {}  # by knowledge version: each billing code's needs
_NEEDS_LOCK = threading.Lock()


def documentation_needs(code: str, knowledge: Knowledge) -> DocumentationNeeds:
    """The questions a line billed with ``code`` may need answered; an error for a code the
    knowledge does not declare."""
    needs = all_documentation_needs(knowledge)
    if code not in needs:
        raise NecessityError(f"{code}: not a billing code of the knowledge base "
                             f"(known: {', '.join(sorted(needs))})")
    return needs[code]


def all_documentation_needs(knowledge: Knowledge) -> dict[str, DocumentationNeeds]:
    """The documentation needs of every billing code of the knowledge, queried once per knowledge version."""
    with _NEEDS_LOCK:
        if knowledge.version not in _NEEDS:
            _NEEDS[knowledge.version] = _query_needs(knowledge)
        return _NEEDS[knowledge.version]


def _query_needs(knowledge: Knowledge) -> dict[str, DocumentationNeeds]:
    graph, queries = knowledge.store.whole(), knowledge.queries
    codes: Any = select(graph, queries.text("questionnaire/billing-codes.rq"))
    descriptions = {str(row.code): str(row.description or "") for row in codes}
    rows: Any = select(graph, queries.text("questionnaire/questions.rq"))
    asked: dict[str, dict[str, list[Any]]] = {}
    for row in rows:
        asked.setdefault(str(row.code), {}).setdefault(str(row.linkId), []).append(row)
    named: Any = select(graph, queries.text("questionnaire/answer-options.rq"))
    options: dict[str, list[str]] = {}
    for row in named:
        options.setdefault(str(row.linkId), []).append(str(row.option))
    return {code: DocumentationNeeds(code=code, description=description, questions=tuple(
        Question(link_id=link_id, text=str(found[0].text), answer_type=str(found[0].type),
                 asked_by=tuple(sorted({f"{r.sourceLabel}: {r.criterionLabel}" for r in found})),
                 options=tuple(options.get(link_id, ())),
                 prefill=str(found[0].prefill) if found[0].prefill is not None else None)
        for link_id, found in sorted(asked.get(code, {}).items())))
        for code, description in descriptions.items()}
