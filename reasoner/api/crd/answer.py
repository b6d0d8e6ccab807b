"""The CDS Hooks response of a CRD service: for each order, the CRD coverage-information extension as an
``update`` system action, and a card a clinician can read with the cited reason.

How a line's status is said in CRD's terms (decision record 0018): only a line whose criteria are met is
``covered``; every other status is ``conditional``, since an order-time record is partial and a wrong
"not covered" is worse than a conditional one (CRD-23). necessity never says that prior authorization is
not needed (CRD-24): a code the knowledge has a policy for is ``auth-needed``, one it has none for
``conditional``."""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from reasoner.api.crd.orders import Order
from reasoner.api.crd.record import Record
from reasoner.render import REVIEWER_LINE
from reasoner.render.fhir import reason_in_words
from reasoner.results import Determination, Status
from reasoner.vocab import BASE

COVERAGE_INFORMATION = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
CARD_TYPES = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"

# A status as (covered, pa-needed, doc-needed, indicator, what the card says).
IN_CRD_TERMS = {
    Status.JUSTIFIED: ("covered", "auth-needed", "clinical", "info", "criteria met"),
    Status.NOT_JUSTIFIED: ("conditional", "auth-needed", "clinical", "warning", "criteria not met on this record"),
    Status.CODING_ERROR: ("conditional", "auth-needed", "admin", "warning", "a coding rule is not met"),
    Status.NEEDS_INFO: ("conditional", "auth-needed", "clinical", "warning", "documentation needed"),
    Status.NO_POLICY: ("conditional", "conditional", None, "info", "no policy in the knowledge base"),
}


def hook_response(orders: list[Order], lines: dict[int, Determination], record: Record, coverage: str | None,
                  questionnaires: dict[str, str], cards_wanted: bool, knowledge_version: str,
                  secondary: bool = False) -> dict[str, Any]:
    """The cards and system actions for ``orders``, each order's line in ``lines`` by its sequence. On a
    secondary hook (order-select) the coverage information asks for no documentation (CRD-167)."""
    cards, actions = [], []
    for order in orders:
        line = lines.get(order.sequence) if order.sequence is not None else None
        if coverage is not None:
            actions.append(_system_action(order, line, coverage, questionnaires, secondary))
        if cards_wanted:
            cards.append(_card(order, line, record, coverage, knowledge_version))
    return {"cards": cards, "systemActions": actions}


def _system_action(order: Order, line: Determination | None, coverage: str, questionnaires: dict[str, str],
                   secondary: bool) -> dict[str, Any]:
    resource = copy.deepcopy(order.resource)
    resource.setdefault("extension", []).append(coverage_information(order, line, coverage, questionnaires, secondary))
    return {"type": "update", "description": f"Coverage information for {order.key}", "resource": resource}


def coverage_information(order: Order, line: Determination | None, coverage: str, questionnaires: dict[str, str],
                         secondary: bool = False) -> dict[str, Any]:
    """The CRD coverage-information extension of one order (without doc-needed on a secondary hook)."""
    if line is None:
        covered, pa, doc = "conditional", "conditional", None
        reason = f"{order.why_not}: necessity cannot say whether it is covered or needs prior authorization."
    else:
        covered, pa, doc, _, _ = IN_CRD_TERMS[line.status]
        reason = reason_in_words(line, "preauthorization")
        doc = None if secondary else doc
    parts: list[dict[str, Any]] = [{"url": "coverage", "valueReference": {"reference": coverage}},
                                   {"url": "covered", "valueCode": covered}, {"url": "pa-needed", "valueCode": pa}]
    if doc is not None:
        parts += [{"url": "doc-needed", "valueCode": doc}, {"url": "doc-purpose", "valueCode": "withpa"}]
    if line is not None:
        parts.append({"url": "billingCode", "valueCoding": {"system": line.system, "code": line.code}})
    parts.append({"url": "reason", "valueCodeableConcept": {"text": f"{reason} {REVIEWER_LINE}"}})
    if line is not None and doc is not None and line.code in questionnaires:
        parts.append({"url": "questionnaire", "valueCanonical": questionnaires[line.code]})
    parts += [{"url": "date", "valueDate": datetime.now(UTC).date().isoformat()},
              {"url": "coverage-assertion-id", "valueString": uuid.uuid4().hex}]
    return {"url": COVERAGE_INFORMATION, "extension": parts}


def _card(order: Order, line: Determination | None, record: Record, coverage: str | None,
          knowledge_version: str) -> dict[str, Any]:
    if line is None:
        summary, indicator = f"{order.key}: coverage not determined", "info"
        detail = [f"{order.why_not}. necessity cannot say whether it is covered or needs prior authorization."]
    else:
        _, pa, _, indicator, said = IN_CRD_TERMS[line.status]
        summary = f"{line.code} {_short(line.display or line.claimed_as or '')}: {said}"
        detail = [f"**{order.key}**, reviewed as {line.code}.", reason_in_words(line, "preauthorization")]
        detail.append("Prior authorization: " + ("required; submit it with the documentation (Da Vinci PAS)."
                                                 if pa == "auth-needed" else "not determined by necessity."))
    if coverage is None:
        detail.append("No Coverage of the patient was found, so no coverage information was added to the order.")
    if record.missing:
        detail.append(missing_in_words(record))
    detail.append(REVIEWER_LINE)
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()), "summary": summary[:140], "indicator": indicator, "detail": "\n\n".join(detail),
        "source": {"label": f"necessity (knowledge base {knowledge_version})", "url": BASE,
                   "topic": {"system": CARD_TYPES, "code": "coverage-info", "display": "Coverage Information"}},
    }
    links = _links(line.citations) if line is not None else []
    if links:
        card["links"] = links
    return card


def _short(name: str, width: int = 70) -> str:
    """A code's name cut at its first clause, and at a word within ``width`` characters."""
    name = name.split(":")[0].split(" (")[0].strip()
    return name if len(name) <= width else name[:width].rsplit(" ", 1)[0].rstrip(",;") + "…"


def missing_in_words(record: Record) -> str:
    """The parts of the record not had, grouped by why."""
    by_reason: dict[str, list[str]] = {}
    for key, why in sorted(record.missing.items()):
        by_reason.setdefault(why, []).append(key)
    return "Not available to this review: " + "; ".join(f"the patient's {', '.join(keys)} ({why})"
                                                        for why, keys in by_reason.items()) + \
        ". What they would decide is left unknown."


def _links(citations: tuple[str, ...]) -> list[dict[str, str]]:
    """A link to each citation's DOI, PubMed record or web page (CRD external reference: type absolute)."""
    links: dict[str, str] = {}
    for citation in citations:
        parts = citation.split(". ")
        title = parts[1] if parts[1:] else citation
        for found in re.finditer(r"doi:\s*(10\.\S+?)\.?(?=\s|$)|PMID:?\s*(\d+)|(https?://\S+?)\.?(?=\s|$)",
                                 citation):
            doi, pmid, url = found.groups()
            target = f"https://doi.org/{doi}" if doi else f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else url
            links.setdefault(target, title[:120])
            break
    return [{"label": label, "url": url, "type": "absolute"} for url, label in links.items()]
