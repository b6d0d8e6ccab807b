"""The patient's record for a hook call: each prefetch key the client sent, and for each it did not, the
same query on the client's FHIR server (``fhirServer``, with ``fhirAuthorization``'s bearer token, CDS
Hooks 2.0 and CRD-57), but only when that server's origin is on the allow-list given at start. What can
be had neither way is named as missing, never guessed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from reasoner.api.crd.services import PREFETCH

FETCH_TIMEOUT_S = 5.0


@dataclass
class Record:
    """What was had of the record: the resources with their fullUrls, the keys that could not be had and
    why, and the queries made on the client's server."""

    resources: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower case: what the allow-list holds."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def gather(call: dict[str, Any], patient_id: str, allowed: tuple[str, ...]) -> Record:
    """The record of ``patient_id`` for the hook call ``call``: prefetch first, then the client's server."""
    record = Record()
    prefetch: dict[str, Any] = call["prefetch"] if isinstance(call.get("prefetch"), dict) else {}
    server = call.get("fhirServer") if isinstance(call.get("fhirServer"), str) else None
    for key, template in PREFETCH.items():
        query = template.replace("{{context.patientId}}", patient_id)
        if key in prefetch:
            _take(record, key, prefetch[key], base=server or "")
            continue
        why = _not_fetchable(server, allowed)
        if why:
            record.missing[key] = f"not prefetched, and {why}"
            continue
        _take(record, key, *_fetch(record, str(server), query, _token(call)))
    return record


def _not_fetchable(server: str | None, allowed: tuple[str, ...]) -> str | None:
    if not server:
        return "the hook names no fhirServer to query"
    if origin(server) not in {origin(a) for a in allowed}:
        return (f"the client's FHIR server {origin(server)} is not on this API's allow-list (necessity api "
                "--fhir-server ORIGIN), so it was not queried")
    return None


def _token(call: dict[str, Any]) -> str | None:
    authorization = call.get("fhirAuthorization")
    token = authorization.get("access_token") if isinstance(authorization, dict) else None
    return token if isinstance(token, str) and token else None


def _fetch(record: Record, server: str, query: str, token: str | None) -> tuple[Any, str]:
    """GET ``query`` on ``server``: (the JSON body, the base) or (None-with-reason as a str, base)."""
    url = server.rstrip("/") + "/" + query
    record.fetched.append(url)
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with httpx.Client(timeout=FETCH_TIMEOUT_S, follow_redirects=False) as client:
            response = client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return f"GET {url} failed: {type(exc).__name__}", server
    if response.status_code != 200:
        return f"GET {url} answered HTTP {response.status_code}", server
    try:
        return response.json(), server
    except ValueError:
        return f"GET {url} did not answer JSON", server


def _take(record: Record, key: str, value: Any, base: str) -> None:
    """Add what a key gave: a resource, a search Bundle's matches, None (no data), or a reason it failed."""
    if value is None:
        return  # CDS Hooks: a prefetch key set to null means the client has no such data
    if isinstance(value, str):
        record.missing[key] = value
        return
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        record.missing[key] = f"prefetch {key!r} is not a FHIR resource"
        return
    if value["resourceType"] == "OperationOutcome":
        record.missing[key] = f"{key!r} gave an OperationOutcome: {_diagnostics(value)}"
        return
    if value["resourceType"] != "Bundle":
        record.resources.append((_full_url(base, value), value))
        return
    for entry in value.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        mode = (entry.get("search") or {}).get("mode") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and mode != "outcome" and resource.get("resourceType") != "OperationOutcome":
            record.resources.append((str(entry.get("fullUrl") or _full_url(base, resource)), resource))
    if any(isinstance(link, dict) and link.get("relation") == "next" for link in value.get("link") or []):
        record.missing[key] = f"{key!r} has more than one page of results; only the first was read"


def _full_url(base: str, resource: dict[str, Any]) -> str:
    local = f"{resource.get('resourceType')}/{resource.get('id')}"
    return f"{base.rstrip('/')}/{local}" if base else local


def _diagnostics(outcome: dict[str, Any]) -> str:
    issues = [i for i in outcome.get("issue") or [] if isinstance(i, dict)]
    return "; ".join(str(i.get("diagnostics") or i.get("code") or "?") for i in issues) or "no issue given"
