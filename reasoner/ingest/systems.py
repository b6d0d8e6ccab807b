"""The code systems a request may name, read from ``kg/codes/code-systems.ttl``: which URI or OID stands
for which system, the systems read as another (WHO ICD-10 as ICD-10-CM) and the systems whose codes
are not billing codes (X12 service types). A billed code is read in the billing system whose form it
has, so a CPT code sent under the HCPCS URI is read as CPT, with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rdflib import Graph

from reasoner.resources import Queries


@dataclass(frozen=True)
class Reading:
    """How a coding is read: the namespace of the system its code is read in (None: not a system necessity
    reads codes of), the canonical URI to print, and a warning when it is read as another system's code."""

    namespace: str | None
    system: str
    warning: str | None = None


@dataclass(frozen=True)
class CodeSystems:
    """Each URI or OID: (kind, namespace, canonical URI, label); the forms of each namespace's codes; the
    billing namespaces; the codings that answer yes or no."""

    uris: dict[str, tuple[str, str | None, str, str]]
    forms: dict[str, str]
    billing: tuple[str, ...]
    yes_no: dict[tuple[str, str], bool]

    def namespace(self, uri: str | None) -> str | None:
        """The namespace of the system named ``uri`` itself (not a related one), or None."""
        kind, namespace, _, _ = self.uris.get(uri or "", ("", None, "", ""))
        return namespace if kind == "own" else None

    def label(self, uri: str | None) -> str:
        """The name of the system ``uri``, or the URI itself when necessity does not know it."""
        return self.uris[uri][3] if uri in self.uris else repr(uri or "no system")

    def has_form(self, namespace: str, code: str) -> bool:
        """Whether ``code`` has the form of the codes of the system whose classes live in ``namespace``."""
        form = self.forms.get(namespace)
        return form is not None and re.fullmatch(form, code) is not None

    def related(self, uri: str | None) -> tuple[str, str, str] | None:
        """For a system read as another (WHO ICD-10): (namespace, canonical URI, its label); else None."""
        kind, namespace, canonical, label = self.uris.get(uri or "", ("", None, "", ""))
        return (namespace, canonical, label) if kind == "related" and namespace else None

    def billed(self, uri: str | None, code: str) -> Reading:
        """How a billed code is read: in its system when it has that system's form; in the other billing
        system whose form it has, with a warning; not at all for a system whose codes are not billing
        codes (with a warning) or one necessity does not know."""
        kind, namespace, canonical, label = self.uris.get(uri or "", ("", None, uri or "", ""))
        if kind == "non-billing":
            return Reading(None, canonical, f"{code!r} is a code of {label}, not a procedure or supply code: no "
                                            "policy can match it")
        if namespace not in self.billing:
            return Reading(None, uri or "")
        if self.has_form(namespace, code):
            return Reading(namespace, canonical)
        for other in self.billing:
            if other != namespace and self.has_form(other, code):
                name = self._name(other)
                return Reading(other, self._canonical(other), f"{code!r} was sent under {label} but has the form "
                                                              f"of a {name} code: read as {name}")
        return Reading(namespace, canonical)

    def _canonical(self, namespace: str) -> str:
        return next(c for kind, n, c, _ in self.uris.values() if n == namespace and kind == "own")

    def _name(self, namespace: str) -> str:
        return next(label for kind, n, _, label in self.uris.values() if n == namespace and kind == "own")


def code_systems(knowledge: Graph, queries: Queries) -> CodeSystems:
    """The code-system table of the knowledge graph (``queries/ingest/code-systems.rq``), the forms of the
    codes, the billing systems and the yes/no answer codings."""
    rows: Any = knowledge.query(queries.text("ingest/code-systems.rq"))
    uris = {str(r.uri): (str(r.kind), str(r.namespace) if r.namespace is not None else None, str(r.canonical),
                         str(r.label)) for r in rows}
    forms: Any = knowledge.query(queries.text("ingest/code-forms.rq"))
    billing: Any = knowledge.query(queries.text("ingest/billing-systems.rq"))
    yes_no: Any = knowledge.query(queries.text("ingest/boolean-codings.rq"))
    return CodeSystems(uris=uris, forms={str(r.namespace): str(r.form) for r in forms},
                       billing=tuple(str(r.namespace) for r in billing),
                       yes_no={(str(r.system), str(r.code)): bool(r.means.toPython()) for r in yes_no})
