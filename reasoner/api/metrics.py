"""``GET /reports/pa-metrics``: the prior-authorization figures CMS-0057-F makes payers publish (approved,
denied, pended; counts, shares and decision times), computed from the store. An item's review action
counts: A1 approved, A3 denied, A4 pended, as the PAS response gave it."""

from __future__ import annotations

import statistics
from typing import Any

KINDS = {"A1": "approved", "A3": "denied", "A4": "pended"}


def pa_metrics(decisions: list[tuple[str, float]]) -> dict[str, Any]:
    """Counts and shares by item and by request, and the decision times (ms), of ``decisions``
    (each: the comma-separated review actions of one response, and its decision time)."""
    items = {kind: 0 for kind in KINDS.values()}
    requests = {"all items approved": 0, "any item denied": 0, "any item pended, none denied": 0}
    for actions, _ in decisions:
        codes = [a for a in actions.split(",") if a]
        for code in codes:
            items[KINDS.get(code, "pended")] += 1
        key = "any item denied" if "A3" in codes else "any item pended, none denied" \
            if any(c != "A1" for c in codes) else "all items approved"
        requests[key] += 1
    times = sorted(ms for _, ms in decisions)
    return {"requests": len(decisions), "items": _shares(items), "by request": _shares(requests),
            "decision_ms": {"p50": _quantile(times, 0.5), "p95": _quantile(times, 0.95),
                            "mean": round(statistics.fmean(times), 1) if times else None},
            "notice": "Decision support, not a decision: a licensed reviewer decides."}


def _shares(counts: dict[str, int]) -> dict[str, dict[str, float | int]]:
    total = sum(counts.values())
    return {k: {"count": v, "share": round(v / total, 4) if total else 0.0} for k, v in counts.items()}


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)
