"""Reading requests: a FHIR R4 Bundle (JSON) or the same facts in Turtle, into one request model."""

from __future__ import annotations

from pathlib import Path

from reasoner.errors import InputError
from reasoner.ingest.model import Request

# A review request is one patient's claims and the facts they rest on; a file larger than this is not
# one (a whole health record, or junk), and reading it would take the memory of many requests.
MAX_REQUEST_BYTES = 32 << 20


def read_request(path: str | Path) -> Request:
    """Read a request file: ``.json`` as a FHIR R4 Bundle, ``.ttl`` as Turtle in necessity's vocabulary."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "-", "-", "no such file")
    size = path.stat().st_size
    if size > MAX_REQUEST_BYTES:
        raise InputError(str(path), "-", "-", f"{size:,} bytes: a request may be at most {MAX_REQUEST_BYTES >> 20} MiB "
                         "(one patient's review request, not a whole record)")
    if path.suffix.lower() in (".ttl", ".turtle"):
        from reasoner.ingest.turtle import read_turtle

        return read_turtle(path)
    if path.suffix.lower() == ".json":
        from reasoner.ingest.fhir import read_bundle

        return read_bundle(path)
    raise InputError(str(path), "-", "-", "not a request: expected a FHIR Bundle (.json) or Turtle (.ttl)")
