"""What a batch reads: request files, folders of them, and NDJSON (one Bundle per line; ``-`` is
standard input), as a stream of items, each a request with a stable id (its file, or its file and line
number) so that a rerun finds what is already done."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reasoner.errors import InputError, NecessityError
from reasoner.ingest import KINDS, MAX_REQUEST_BYTES, check_size, too_big

NDJSON = (".ndjson", ".jsonl")
STDIN = "-"
CHUNK = 1 << 20  # bytes read at a time from a line too long to keep


@dataclass(frozen=True)
class Item:
    """One request of a batch: its id, its kind (``json`` or ``turtle``) and its bytes, or the error
    that kept it from being read."""

    request: str
    kind: str
    data: bytes = b""
    base: str | None = None
    error: InputError | None = None


def items(inputs: Iterable[str]) -> Iterator[Item]:
    """The requests of ``inputs`` in order: files as they are named, a folder's request files (``*.json``,
    ``*.ttl``, ``*.ndjson``; not its subfolders) by name, an NDJSON file's lines by number. A request's id
    is its file's absolute path (and line number), the same however the file is named. A request named
    again is an error item, its id numbered (``#2``)."""
    seen: Counter[str] = Counter()
    for name in inputs:
        for item in _items_of(name):
            again = item.request in seen
            seen[item.request] += 1
            if again:
                item = Item(f"{item.request}#{seen[item.request]}", item.kind, error=InputError(
                    item.request, "-", "-", "named again in this batch: reviewed once"))
            yield item


def check_inputs(inputs: list[str]) -> None:
    """Refuse, before anything is written, inputs that are not there, and standard input named twice."""
    if inputs.count(STDIN) not in (0, 1):
        raise NecessityError("standard input ('-') may be named once")
    for name in inputs:
        if name != STDIN and not Path(name).exists():
            raise NecessityError(f"{name}: no such file or folder")


def count(inputs: Iterable[str]) -> int | None:
    """How many requests ``inputs`` hold (None when one is standard input, which can be read only once)."""
    total = 0
    for name in inputs:
        if name == STDIN:
            return None
        for path in _files(name):
            total += _count_lines(path) if path.suffix.lower() in NDJSON else 1
    return total


def _items_of(name: str) -> Iterator[Item]:
    if name == STDIN:
        yield from _ndjson_items(sys.stdin.buffer, "<stdin>")
        return
    for path in _files(name):
        if path.suffix.lower() in NDJSON:
            with path.open("rb") as stream:
                yield from _ndjson_items(stream, str(path))
        else:
            yield _file_item(path)


def _files(name: str) -> list[Path]:
    path = Path(os.path.abspath(name))
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (*KINDS, *NDJSON))
    return [path]


def _file_item(path: Path) -> Item:
    kind = KINDS.get(path.suffix.lower(), "json")
    try:
        check_size(path.stat().st_size, str(path))
        if path.suffix.lower() not in KINDS:
            raise InputError(str(path), "-", "-", "not a request: expected a FHIR Bundle (.json), Turtle (.ttl) "
                             "or NDJSON (.ndjson, one Bundle per line)")
        return Item(str(path), kind, path.read_bytes(), base=path.absolute().as_uri())
    except OSError as exc:
        return Item(str(path), kind, error=InputError(str(path), "-", "-", f"cannot be read: {exc.strerror}"))
    except InputError as exc:
        return Item(str(path), kind, error=exc)


def _ndjson_items(stream: BinaryIO, name: str) -> Iterator[Item]:
    """One item per line that is not blank; a line too long to be a request is an error item."""
    number = 0
    while True:
        line = stream.readline(MAX_REQUEST_BYTES + 1)
        if not line:
            return
        number += 1
        request = f"{name}:{number}"
        if len(line) > MAX_REQUEST_BYTES:
            yield Item(request, "json", error=too_big(len(line) + _skip_line(stream), request))
        elif line.strip():
            yield Item(request, "json", line)


def _skip_line(stream: BinaryIO) -> int:
    """Read past the rest of a line too long to keep; return how many bytes were skipped."""
    skipped = 0
    while True:
        chunk = stream.readline(CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for line in stream if line.strip())
