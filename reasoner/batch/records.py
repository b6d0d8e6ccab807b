"""A batch's unit of work: one request reviewed (or not), and its records: one per claim line, one per
error. A request that cannot be read, or a claim that cannot be reviewed, is an error record with its
message; the batch goes on."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from reasoner.batch.inputs import Item
from reasoner.engines import Engine
from reasoner.errors import NecessityError
from reasoner.ingest import parse_request
from reasoner.knowledge import Knowledge
from reasoner.pipeline import review_request
from reasoner.render import REVIEWER_LINE
from reasoner.results import Review

log = logging.getLogger("necessity")

# The fields of a record, in the order of the CSV columns. A line record has no error; an error record
# has no line (sequence, code, status...), and a claim only when one claim of the request was refused.
FIELDS = ("record", "request", "request_sha256", "claim", "sequence", "code", "system", "status", "deciding",
          "citations", "warnings", "notes", "error", "knowledge_base_version", "engine", "notice")
LISTS = ("deciding", "citations", "warnings", "notes")


@dataclass(frozen=True)
class Outcome:
    """One request of a batch after review: its id and the SHA-256 of its bytes, the review (None when the
    request could not be read) and the errors, each a claim id (None for the whole request) and a message."""

    request: str
    digest: str
    engine: str
    knowledge_version: str
    review: Review | None
    errors: tuple[tuple[str | None, str], ...]


def review_item(item: Item, knowledge: Knowledge, engine: Engine) -> Outcome:
    """Review one batch item with ``knowledge`` and ``engine``; never raise for the request's sake (its error
    is recorded)."""
    version, name = knowledge.version, engine.name
    if item.error is not None:
        return Outcome(item.request, item.digest, name, version, None, ((None, str(item.error)),))
    try:
        review = review_request(parse_request(item.data, item.request, item.kind, knowledge, item.base), knowledge,
                                engine)
    except NecessityError as exc:
        return Outcome(item.request, item.digest, name, version, None, ((None, str(exc)),))
    except Exception as exc:  # noqa: BLE001 - a bug in necessity must not stop a batch of millions
        log.exception("necessity failed on a request of the batch")
        return Outcome(item.request, item.digest, name, version, None,
                       ((None, f"necessity failed on this request (a bug: please report it): "
                               f"{type(exc).__name__}: {exc}"),))
    errors = tuple((r.source.partition("/")[2] or r.source, str(r.error)) for r in review.rejected)
    return Outcome(item.request, item.digest, name, version, review, errors)


def line_records(outcome: Outcome) -> list[dict[str, Any]]:
    """The outcome's records: one per claim line reviewed, then one per error; each with every field."""
    notes = list(outcome.review.notes) if outcome.review else []
    common = {"request": outcome.request, "request_sha256": outcome.digest,
              "knowledge_base_version": outcome.knowledge_version, "engine": outcome.engine, "notice": REVIEWER_LINE,
              "notes": notes}
    records = []
    for claim in outcome.review.claims if outcome.review else ():
        for d in claim.determinations:
            records.append(_record(common, record="line", claim=claim.claim_id, sequence=d.sequence, code=d.code,
                                   system=d.system, status=str(d.status),
                                   deciding=[c.id for c in (*d.recommendations, *d.rules) if c.deciding],
                                   citations=list(d.citations),
                                   warnings=[f"{w.kind}: {w.message}" for w in d.warnings]))
    for claim_id, message in outcome.errors:
        records.append(_record(common, record="error", claim=claim_id, error=message))
    return records


def statuses(outcome: Outcome) -> Counter[str]:
    """How many of the outcome's claim lines have each status."""
    return Counter(d.status for c in (outcome.review.claims if outcome.review else ()) for d in c.determinations)


def _record(common: dict[str, Any], **values: Any) -> dict[str, Any]:
    fields = common | values
    return {name: fields.get(name, [] if name in LISTS else None) for name in FIELDS}
