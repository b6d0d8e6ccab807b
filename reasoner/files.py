"""Output files, written whole or not at all, and only where a file belongs.

What an output path names decides how it is written, as ``cp`` would: a regular file (new, or an
existing one, which keeps its mode and, when possible, its owner and group) is written through a
temporary file beside it, private (0600) until it is complete, then renamed over it; a symbolic
link is followed, so its target is written and the link stays a link; a character device or a named
pipe (``/dev/null``, ``/dev/stdout``, a FIFO) is written through, never replaced. A directory, a
socket, a block device or a link to nothing is refused with an error naming the path. A new file gets
mode 0666 less the umask.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reasoner.errors import NecessityError

WRITTEN_THROUGH = {stat.S_IFCHR: "a character device", stat.S_IFIFO: "a named pipe (FIFO)"}
REFUSED = {stat.S_IFDIR: "a directory", stat.S_IFSOCK: "a socket", stat.S_IFBLK: "a block device"}


@dataclass(frozen=True)
class Destination:
    """Where an output goes: the path as named, the file written (a symbolic link followed to its
    target), and what is there now (None: nothing yet)."""

    named: Path
    target: Path
    found: os.stat_result | None

    @property
    def written_through(self) -> bool:
        """Whether it is a character device or a named pipe, written through rather than replaced."""
        return self.found is not None and stat.S_IFMT(self.found.st_mode) in WRITTEN_THROUGH

    @property
    def kind(self) -> str:
        """What is there, in words."""
        if self.found is None:
            return "a new file"
        return WRITTEN_THROUGH.get(stat.S_IFMT(self.found.st_mode), "a regular file")


def destination(path: Path) -> Destination:
    """What ``path`` names as an output, symbolic links followed; a ``NecessityError`` naming it for a
    directory, a socket, a block device, anything else that is not a regular file, or a symbolic link
    to nothing (no file is created through a link)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        if path.is_symlink():
            raise NecessityError(f"{path}: a symbolic link to {os.readlink(path)}, which does not exist: no file "
                                 "is created through it; nothing was written") from None
        return Destination(path, path, None)
    except OSError as exc:
        raise NecessityError(f"{path}: cannot write the file ({exc.strerror})") from exc
    kind = stat.S_IFMT(found.st_mode)
    if kind in WRITTEN_THROUGH:
        return Destination(path, path, found)
    if kind != stat.S_IFREG:
        what = REFUSED.get(kind, "not a regular file")
        raise NecessityError(f"{path}: is {what}: an output is written to a regular file, a character device "
                             "or a named pipe only; nothing was written")
    return Destination(path, Path(os.path.realpath(path)), found)


def write_whole(path: Path, content: bytes, mode: int | None = None) -> None:
    """Write ``content`` to ``path`` whole, or not at all, as ``destination`` says: through a character
    device or named pipe once it is complete, else through a temporary file beside the (link's) target,
    renamed over it when complete. The file gets ``mode``, else an existing file's mode, else 0666
    less the umask. An error that names the file when it cannot be written."""
    place = destination(path)
    if place.written_through:
        _write_through(place, content)
    else:
        _replace(place, content, mode)


def open_through(place: Destination) -> int:
    """A descriptor open for writing on the character device or named pipe ``place`` (nothing created,
    nothing truncated; a named pipe waits for its reader), checked to be still one."""
    try:
        handle = os.open(place.named, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise NecessityError(f"{place.named}: cannot write to {place.kind} ({exc.strerror})") from exc
    if stat.S_IFMT(os.fstat(handle).st_mode) not in WRITTEN_THROUGH:
        os.close(handle)
        raise NecessityError(f"{place.named}: changed while it was opened: nothing was written")
    return handle


def _write_through(place: Destination, content: bytes) -> None:
    handle = open_through(place)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(handle, view):]
    except OSError as exc:
        raise NecessityError(f"{place.named}: cannot write to {place.kind} ({exc.strerror})") from exc
    finally:
        os.close(handle)


def _replace(place: Destination, content: bytes, mode: int | None) -> None:
    target = place.target
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")  # 0600
    except OSError as exc:
        raise NecessityError(f"{place.named}: cannot write the file ({exc.strerror})") from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
            _take_owner(stream.fileno(), place.found)
            os.fchmod(stream.fileno(), _final_mode(place.found, mode))
        _still_a_file(place)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise NecessityError(f"{place.named}: cannot write the file ({exc.strerror})") from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _final_mode(found: os.stat_result | None, mode: int | None) -> int:
    """``mode`` if given, else the existing file's, else 0666 less the umask."""
    if mode is not None:
        return mode
    return stat.S_IMODE(found.st_mode) if found is not None else 0o666 & ~_umask()


def _take_owner(handle: int, found: os.stat_result | None) -> None:
    """Give the temporary file the owner and group of the file it replaces, as far as this process may
    (root: both; another user: a group of theirs; else it stays theirs)."""
    if found is None:
        return
    now = os.fstat(handle)
    if (now.st_uid, now.st_gid) == (found.st_uid, found.st_gid):
        return
    for uid in (found.st_uid, -1):
        try:
            os.fchown(handle, uid, found.st_gid)
            return
        except PermissionError:
            continue


def _still_a_file(place: Destination) -> None:
    """Refuse to rename over what has become, since ``destination`` looked, something other than a
    regular file (or nothing)."""
    try:
        now = os.lstat(place.target)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(now.st_mode):
        raise NecessityError(f"{place.named}: changed while it was written (it is no longer a regular file): "
                             "nothing was written")


def _umask() -> int:
    """This process's umask, read without changing it where Linux tells it (no moment with another)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask
