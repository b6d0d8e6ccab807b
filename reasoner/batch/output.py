"""The output file of a batch: opened new, or reopened to resume. Records are written one request at a
time, so only the last request in the file can have been cut off by an interruption; resuming removes
that request's lines and reviews it again, so no record is missing and none is written twice.

The output path is taken as ``reasoner/files.py`` takes it: a symbolic link is followed, a character
device or a named pipe is written through (streamed, locked, never resumed), a directory, socket,
block device or link to nothing is refused, and an existing file keeps its mode."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from reasoner.batch.formats import Format, Written
from reasoner.errors import NecessityError
from reasoner.files import Destination, destination, open_through

STDOUT = "-"


@dataclass
class Done:
    """What an output already holds: the requests written whole, and how many of them had an error."""

    requests: dict[str, str] = field(default_factory=dict)  # request id -> the SHA-256 of its bytes
    errors: int = 0


class Output:
    """An output open for appending, one request at a time: a regular file locked against a second batch
    (when resumed, cut back to its whole requests at the first write, so that a refused resume leaves
    the file as it was), a character device or named pipe written through (locked too), or standard
    output. Only a regular file can be resumed."""

    def __init__(self, stream: BinaryIO, done: Done, name: str, file: bool = False, keep: int | None = None,
                 header: bytes = b"", created: Path | None = None) -> None:
        self.stream, self.done, self.name, self.file = stream, done, name, file
        self._keep, self._header, self._created = keep, header, created
        self._wrote = False

    def write_request(self, text: str) -> None:
        """Write one request's records and hand them to the operating system, so that a process killed
        afterwards loses none of them."""
        try:
            if self._keep is not None:
                self.stream.seek(self._keep)
                self.stream.truncate()
                self.stream.write(self._header)
                self._keep = None
            self.stream.write(text.encode())
            self.stream.flush()
        except OSError as exc:
            advice = ": the requests written before are kept; rerun with --resume once it can be" if self.file else ""
            raise NecessityError(f"{self.name}: cannot be written ({exc.strerror}){advice}") from exc
        self._wrote = True

    def close(self, failed: bool = False) -> None:
        """Close the output (not standard output), a file's records on disk. After a failure before any
        record, the file this run created is removed: no empty output is left behind."""
        if self.stream.closed:
            return
        try:
            self.stream.flush()
            if self.file:
                os.fsync(self.stream.fileno())
        except OSError:
            failed = True
        if self.stream is sys.stdout.buffer:
            return
        try:
            self.stream.close()
        except OSError:  # what could not be written (a pipe its reader closed) was reported when written
            failed = True
        if failed and self._created is not None and not self._wrote:
            self._created.unlink(missing_ok=True)


def open_output(out: str, form: Format, version: str, resume: bool) -> Output:
    """Open ``out`` for appending one request at a time, with what it already holds. A new file gets the
    format's header; an existing one is refused unless ``resume``, and then must be in ``form`` and of
    knowledge base ``version``. A symbolic link is followed; a character device or a named pipe is
    written through (and cannot be resumed); anything else that is not a regular file is refused."""
    if out == STDOUT:
        if resume:
            raise NecessityError("--resume needs an output file (-o FILE), not standard output")
        sys.stdout.buffer.write(form.header.encode())
        return Output(sys.stdout.buffer, Done(), out)
    place = destination(Path(out))
    if place.written_through:
        return _open_through(place, out, form, resume)
    if place.found is None:
        return _open_new(place.target, out, form)
    if not resume:
        raise NecessityError(f"{out}: already exists: --resume finishes the batch it holds; remove it to "
                             "start again")
    return _reopen(place.target, out, form, version)


def _open_through(place: Destination, out: str, form: Format, resume: bool) -> Output:
    """A character device or named pipe, locked, its header written."""
    if resume:
        raise NecessityError(f"{out}: is {place.kind}: --resume reads back what a batch wrote, which needs a "
                             "regular file")
    stream = os.fdopen(open_through(place), "wb")
    _start(stream, out, form.header.encode())
    return Output(stream, Done(), out)


def _open_new(path: Path, out: str, form: Format) -> Output:
    """A new file (mode 0666 less the umask), locked, its header written; removed if that fails."""
    try:
        stream: BinaryIO = path.open("xb")
    except OSError as exc:
        raise NecessityError(f"{out}: cannot be written ({exc.strerror})") from exc
    try:
        _start(stream, out, form.header.encode())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Output(stream, Done(), out, file=True, created=path)


def _reopen(path: Path, out: str, form: Format, version: str) -> Output:
    """An existing file (its mode, owner and contents kept until the first write), locked, read back."""
    try:
        stream: BinaryIO = path.open("r+b")
    except OSError as exc:
        raise NecessityError(f"{out}: cannot be written ({exc.strerror})") from exc
    try:
        _lock(stream, out)
        done, keep = _written(stream, Path(out), form, version)
    except OSError as exc:
        stream.close()
        raise NecessityError(f"{out}: cannot be read back ({exc.strerror})") from exc
    except BaseException:
        stream.close()
        raise
    header = form.header.encode() if keep == 0 else b""  # cut off inside the header: written again
    return Output(stream, done, out, file=True, keep=keep, header=header)


def _start(stream: BinaryIO, out: str, header: bytes) -> None:
    """Lock a new output and write its header; closed if that fails."""
    try:
        _lock(stream, out)
        stream.write(header)
        stream.flush()
    except OSError as exc:
        stream.close()
        raise NecessityError(f"{out}: cannot be written ({exc.strerror})") from exc
    except BaseException:
        stream.close()
        raise


def _lock(stream: BinaryIO, out: str) -> None:
    """Lock the output for this batch alone (where the system has fcntl); refuse it if the lock cannot be
    taken, held by another batch or not offered by the file system."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return
    try:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        raise NecessityError(f"{out}: another necessity batch is writing it") from exc
    except OSError as exc:
        raise NecessityError(f"{out}: cannot be locked ({exc.strerror}): a batch writes only an output it "
                             "alone holds") from exc


