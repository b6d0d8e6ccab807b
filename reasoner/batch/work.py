"""The work of a batch on one request, wherever it runs (this process, a worker process, a Spark
executor): the request reviewed and its records rendered in the output format."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from reasoner.batch.formats import format_named
from reasoner.batch.inputs import Item, read_item
from reasoner.batch.records import review_item, statuses
from reasoner.engines import Engine
from reasoner.knowledge import Knowledge


@dataclass(frozen=True)
class Reviewed:
    """One request done: its id, its records as text, its lines' statuses and its number of errors."""

    request: str
    text: str
    statuses: Counter[str]
    errors: int


def review_to_text(item: Item, output_format: str, knowledge: Knowledge, engine: Engine) -> Reviewed:
    """Read one item (if it is a file not read yet), review it and render its records in ``output_format``."""
    item = read_item(item)
    outcome = review_item(item, knowledge, engine)
    return Reviewed(item.request, format_named(output_format).render(outcome), statuses(outcome), len(outcome.errors))
