"""The reviewer's decision on a line, carried by the ClaimResponse sent out: the line's review action
becomes the reviewer's (X12 306: A1 certified, A3 not certified, A4 pended), the reviewer's reason is a
process note of the item, and necessity's own decision stays beside it in that note."""

from __future__ import annotations

import copy
from typing import Any

from reasoner.api.records import ReviewerDecision
from reasoner.errors import InputError
from reasoner.render.fhir import REVIEW_ACTION, REVIEW_ACTION_CODE, X12_306, validated

WHERE = "workbench decision"
ACTIONS = {"approve": ("A1", "approved (certified)"), "deny": ("A3", "denied (not certified)"),
           "pend": ("A4", "pended")}
NEEDS_A_REASON = ("deny", "pend")  # CMS-0057-F: a specific reason with every denial; a pended line says what is asked


def checked(action: str, note: str, sequence: str, lines: dict[int, str]) -> tuple[str, str, int]:
    """The action, note and line number of a reviewer's form; InputError naming the field at fault."""
    if action not in ACTIONS:
        raise InputError(WHERE, "form", "action", f"{action!r}: choose approve, deny or pend")
    if not sequence.isdigit() or int(sequence) not in lines:
        raise InputError(WHERE, "form", "line", f"{sequence!r}: not a line of this request")
    if action in NEEDS_A_REASON and not note.strip():
        raise InputError(WHERE, "form", "note", f"to {action} a line, write the reason: the provider is told it")
    return action, note.strip(), int(sequence)


def with_reviewer_decision(bundle: dict[str, Any], decision: ReviewerDecision, engine_status: str) -> dict[str, Any]:
    """The PAS response Bundle ``bundle`` with the reviewer's decision on one item: its review action code, a
    process note with the reviewer's reason and necessity's status, and the disposition."""
    out = copy.deepcopy(bundle)
    response = out["entry"][0]["resource"]
    code, words = ACTIONS[decision.action]
    item = next(i for i in response.get("item", []) if i["itemSequence"] == decision.item_sequence)
    for extension in item["adjudication"][0]["extension"]:
        if extension["url"] == REVIEW_ACTION:
            for part in extension["extension"]:
                if part["url"] == REVIEW_ACTION_CODE:
                    part["valueCodeableConcept"] = {"coding": [{"system": X12_306, "code": code}],
                                                    "text": f"{words} by a licensed reviewer"}
    notes = response.setdefault("processNote", [])
    number = max((n["number"] for n in notes), default=0) + 1
    reason = f": {decision.note}" if decision.note else ""
    notes.append({"number": number, "type": "display",
                  "text": f"Line {decision.item_sequence}: {words} by the reviewer {decision.reviewer} on "
                          f"{decision.recorded_at}{reason}. necessity's decision support had said {engine_status}."})
    item["noteNumber"] = [*item.get("noteNumber", []), number]
    response["disposition"] = "Decided by a licensed reviewer, with necessity's decision support, for the lines " \
        "the process notes name; the other lines are necessity's decision support, for a licensed reviewer to decide."
    return validated(out)

