"""What a batch reads: request files, folders of them, and NDJSON (one Bundle per line; ``-`` is
standard input), as a stream of items, each a request with a stable id (its file, or its file and line
number) so that a rerun finds what is already done.

A request file is listed by its path, an NDJSON file's line by its path and its place in the file (the
batch's process scans the file for its lines, keeping none): each is read where it is reviewed
(``read_item``: this process, a worker process, a Spark executor). Only standard input, a stream that
can be read once, is read by the batch's process itself."""

from __future__ import annotations

import hashlib
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
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Item:
    """One request of a batch: its id, its kind (``json`` or ``turtle``) and its bytes, or the error
    that kept it from being read. A request file is listed by its ``path`` and read where it is reviewed
    (``read_item``: a worker process, a Spark executor), so the batch's own process never holds the
    requests."""

    request: str
    kind: str
    data: bytes = b""
    base: str | None = None
    error: InputError | None = None
    path: str | None = None
    span: tuple[int, int] | None = None  # an NDJSON line's place in ``path``: its first byte and its length

    @property
    def digest(self) -> str:
        """The SHA-256 of the request's bytes (empty when they could not be read): a resumed batch checks
        that a request it skips is the one it reviewed."""
        return hashlib.sha256(self.data).hexdigest() if self.data else ""


def sources(inputs: list[str], out: str | None = None) -> list[str | Path]:
    """The request files of ``inputs`` (and ``-``), listed now, before anything is written: files as they
    are named, a folder's request files (``*.json``, ``*.ttl``, ``*.ndjson``; not its subfolders) by
    name, never the output ``out`` itself. Refuse inputs that are not there, standard input named twice,
    and an output named as an input."""
    if inputs.count(STDIN) not in (0, 1):
        raise NecessityError("standard input ('-') may be named once")
    listed: list[str | Path] = []
    for name in inputs:
        if name == STDIN:
            listed.append(STDIN)
            continue
        path = Path(os.path.abspath(name))
        if not path.exists():
            raise NecessityError(f"{name}: no such file or folder")
        if not path.is_dir():
            if _same_file(path, out):
                raise NecessityError(f"{name}: is the output: a batch does not read what it writes")
            listed.append(path)
            continue
        try:
            listed += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (*KINDS, *NDJSON)
                             and not _same_file(p, out))
        except OSError as exc:
            raise NecessityError(f"{name}: cannot be listed: {exc.strerror}") from exc
    return listed


def items(listed: Iterable[str | Path]) -> Iterator[Item]:
    """The requests of ``listed`` (from ``sources``) in order, an NDJSON file's by line number. A
    request's id is its file's absolute path (and line number), the same however the file is named. A
    request named again is an error item, its id numbered (``#2``)."""
    seen: Counter[str] = Counter()
    for source in listed:
        for item in _items_of(source):
            again = item.request in seen
            seen[item.request] += 1
            if again:
                item = Item(f"{item.request}#{seen[item.request]}", item.kind, error=InputError(
                    item.request, "-", "-", "named again in this batch: reviewed once"))
            yield item


def count(listed: Iterable[str | Path]) -> int | None:
    """How many requests ``listed`` holds (None when it includes standard input, which can be read only
    once, or a file that cannot be read)."""
    total = 0
    for source in listed:
        if not isinstance(source, Path):
            return None
        try:
            total += _count_lines(source) if source.suffix.lower() in NDJSON else 1
        except OSError:
            return None
    return total


def _same_file(path: Path, out: str | None) -> bool:
    try:
        return out is not None and out != STDIN and Path(out).exists() and os.path.samefile(path, out)
    except OSError:
        return False


def _items_of(source: str | Path) -> Iterator[Item]:
    if not isinstance(source, Path):
        yield from _ndjson_items(sys.stdin.buffer, "<stdin>")
        return
    if source.suffix.lower() not in NDJSON:
        yield _file_item(source)
        return
    try:
        with source.open("rb") as stream:
            yield from _ndjson_items(stream, str(source), keep=False)
    except OSError as exc:
        yield Item(str(source), "json", error=InputError(str(source), "-", "-", f"cannot be read: {exc.strerror}"))


def read_item(item: Item) -> Item:
    """The item with its bytes: a request file listed by its path is read now (an error item when it cannot
    be, or has grown past the limit); any other item as it is."""
    if item.path is None or item.data or item.error is not None:
        return item
    path = Path(item.path)
    try:
        if item.span is not None:
            return Item(item.request, item.kind, _read_span(path, *item.span), base=item.base)
        check_size(path.stat().st_size, item.path)
        return Item(item.request, item.kind, path.read_bytes(), base=item.base)
    except OSError as exc:
        return Item(item.request, item.kind, error=InputError(item.path, "-", "-", f"cannot be read: {exc.strerror}"))
    except InputError as exc:
        return Item(item.request, item.kind, error=exc)


def _file_item(path: Path) -> Item:
    """A request file as an item to read where it is reviewed, or the error that refuses it already."""
    kind = KINDS.get(path.suffix.lower(), "json")
    try:
        check_size(path.stat().st_size, str(path))
        if path.suffix.lower() not in KINDS:
            raise InputError(str(path), "-", "-", "not a request: expected a FHIR Bundle (.json), Turtle (.ttl) "
                             "or NDJSON (.ndjson, one Bundle per line)")
        return Item(str(path), kind, base=path.absolute().as_uri(), path=str(path))
    except OSError as exc:
        return Item(str(path), kind, error=InputError(str(path), "-", "-", f"cannot be read: {exc.strerror}"))
    except InputError as exc:
        return Item(str(path), kind, error=exc)


def _ndjson_items(stream: BinaryIO, name: str, keep: bool = True) -> Iterator[Item]:
    """One item per line that is not blank (a byte order mark before the first is dropped); a line
    longer than a request may be is an error item. With ``keep`` (standard input) an item holds its
    line; else it names the line's place in the file ``name``, to be read where it is reviewed."""
    number, at = 0, 0
    while True:
        line = stream.readline(MAX_REQUEST_BYTES + 2)  # a whole line of the largest request, with \r\n
        if not line:
            return
        number += 1
        request, start, at = f"{name}:{number}", at, at + len(line)
        if number == 1 and line.startswith(BOM):
            line, start = line.removeprefix(BOM), start + len(BOM)
        if not line.endswith(b"\n") and len(line) == MAX_REQUEST_BYTES + 2:
            skipped = _skip_line(stream)
            at += skipped
            yield Item(request, "json", error=too_big(len(line) + skipped, request))
            continue
        content = line.rstrip(b"\r\n")
        if len(content) > MAX_REQUEST_BYTES:
            yield Item(request, "json", error=too_big(len(content), request))
        elif content.strip():
            yield Item(request, "json", content) if keep else \
                Item(request, "json", path=name, span=(start, len(content)))


def _read_span(path: Path, start: int, size: int) -> bytes:
    """The ``size`` bytes of ``path`` from ``start``: an NDJSON line, read where it is reviewed."""
    with path.open("rb") as stream:
        stream.seek(start)
        return stream.read(size)


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
