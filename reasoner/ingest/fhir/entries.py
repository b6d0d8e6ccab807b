"""The entries of a FHIR Bundle: each resource validated on its own with ``fhir.resources`` (R4B), the
resources contained in them, every reference form resolved (``Type/id``, an absolute URL, a
``urn:uuid:`` fullUrl, ``#id`` of a contained resource), and the ledger that accounts for every entry:
used, ignored (why) or left out (why).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from reasoner.errors import InputError
from reasoner.ingest.model import LedgerEntry

READ_TYPES = ("Patient", "Claim", "Condition", "Observation", "MedicationRequest", "MedicationStatement",
              "Medication", "ServiceRequest", "DeviceRequest", "QuestionnaireResponse")


@dataclass
class Resource:
    """A resource of the Bundle (or contained in one): its label, its raw JSON, its validated model (None when
    it is invalid FHIR: ``problem`` says where), the keys references name it by, and its entry."""

    label: str
    kind: str
    raw: dict[str, Any]
    obj: Any
    keys: tuple[str, ...]
    entry: int
    problem: InputError | None = None
    container: Resource | None = None


@dataclass
class Entries:
    """The Bundle's resources, a reference index, and the ledger of what became of each entry."""

    where: str
    resources: list[Resource]
    ledger: dict[int, LedgerEntry] = field(default_factory=dict)
    count: int = 0

    def of_type(self, kind: str) -> Iterator[Resource]:
        """The resources of ``kind`` at the top of the Bundle (not contained), in entry order."""
        return (r for r in self.resources if r.kind == kind and r.container is None)

    def resolve(self, reference: str | None, within: Resource | None = None) -> Resource | None:
        """The resource a reference names: ``#id`` in ``within`` (or its container), a fullUrl, ``Type/id``,
        or an absolute URL ending in ``Type/id``; None when the Bundle does not hold it."""
        if not reference:
            return None
        if reference.startswith("#"):
            holder = within.container or within if within is not None else None
            return next((r for r in self.resources if r.container is holder and f"#{r.raw.get('id')}" == reference),
                        None)
        tail = _TAIL.search(reference)
        candidates = [reference, *([tail.group(1)] if tail else [])]
        for key in candidates:
            found = next((r for r in self.resources if r.container is None and key in r.keys), None)
            if found is not None:
                return found
        return None

    def note(self, resource: Resource, use: str, reason: str) -> None:
        """Record what became of ``resource``'s entry (the first word recorded for an entry stands, except
        that "used" gives way to "left out")."""
        known = self.ledger.get(resource.entry)
        if known is None or (known.use == "used" and use == "left out"):
            label = resource.container.label if resource.container is not None else resource.label
            self.ledger[resource.entry] = LedgerEntry(entry=resource.entry, resource=label, use=use, reason=reason)

    def accounted(self) -> tuple[LedgerEntry, ...]:
        """The ledger, one record per entry in entry order (an entry nothing read is ignored, with why)."""
        for resource in self.resources:
            if resource.container is None and resource.entry not in self.ledger:
                why = "not a resource type necessity reads" if resource.kind not in READ_TYPES else \
                    "nothing in it bears on the review"
                self.note(resource, "ignored", why)
        return tuple(self.ledger[i] for i in sorted(self.ledger))


_TAIL = re.compile(r"([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})(/_history/[^/]+)?$")


def read_entries(where: str, bundle: dict[str, Any]) -> Entries:
    """Every entry of ``bundle`` as a Resource (and each resource contained in one); an entry without a
    resource is an error naming it."""
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError(where, "Bundle", "entry", "not a list")
    resources: list[Resource] = []
    for index, entry in enumerate(entries):
        raw = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
            raise InputError(where, f"Bundle.entry[{index}]", "resource.resourceType", "missing")
        kind = raw["resourceType"]
        label = f"{kind}/{raw.get('id') or f'entry[{index}]'}"
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        keys = tuple(k for k in (f"{kind}/{raw['id']}" if raw.get("id") else None, full_url) if k)
        resource = Resource(label=label, kind=kind, raw=raw, obj=None, keys=keys, entry=index)
        resources.append(resource)
        if kind in READ_TYPES:
            _validate(where, resource)
            resources += _contained(where, resource)
    return Entries(where=where, resources=resources, count=len(entries))


def _validate(where: str, resource: Resource) -> None:
    """Validate ``resource`` with fhir.resources; keep the error (naming the resource and the field) when it
    is invalid."""
    from reasoner.ingest.fhir.codes import check_codes

    try:
        check_codes(where, resource.label, resource.raw, [])
    except InputError as exc:  # a character no code has: refused (a Claim is set aside, the others stop the review)
        if resource.kind != "Claim":
            raise
        resource.problem = exc
        return
    try:
        resource.obj = get_fhir_model_class(resource.kind).model_validate(resource.raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in first["loc"]).replace(".[", "[")
        resource.problem = InputError(where, resource.label, path or "-", f"invalid FHIR R4: {first['msg']}")


def _contained(where: str, container: Resource) -> list[Resource]:
    """The resources contained in ``container`` that necessity reads, each validated (its model is the
    container's contained item when the container is valid)."""
    found = []
    for position, raw in enumerate(container.raw.get("contained") or []):
        if not isinstance(raw, dict) or raw.get("resourceType") not in READ_TYPES:
            continue
        label = f"{container.label}#{raw.get('id') or position}"
        resource = Resource(label=label, kind=raw["resourceType"], raw=raw, obj=None, keys=(), entry=container.entry,
                            container=container)
        _validate(where, resource)
        found.append(resource)
    return found
