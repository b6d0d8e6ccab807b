"""``necessity questionnaire`` output: a FHIR R4 Questionnaire (validated with ``fhir.resources``
R4B) whose item linkIds are the QuestionnaireResponse linkIds ``determine`` reads, with an SDC
initialExpression (FHIRPath) on each question the record can answer, or text."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire

from reasoner.errors import NecessityError
from reasoner.render import REVIEWER_LINE
from reasoner.results import DocumentationNeeds, Question
from reasoner.vocab import BASE

WIDTH = 80
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
LAUNCH_PATIENT = {"url": SDC + "sdc-questionnaire-launchContext", "extension": [
    {"url": "name", "valueCoding": {"system": "http://hl7.org/fhir/uv/sdc/CodeSystem/launchContext",
                                    "code": "patient"}},
    {"url": "type", "valueCode": "Patient"},
    {"url": "description", "valueString": "The patient of the order: the answers pre-filled come from its record."}]}


def render_questionnaire(needs: DocumentationNeeds, output_format: str) -> str:
    """Render the documentation a code needs as ``fhir`` (a Questionnaire, JSON) or ``text``."""
    if output_format == "fhir":
        return json.dumps(questionnaire_resource(needs), indent=2, ensure_ascii=False) + "\n"
    return _text(needs)


def questionnaire_resource(needs: DocumentationNeeds) -> dict[str, Any]:
    """The Questionnaire: one item per question, with the linkId, text and answer type."""
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": f"necessity-documentation-{needs.code}",
        "url": f"{BASE}questionnaire/{needs.code}",
        "name": f"NecessityDocumentation{needs.code}",
        "title": f"Documentation for {needs.code}: {needs.description}",
        "status": "active",
        "subjectType": ["Patient"],
        "description": f"What a claim line billed with {needs.code} may need documented, as the necessity "
                       f"knowledge base asks it. {REVIEWER_LINE}",
        "item": [_item(q) for q in needs.questions],
    }
    if not needs.questions:
        del resource["item"]
    if any(q.prefill for q in needs.questions):
        resource["extension"] = [LAUNCH_PATIENT]
    try:
        Questionnaire.model_validate(resource)
    except Exception as exc:  # noqa: BLE001 - pydantic's errors: a bug in this module, said plainly
        raise NecessityError(f"the Questionnaire necessity built is not valid FHIR R4: {exc}") from exc
    return resource


def _item(question: Question) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": question.link_id, "text": question.text, "type": question.answer_type}
    if question.options:
        item["answerOption"] = [{"valueString": option} for option in question.options]
    if question.prefill:
        item["extension"] = [{"url": SDC + "sdc-questionnaire-initialExpression",
                              "valueExpression": {"language": "text/fhirpath", "expression": question.prefill}}]
    return item


def _text(needs: DocumentationNeeds) -> str:
    rows = [textwrap.fill(f"{needs.code}: {needs.description}", WIDTH)]
    if not needs.questions:
        rows.append("No documentation answer is asked for this code by the knowledge base.")
    for q in needs.questions:
        answers = f" [{' | '.join(q.options)}]" if q.options else ""
        rows.append(textwrap.fill(f"- {q.link_id} ({q.answer_type}{answers}): {q.text}", WIDTH,
                                  subsequent_indent="  "))
        rows += [textwrap.fill(a, WIDTH, initial_indent="    asked by ", subsequent_indent="      ")
                 for a in q.asked_by]
        if q.prefill:
            rows.append(textwrap.fill(q.prefill, WIDTH, initial_indent="    pre-filled from the record by FHIRPath ",
                                      subsequent_indent="      "))
    rows.append(textwrap.fill(REVIEWER_LINE, WIDTH))
    return "\n".join(rows) + "\n"