def _written(stream: BinaryIO, path: Path, form: Format, version: str) -> tuple[Done, int]:
    """What the output ``path``, open as ``stream``, holds, less its last request (which an interruption
    may have cut short), and the length to keep."""
    stream.seek(0)
    data = stream.read()
    header = form.header.encode()
    if not data.startswith(header) and header.startswith(data):
        return Done(), 0  # cut off inside the header
    if not data.startswith(header):
        raise NecessityError(f"{path}: not a batch output in this format: its first line is not the header")
    lines: list[tuple[int, Written]] = []
    offset = len(header)
    for number, line in enumerate(data[offset:].split(b"\n")[:-1], start=2 if header else 1):  # last: cut short
        lines.append((offset, _read(form, path, number, line)))
        offset += len(line) + 1
    if not lines:
        return Done(), len(header)
    keep = _start_of_last_group(lines, len(header))
    whole = [w for start, w in lines if start < keep]
    foreign = sorted({w.knowledge_version for w in whole} - {version})
    if foreign:
        raise NecessityError(f"{path}: written with knowledge base {', '.join(foreign)}, not {version}: a resumed "
                             "batch would mix two versions; start a new output")
    requests = {w.request: w.digest for w in whole}
    return Done(requests, len({w.request for w in whole if w.error})), keep


def _start_of_last_group(lines: list[tuple[int, Written]], default: int) -> int:
    """Where the lines of the last request written begin."""
    last = lines[-1][1].request
    start = default
    for offset, written in reversed(lines):
        if written.request != last:
            break
        start = offset
    return start


def _read(form: Format, path: Path, number: int, line: bytes) -> Written:
    try:
        return form.read(line.decode("utf-8"))
    except (ValueError, KeyError, TypeError) as exc:
        raise NecessityError(f"{path}: line {number}: not a record of this batch format ({type(exc).__name__}); "
                             "resume only an output written by necessity batch in the same --format") from exc
