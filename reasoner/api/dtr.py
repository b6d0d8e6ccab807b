"""Da Vinci DTR for the payer: ``Questionnaire/$questionnaire-package``. The input Parameters name the
Coverage and the orders (or the Questionnaires by canonical URL); the output Parameters hold a
PackageBundle per billing code that asks documentation, each with the Questionnaire ``necessity
questionnaire`` gives (its SDC pre-population included), and an OperationOutcome naming each order or
code that gets none and why. A QuestionnaireResponse filled from one is read by ``$submit`` as any other."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from reasoner.api.crd.orders import billing_coding
from reasoner.api.pas import NotConformant
from reasoner.errors import InputError
from reasoner.knowledge import Knowledge
from reasoner.questionnaire import all_documentation_needs
from reasoner.render.questionnaire import questionnaire_resource
from reasoner.vocab import BASE

WHERE = "Questionnaire/$questionnaire-package"
CANONICAL = BASE + "questionnaire/"


def questionnaire_package(body: bytes, knowledge: Knowledge) -> dict[str, Any]:
    """The $questionnaire-package output Parameters for the input Parameters ``body``."""
    parameters = _parameters(body)
    if not any(p.get("name") == "coverage" and (p.get("resource") or {}).get("resourceType") == "Coverage"
               for p in parameters):
        raise NotConformant(WHERE, "Parameters", "Parameters.parameter:coverage",
                            "missing: DTR names the Coverage the documentation is collected for")
    codes, issues = _wanted_codes(parameters, knowledge)
    needs = all_documentation_needs(knowledge)
    packages = []
    for code in codes:
        if code not in needs:
            issues.append(f"{code}: not a billing code of the knowledge base, which asks no documentation for it")
        elif not needs[code].questions:
            issues.append(f"{code}: the knowledge base asks no documentation for it")
        else:
            packages.append({"name": "PackageBundle", "resource": _package(questionnaire_resource(needs[code]))})
    out: list[dict[str, Any]] = list(packages)
    if issues:
        out.append({"name": "operationOutcome", "resource": {"resourceType": "OperationOutcome", "issue": [
            {"severity": "information", "code": "not-found", "diagnostics": issue} for issue in issues]}})
    return {"resourceType": "Parameters", "parameter": out}


def _parameters(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(WHERE, "-", "-", f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("resourceType") != "Parameters":
        raise InputError(WHERE, "-", "resourceType", "expected the operation's input Parameters")
    parameters = [p for p in data.get("parameter") or [] if isinstance(p, dict)]
    if not any(p.get("name") in ("order", "questionnaire", "context") for p in parameters):
        raise NotConformant(WHERE, "Parameters", "Parameters.parameter",
                            "DTR (dtr-1): at least one of 'order', 'questionnaire' and 'context' is given")
    return parameters


def _wanted_codes(parameters: list[dict[str, Any]], knowledge: Knowledge) -> tuple[list[str], list[str]]:
    """The billing codes asked for, in order and once each, and why an order or a canonical gives none."""
    codes: list[str] = []
    issues: list[str] = []
    for number, parameter in enumerate(parameters):
        name, resource = parameter.get("name"), parameter.get("resource")
        if name == "order":
            if not isinstance(resource, dict):
                raise NotConformant(WHERE, "Parameters", f"Parameters.parameter[{number}].resource",
                                    "an 'order' parameter holds the order resource")
            coding, why = billing_coding(resource, knowledge.tables.systems)
            label = f"{resource.get('resourceType')}/{resource.get('id')}"
            if coding is None:
                issues.append(f"{label}: {why}")
            else:
                codes.append(str(coding["code"]))
        elif name == "questionnaire":
            canonical = str(parameter.get("valueCanonical") or "").split("|")[0]
            if canonical.startswith(CANONICAL):
                codes.append(canonical[len(CANONICAL):])
            else:
                issues.append(f"{canonical or 'a questionnaire parameter without a canonical'}: not a Questionnaire "
                              "of this server")
        elif name == "context":
            issues.append("context: a CRD context id is not looked up here; the orders or Questionnaires decide")
    return list(dict.fromkeys(codes)), issues


def _package(questionnaire: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "entry": [{"fullUrl": questionnaire["url"], "resource": questionnaire}]}
