"""The proof of one claim line (``necessity explain``): its determination, read from the decided
graph by the queries of ``queries/determination/``, and the smallest set of facts that would
change a status other than justified (``queries/explain/what-would-change.rq``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from reasoner.determine import curie_namer, select
from reasoner.engines import Engine
from reasoner.errors import InputError
from reasoner.knowledge import Knowledge
from reasoner.pipeline import decided
from reasoner.results import Change, Explanation


def explain(path: str | Path, code: str, knowledge: Knowledge, engine: Engine | None = None,
            claim_id: str | None = None, as_of: date | None = None) -> list[Explanation]:
    """Explain every line billed with ``code`` on the claim of the request at ``path`` (with the policies
    in force on ``as_of`` instead of the date of service, when given)."""
    result = decided(path, knowledge, engine, claim_id, as_of)
    claim = result.claim
    lines = [d for d in result.determinations if d.code == code]
    if not lines:
        billed = ", ".join(sorted({line.code for line in claim.lines}))
        raise InputError(str(path), claim.source, "item.productOrService", f"no line billed with {code} ({billed})")
    curie = curie_namer()
    rows: Any = select(result.store, knowledge.queries.text("explain/what-would-change.rq"))
    changes: dict[int, list[Change]] = {}
    for row in rows:
        change = Change(source=curie(row.source), criterion=curie(row.criterion), label=str(row.label),
                        state=str(row.state))
        changes.setdefault(int(row.sequence), []).append(change)
    return [Explanation(request=str(path), claim_id=claim.id, knowledge_version=knowledge.version, determination=d,
                        changes=tuple(changes.get(d.sequence, ()))) for d in lines]
