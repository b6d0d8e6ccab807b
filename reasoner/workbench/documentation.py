"""The documentation a reviewer fills in on the workbench, as FHIR: the answers become items of the request's
QuestionnaireResponse (added when it has none, an item of the same linkId replaced), typed as the
knowledge's question says, and the request so completed is decided again."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from reasoner.errors import InputError
from reasoner.results import Question

WHERE = "workbench documentation"
YES = ("yes", "true")
NO = ("no", "false")


def answered_request(request: str, answers: dict[str, str], questions: dict[str, Question], author: str) -> bytes:
    """The PAS request Bundle ``request`` with ``answers`` (linkId -> the text the form sent) in its
    QuestionnaireResponse; InputError naming the question when an answer is not of its type."""
    if not any(value.strip() for value in answers.values()):
        raise InputError(WHERE, "QuestionnaireResponse", "item.answer", "no answer was given: fill at least one")
    bundle = json.loads(request)
    items = [_item(questions[link_id], value.strip()) for link_id, value in answers.items() if value.strip()]
    response = _questionnaire_response(bundle, author)
    answered = {item["linkId"] for item in items}
    response["item"] = [i for i in response.get("item") or [] if i.get("linkId") not in answered] + items
    response["authored"] = datetime.now(UTC).isoformat(timespec="seconds")
    return json.dumps(bundle, ensure_ascii=False).encode("utf-8")


def _questionnaire_response(bundle: dict[str, Any], author: str) -> dict[str, Any]:
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") or {}
        if resource.get("resourceType") == "QuestionnaireResponse":
            return resource
    claim = bundle["entry"][0]["resource"]
    response: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "id": str(uuid.uuid4()), "status": "completed",
                "subject": claim.get("patient") or {"display": "the patient of the request"},
                "author": {"display": author}, "item": []}
    bundle["entry"].append({"fullUrl": f"urn:uuid:{response['id']}", "resource": response})
    return response


def _item(question: Question, value: str) -> dict[str, Any]:
    """One answered item, typed as the question asks."""
    if question.answer_type == "boolean":
        if value.lower() not in YES + NO:
            raise InputError(WHERE, "QuestionnaireResponse", f"item[{question.link_id}]",
                             f"{value!r}: answer yes or no")
        answer: dict[str, Any] = {"valueBoolean": value.lower() in YES}
    elif question.answer_type == "integer":
        if not value.lstrip("-").isdigit():
            raise InputError(WHERE, "QuestionnaireResponse", f"item[{question.link_id}]",
                             f"{value!r}: answer a whole number")
        answer = {"valueInteger": int(value)}
    else:
        if question.options and value not in question.options:
            raise InputError(WHERE, "QuestionnaireResponse", f"item[{question.link_id}]",
                             f"{value!r}: answer one of {', '.join(question.options)}")
        answer = {"valueString": value}
    return {"linkId": question.link_id, "text": question.text, "answer": [answer]}
