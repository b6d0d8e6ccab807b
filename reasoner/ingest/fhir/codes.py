"""Codes as a Bundle gives them: a code or linkId holding a character no code has is refused (a valid FHIR
string, but no code of any system, and never to be put in an IRI), and the codings of a CodeableConcept
are read in the code systems of ``kg/codes/code-systems.ttl``.
"""

from __future__ import annotations

import re
from typing import Any

from reasoner.errors import InputError
from reasoner.ingest.systems import CodeSystems


def check_codes(where: str, label: str, value: Any, path: list[str]) -> None:
    """Refuse a code (``coding[i].code``) or a ``linkId`` holding a character no code has and no IRI may hold
    (a space, a control character, ``<>"{}|^`\\``)."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        step = [*path, f"[{key}]" if isinstance(key, int) else str(key)]
        coded = key == "linkId" or key == "code" and path[-2:-1] == ["coding"]
        if coded and isinstance(child, str) and (bad := _NOT_IN_A_CODE.search(child)):
            field = ".".join(step).replace(".[", "[")
            raise InputError(where, label, field, f"{child!r} holds {bad.group()!r}, a character no code has")
        check_codes(where, label, child, step)


_NOT_IN_A_CODE = re.compile(r'[\x00-\x20\x7f<>"{}|^`\\]')


def codings(concept: Any) -> list[Any]:
    """The codings of a CodeableConcept that have a code."""
    return [c for c in (concept.coding or []) if c.code] if concept is not None else []


def in_system(concept: Any, systems: CodeSystems, namespace: str) -> list[str]:
    """The codes of ``concept`` given under any URI or OID of the system of ``namespace``."""
    return [c.code for c in codings(concept) if systems.namespace(c.system) == namespace]


def described(concept: Any, systems: CodeSystems) -> str:
    """The codings of ``concept`` in words, for a ledger line: "SNOMED CT 91861009, 'local' X1"."""
    shown = [f"{systems.label(c.system) if c.system in systems.uris else repr(c.system or 'no system')} {c.code}"
             for c in codings(concept)]
    return ", ".join(shown) or "no coded value"
