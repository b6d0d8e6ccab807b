"""One CDS Hooks call to a CRD service: the call checked, the record gathered, the orders reviewed as the
CLI reviews a request, and the response built. A call that cannot be read is an InputError naming the
field (HTTP 400)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from reasoner.api.crd.answer import hook_response
from reasoner.api.crd.orders import Order, read_orders, review_bundle, with_unavailable
from reasoner.api.crd.record import Record, gather
from reasoner.api.crd.services import SERVICES, Service, configured
from reasoner.engines import Engine
from reasoner.errors import InputError
from reasoner.ingest import parse_request
from reasoner.knowledge import Knowledge
from reasoner.pipeline import review_request
from reasoner.questionnaire import all_documentation_needs
from reasoner.render.questionnaire import questionnaire_resource
from reasoner.results import Review


def answer_hook(service_id: str, body: bytes, knowledge: Knowledge, engine: Engine,
                allowed: tuple[str, ...]) -> dict[str, Any]:
    """The CDS Hooks response of the service ``service_id`` to the call ``body``."""
    service = SERVICES[service_id]
    where = f"cds-services/{service_id}"
    call = _call(body, where, service)
    context = call["context"]
    patient_id = context["patientId"]
    orders = read_orders(context[service.orders], _selections(context, service, where), knowledge.tables.systems)
    record = gather(call, patient_id, allowed)
    coverage = next((f"Coverage/{r['id']}" for _, r in record.resources
                     if r.get("resourceType") == "Coverage" and r.get("id")), None)
    review = _review(orders, record, patient_id, context.get("userId"), knowledge, engine, where)
    lines = {d.sequence: d for d in review.claims[0].determinations} if review else {}
    response = hook_response(orders, lines, record, coverage, _questionnaires(lines.values(), knowledge),
                             configured(call)["coverage-info"], knowledge.version, service.secondary)
    response["extension"] = {"necessity.knowledge-version": knowledge.version, "necessity.engine": engine.description,
                             "necessity.record": _accounting(review, record, orders)}
    return response


def _call(body: bytes, where: str, service: Service) -> dict[str, Any]:
    try:
        call = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(where, "-", "-", f"not JSON: {exc}") from exc
    if not isinstance(call, dict):
        raise InputError(where, "-", "-", "a CDS Hooks request is a JSON object")
    if call.get("hook") != service.hook:
        raise InputError(where, "request", "hook", f"{call.get('hook')!r}: this service answers {service.hook!r}")
    if not isinstance(call.get("hookInstance"), str) or not call["hookInstance"]:
        raise InputError(where, "request", "hookInstance", "missing: a CDS Hooks call names its instance")
    context = call.get("context")
    if not isinstance(context, dict):
        raise InputError(where, "request", "context", "missing: the hook's context is an object")
    if not isinstance(context.get("patientId"), str) or not context["patientId"]:
        raise InputError(where, "request", "context.patientId", "missing: the patient of the orders")
    orders = context.get(service.orders)
    if not isinstance(orders, dict) or orders.get("resourceType") != "Bundle":
        raise InputError(where, "request", f"context.{service.orders}", f"missing or not a Bundle ({service.hook})")
    return call


def _selections(context: dict[str, Any], service: Service, where: str) -> list[str] | None:
    if service.hook != "order-select":
        return None
    chosen = context.get("selections")
    if not isinstance(chosen, list) or not chosen or not all(isinstance(s, str) for s in chosen):
        raise InputError(where, "request", "context.selections", "missing: order-select names the orders chosen")
    offered = {f"{(e.get('resource') or {}).get('resourceType')}/{(e.get('resource') or {}).get('id')}"
               for e in context["draftOrders"].get("entry") or [] if isinstance(e, dict)}
    unknown = [s for s in chosen if s not in offered]
    if unknown:
        raise InputError(where, "request", "context.selections", f"{unknown[0]!r} is not an order of draftOrders")
    return chosen


def _review(orders: list[Order], record: Record, patient_id: str, user: Any, knowledge: Knowledge, engine: Engine,
            where: str) -> Review | None:
    """The review of the orders with a billing code, or None when no order has one."""
    if not any(order.coding for order in orders):
        return None
    bundle = review_bundle(orders, record, patient_id, user if isinstance(user, str) else None,
                           knowledge.tables.systems)
    request = parse_request(json.dumps(bundle).encode(), where, "json", knowledge)
    day = min(date.fromisoformat(order.day) for order in orders if order.coding)
    return review_request(with_unavailable(request, record.missing, day, knowledge.tables.units), knowledge, engine)


def _questionnaires(lines: Any, knowledge: Knowledge) -> dict[str, str]:
    """The canonical URL of the documentation Questionnaire of each line's code that asks a question."""
    needs = all_documentation_needs(knowledge)
    return {line.code: questionnaire_resource(needs[line.code])["url"] for line in lines
            if line.code in needs and needs[line.code].questions}


def _accounting(review: Review | None, record: Record, orders: list[Order]) -> dict[str, Any]:
    """What the review read and left out: every resource with its use, what could not be had, what was
    fetched from the client's server, and the orders not reviewed with why."""
    return {
        "resources": [{"resource": e.resource, "use": e.use, "reason": e.reason} for e in review.ingest]
        if review else [],
        "missing": dict(sorted(record.missing.items())), "fetched": list(record.fetched),
        "orders": [{"order": o.key, "line": o.sequence, "code": o.coding["code"]} if o.coding else
                   {"order": o.key, "line": None, "reason": o.why_not} for o in orders],
        "notes": list(review.notes) if review else [],
    }

