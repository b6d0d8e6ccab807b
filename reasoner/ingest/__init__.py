"""Reading requests: a FHIR R4 Bundle (JSON) or the same facts in Turtle, into one request model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reasoner.errors import InputError
from reasoner.ingest.model import Request

if TYPE_CHECKING:
    from reasoner.knowledge import Knowledge

# A review request is one patient's claims and the facts they rest on; a file larger than this is not
# one (a whole health record, or junk), and reading it would take the memory of many requests.
MAX_REQUEST_BYTES = 32 << 20


def read_request(path: str | Path, knowledge: Knowledge) -> Request:
    """Read a request file: ``.json`` as a FHIR R4 Bundle, ``.ttl`` as Turtle in necessity's vocabulary, with
    the reference tables and the patient shapes of ``knowledge``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "-", "-", "no such file")
    check_size(path.stat().st_size, str(path))
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise InputError(str(path), "-", "-", "not a request: expected a FHIR Bundle (.json) or Turtle (.ttl)")
    return parse_request(path.read_bytes(), str(path), kind, knowledge, base=path.absolute().as_uri())


def parse_request(data: bytes, where: str, kind: str, knowledge: Knowledge, base: str | None = None) -> Request:
    """Read a request from ``data``: ``kind`` ``json`` is a FHIR R4 Bundle, ``turtle`` Turtle in necessity's
    vocabulary (relative IRIs resolved against ``base``). Errors name ``where``."""
    check_size(len(data), where)
    if kind == "turtle":
        from reasoner.ingest.turtle import read_turtle

        return read_turtle(data, where, knowledge.tables.systems, knowledge.shapes, base)
    from reasoner.ingest.fhir import read_bundle

    return read_bundle(data, where, knowledge.tables)


def check_size(size: int, where: str) -> None:
    """Refuse a request larger than MAX_REQUEST_BYTES, before it is read."""
    if size > MAX_REQUEST_BYTES:
        raise too_big(size, where)


def too_big(size: int, where: str) -> InputError:
    """The error of a request of ``size`` bytes, over MAX_REQUEST_BYTES."""
    return InputError(where, "-", "-", f"{size:,} bytes: a request may be at most {MAX_REQUEST_BYTES >> 20} MiB "
                      "(one patient's review request, not a whole record)")


# The request kinds by file suffix.
KINDS = {".json": "json", ".ttl": "turtle", ".turtle": "turtle"}
