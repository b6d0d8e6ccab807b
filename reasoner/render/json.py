"""The JSON output of ``necessity determine``: per claim, a list ``determinations`` whose keys other
tools read (sequence, code, system, display, claimed_as, status, citations, recommendations,
criteria, warnings), plus the rules, documentation and notes a reviewer needs.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from reasoner.render import REVIEWER_NOTICE
from reasoner.results import Determination, Review


def render_json(review: Review) -> str:
    """Serialize a review as stable, indented JSON (keys in a fixed order, no timestamps)."""
    document = {
        "request": review.request,
        "knowledge_base_version": review.knowledge_version,
        "engine": review.engine,
        "claims": [
            {"claim": c.claim_id, "use": c.use, "type": c.claim_type, "service_date": c.service_date,
             "service_date_source": c.service_date_source,
             "determinations": [_determination(d) for d in c.determinations],
             "cancelled": [{"sequence": x.sequence, "code": x.code, "reason": x.reason, "source": x.source}
                           for x in c.cancelled]}
            for c in review.claims
        ],
        "rejected_claims": [{"claim": r.source, "error": str(r.error)} for r in review.rejected],
        "notes": list(review.notes),
        "ingest": [{"entry": e.entry, "resource": e.resource, "use": e.use, "reason": e.reason} for e in review.ingest],
        "notice": REVIEWER_NOTICE,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _determination(d: Determination) -> dict[str, Any]:
    return {
        "sequence": d.sequence,
        "code": d.code,
        "system": d.system,
        "display": d.display,
        "claimed_as": d.claimed_as,
        "status": d.status,
        "service_date": d.service_date,
        "service_date_source": d.service_date_source,
        "policy_date": d.policy_date,
        "before_service": d.before_service,
        "citations": list(d.citations),
        "recommendations": [_considered(c) for c in d.recommendations],
        "rules": [_considered(c) for c in d.rules],
        "criteria": [asdict(c) | {"facts": list(c.facts)} for c in d.criteria],
        "documentation": [asdict(item) for item in d.documentation],
        "warnings": [{"kind": w.kind, "message": w.message, "source": w.source} for w in d.warnings],
    }


def _considered(c: Any) -> dict[str, Any]:
    fields = asdict(c)
    fields["citations"] = list(c.citations)
    return fields
