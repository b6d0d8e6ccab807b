"""The output formats of a batch, each written one request at a time and read back to resume:

- ``ndjson``: one JSON record per claim line or error (the fields of ``records.FIELDS``);
- ``csv``: the same records, a header row first, lists joined by `` | ``;
- ``fhir``: FHIR R4 NDJSON (as FHIR Bulk Data writes it): one ClaimResponse per reviewed Claim and one
  OperationOutcome per error, each with the request, its SHA-256 and the knowledge base version as
  extensions.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from reasoner.batch.records import FIELDS, LISTS, Outcome, line_records
from reasoner.errors import NecessityError
from reasoner.render.fhir import collection, review_resources

REQUEST_EXTENSION = "https://necessity.example/fhir/StructureDefinition/batch-request"
DIGEST_EXTENSION = "https://necessity.example/fhir/StructureDefinition/batch-request-sha256"
VERSION_EXTENSION = "https://necessity.example/fhir/StructureDefinition/knowledge-base-version"
JOINED = " | "


@dataclass(frozen=True)
class Written:
    """What one written line of an output says: its request, the knowledge base version, and whether it
    is an error."""

    request: str
    digest: str
    knowledge_version: str
    error: bool


class Format(Protocol):
    """An output format: its header, one request's text, and what one of its lines says."""

    header: str

    def render(self, outcome: Outcome) -> str:
        """The outcome as text: whole lines, each ending in a newline."""
        ...

    def read(self, line: str) -> Written:
        """What a line this format wrote says (raise ValueError or KeyError if it is not such a line)."""
        ...


class Ndjson:
    """One JSON record per line."""

    header = ""

    def render(self, outcome: Outcome) -> str:
        """One JSON line per record of the outcome."""
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in line_records(outcome))

    def read(self, line: str) -> Written:
        """The request, version and kind of a JSON record."""
        record = json.loads(line)
        return Written(record["request"], record["request_sha256"], record["knowledge_base_version"],
                       record["record"] == "error")


class Csv:
    """The records as CSV: one row each, a header row first, no line break inside a field."""

    header = ",".join(FIELDS) + "\r\n"

    def render(self, outcome: Outcome) -> str:
        """One CSV row per record of the outcome."""
        text = io.StringIO()
        writer = csv.writer(text)
        for record in line_records(outcome):
            writer.writerow([_escaped(record[name]) if name == "request" else _cell(record[name], name in LISTS)
                             for name in FIELDS])
        return text.getvalue()

    def read(self, line: str) -> Written:
        """The request, version and kind of a CSV row."""
        row = dict(zip(FIELDS, next(csv.reader([line])), strict=True))
        return Written(_unescaped(row["request"]), row["request_sha256"], row["knowledge_base_version"],
                       row["record"] == "error")


class Fhir:
    """FHIR R4 NDJSON: a ClaimResponse per reviewed Claim, an OperationOutcome per error; each id begins
    with a hash of the request and the resource's own id, so that claims of the same id in two
    requests stay two resources."""

    header = ""

    def render(self, outcome: Outcome) -> str:
        """The outcome's resources, validated as FHIR R4, one per line."""
        resources = review_resources(outcome.review) if outcome.review else [_not_read(outcome)]
        marks = [{"url": REQUEST_EXTENSION, "valueString": outcome.request},
                 {"url": DIGEST_EXTENSION, "valueString": outcome.digest or "-"},
                 {"url": VERSION_EXTENSION, "valueString": outcome.knowledge_version}]
        resources = [r | {"id": _unique_id(outcome.request, r["id"]), "extension": marks} for r in resources]
        collection(resources)
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in resources)

    def read(self, line: str) -> Written:
        """The request, version and kind of a resource this format wrote."""
        resource = json.loads(line)
        marks = {e["url"]: e["valueString"] for e in resource["extension"]}
        digest = marks[DIGEST_EXTENSION]
        return Written(marks[REQUEST_EXTENSION], "" if digest == "-" else digest, marks[VERSION_EXTENSION],
                       resource["resourceType"] == "OperationOutcome")


FORMATS: dict[str, Format] = {"ndjson": Ndjson(), "csv": Csv(), "fhir": Fhir()}


def format_named(name: str) -> Format:
    """The format called ``name``."""
    if name not in FORMATS:
        raise NecessityError(f"no output format {name!r} (one of: {', '.join(FORMATS)})")
    return FORMATS[name]


def _unique_id(request: str, resource_id: str) -> str:
    """A FHIR id (at most 64 characters) unique to the request and the resource's id within it."""
    digest = hashlib.sha256(f"{request}\0{resource_id}".encode()).hexdigest()[:20]
    return f"{digest}-{resource_id}"[:64]


def _cell(value: Any, joined: bool) -> str:
    """A CSV cell: lists joined, None empty, every run of white space (line breaks too) one space."""
    if value is None:
        return ""
    text = JOINED.join(str(v) for v in value) if joined else str(value)
    return " ".join(text.split())


def _escaped(text: str) -> str:
    """``text`` with its backslashes and line breaks escaped, so that a CSV row stays on one line."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def _unescaped(text: str) -> str:
    """The text ``_escaped`` was given."""
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), text)


def _not_read(outcome: Outcome) -> dict[str, Any]:
    """An OperationOutcome for a request that could not be reviewed at all."""
    return {"resourceType": "OperationOutcome", "id": "not-reviewed",
            "issue": [{"severity": "error", "code": "invalid",
                       "diagnostics": f"{outcome.request} not reviewed: {message}"}
                      for _, message in outcome.errors]}
