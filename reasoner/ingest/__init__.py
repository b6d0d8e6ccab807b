"""Reading requests: a FHIR R4 Bundle (JSON) or the same facts in Turtle, into one request model."""

from __future__ import annotations

from pathlib import Path

from reasoner.errors import InputError
from reasoner.ingest.model import Request


def read_request(path: str | Path) -> Request:
    """Read a request file: ``.json`` as a FHIR R4 Bundle, ``.ttl`` as Turtle in necessity's vocabulary."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "-", "-", "no such file")
    if path.suffix.lower() in (".ttl", ".turtle"):
        from reasoner.ingest.turtle import read_turtle

        return read_turtle(path)
    if path.suffix.lower() == ".json":
        from reasoner.ingest.fhir import read_bundle

        return read_bundle(path)
    raise InputError(str(path), "-", "-", "not a request: expected a FHIR Bundle (.json) or Turtle (.ttl)")
