"""Writes output files whole or not at all, so that a failure never leaves a partial file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from reasoner.errors import NecessityError


def write_whole(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file beside it, renamed when complete; an
    error that names the file when it cannot be written."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise NecessityError(f"{path}: cannot write the file ({exc.strerror})") from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise NecessityError(f"{path}: cannot write the file ({exc.strerror})") from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
