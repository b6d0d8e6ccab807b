"""The notes of a request: a sentence for every fact necessity kept but could not read, or read with a
caveat: a diagnosis in a system it does not read or not in ICD-10-CM, one whose presence is unknown, a
WHO ICD-10 code read as ICD-10-CM, a drug, route or service it cannot classify, a billed code not of
its system's form, an answer it does not use, a lab it cannot convert. Each says what stays unknown.
"""

from __future__ import annotations

from reasoner.facts import SERVICE_SYSTEMS, answer_value, coded
from reasoner.ingest.model import ConditionFact, Request
from reasoner.ingest.tables import Tables
from reasoner.labs import unit_problem
from reasoner.vocab import ICD, RXN, SCT


def reading_notes(request: Request, tables: Tables) -> tuple[str, ...]:
    """Every note of ``request``, diagnoses first, in the order of the request."""
    conditions = dict.fromkeys((*request.conditions, *(d.condition for c in request.claims for d in c.diagnoses)))
    notes = [note for condition in conditions for note in _condition_notes(condition, tables)]
    notes += _drug_notes(request, tables)
    notes += [f"{s.source}: {s.unreadable or f'{s.code!r} does not have the form of a {s.system} code'}; criteria on "
              "planned services stay unknown" for s in request.services
              if coded(tables, SERVICE_SYSTEMS[s.system], s.code) is None]
    notes += [f"{line.source}: {line.system_warning}" for claim in request.claims for line in claim.lines
              if line.system_warning]
    notes += [f"{line.source}: {line.code!r} does not have the form of a code of {line.system}; no policy can match "
              "it" for claim in request.claims for line in claim.lines
              if line.namespace and coded(tables, line.namespace, line.code) is None]
    notes += [f"{a.source}: linkId {a.link_id!r} is not a question the knowledge base asks; the answer is not used"
              if a.link_id not in tables.answer_types else
              f"{a.source}: {a.value!r} is not {_article(tables.answer_types[a.link_id])} answer to {a.link_id}; the "
              "answer is not used" for a in request.answers if answer_value(a, tables) is None]
    notes += [f"{lab.source}: {problem}: LOINC {lab.loinc} is unknown as of this result"
              for lab in request.labs if (problem := unit_problem(lab, tables.units))]
    return tuple(notes)


def _condition_notes(condition: ConditionFact, tables: Tables) -> list[str]:
    notes = [condition.warning] if condition.warning else []
    if condition.unreadable:
        notes.append(f"{condition.source}: {condition.unreadable}; diagnosis criteria stay unknown, never refuted")
    elif condition.code and not tables.hierarchy.is_known(condition.code):
        notes.append(f"{condition.source}: {condition.code!r} is not {_icd_kind(tables, condition.code)}; diagnosis "
                     "criteria stay unknown, never refuted")
    elif condition.possible:
        notes.append(f"{condition.source}: ICD-10-CM {condition.code} has no clinical status and is not a diagnosis "
                     "of the claim: whether it is present is unknown, so criteria it would meet stay unknown")
    return notes


def _drug_notes(request: Request, tables: Tables) -> list[str]:
    notes = []
    for drug in request.drugs:
        code = coded(tables, RXN, drug.rxnorm)
        if drug.unreadable:
            notes.append(f"{drug.source}: {drug.unreadable}; criteria on drug classes stay unknown for this patient")
        elif code is None:
            notes.append(f"{drug.source}: {drug.rxnorm!r} does not have the form of an RxNorm code; criteria on "
                         "drug classes stay unknown for this patient")
        elif not tables.declares(code):
            notes.append(f"{drug.source}: RxNorm {drug.rxnorm!r} is not classified by the knowledge base; criteria "
                         "on drug classes stay unknown for this patient")
        if drug.route is not None and coded(tables, SCT, drug.route) is None:
            notes.append(f"{drug.source}: route {drug.route!r} does not have the form of a SNOMED CT code; read as "
                         "no route given")
    return notes


def _icd_kind(tables: Tables, code: str) -> str:
    if tables.systems.has_form(str(ICD), code):
        return "a category or code of the ICD-10-CM release the knowledge base holds"
    return "an ICD-10-CM code (it does not have the form of one)"


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"
