"""Finding 1 of the security review: ``-o`` replaced whatever was at the path. As root, a device node or
a named pipe became a regular file (``-o /dev/null`` would have replaced the real one), a symbolic link
was replaced, and a report written over a 0600 file left it 0644.

Now, as ``cp`` does: a character device or a named pipe is written through and stays what it is; a
symbolic link is followed (its target written, the link kept) unless it leads nowhere; a directory, a
socket or a block device is refused (exit code 2, one message naming the path, nothing written); an
existing file keeps its mode (and, as root, its owner and group); a new file gets 0666 less the umask;
the temporary file is 0600 until it is complete. For ``report``, ``export`` and ``batch`` alike.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reasoner.cli.main import cli

ROOT = Path(__file__).resolve().parents[3]
SEED = str(ROOT / "examples" / "seed-aml-port.json")
NAME = "out.html"  # a report is .md or .html; export and batch take any name
COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "report": lambda out: ["report", SEED, "-o", out],
    "export": lambda out: ["export", SEED, "--format", "dot", "-o", out],
    "batch": lambda out: ["batch", SEED, "-o", out],
}
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="making device nodes and changing owners needs root")


def run(*args: str) -> Result:
    """``necessity`` in this process; a bug (not an exit) is raised."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What each command writes to a new regular file."""
    folder = tmp_path_factory.mktemp("expected")
    written = {}
    for name, command in COMMANDS.items():
        out = folder / f"{name}.html"
        result = run(*command(str(out)))
        assert result.exit_code == 0, result.stderr
        written[name] = out.read_bytes()
    return written


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    """Set the umask for the test; the previous one is restored."""
    before = os.umask(0o022)
    os.umask(before)
    yield os.umask
    os.umask(before)


def null_device(path: Path) -> Path:
    """A character device node at ``path`` that is /dev/null (major 1, minor 3)."""
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return path


def listing(folder: Path) -> list[tuple[str, int]]:
    """Every name under ``folder`` with its type, to see that nothing else was written."""
    return sorted((str(p.relative_to(folder)), stat.S_IFMT(p.lstat().st_mode)) for p in folder.rglob("*"))


def read_fifo(path: Path) -> tuple[threading.Thread, list[bytes]]:
    """A thread reading the named pipe ``path`` to its end; what it read, once it ends."""
    got: list[bytes] = []

    def read() -> None:
        with path.open("rb") as stream:
            got.append(stream.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, got


# A character device: written through, still a device.

@needs_root
@pytest.mark.parametrize("command", COMMANDS)
def test_a_character_device_is_written_through_and_stays_a_character_device(tmp_path, command):
    device = null_device(tmp_path / NAME)
    result = run(*COMMANDS[command](str(device)))
    assert result.exit_code == 0, result.stderr
    found = device.lstat()
    assert stat.S_ISCHR(found.st_mode) and found.st_rdev == os.makedev(1, 3)
    assert listing(tmp_path) == [(NAME, stat.S_IFCHR)]  # no temporary file left beside it


@needs_root
def test_a_link_to_a_character_device_writes_through_it(tmp_path):
    device = null_device(tmp_path / "null")
    (tmp_path / NAME).symlink_to("null")
    assert run(*COMMANDS["report"](str(tmp_path / NAME))).exit_code == 0
    assert stat.S_ISCHR(device.lstat().st_mode) and (tmp_path / NAME).is_symlink()


@needs_root
def test_resume_on_a_character_device_is_refused(tmp_path):
    device = null_device(tmp_path / NAME)
    result = run("batch", SEED, "-o", str(device), "--resume")
    assert result.exit_code == 2
    assert result.stderr == (f"necessity: error: {device}: is a character device: --resume reads back what a batch "
                             "wrote, which needs a regular file\n")
    assert stat.S_ISCHR(device.lstat().st_mode)


# A named pipe: its reader gets the whole output, and it stays a pipe.

@pytest.mark.parametrize("command", COMMANDS)
def test_a_named_pipe_gets_the_whole_output_and_stays_a_named_pipe(tmp_path, expected, command):
    fifo = tmp_path / NAME
    os.mkfifo(fifo)
    reader, got = read_fifo(fifo)
    result = run(*COMMANDS[command](str(fifo)))
    reader.join(timeout=60)
    assert result.exit_code == 0, result.stderr
    assert not reader.is_alive() and got == [expected[command]]
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and listing(tmp_path) == [(NAME, stat.S_IFIFO)]


@pytest.mark.parametrize("command, message", [
    (["export", SEED, "--format", "html"], "cannot write to a named pipe (FIFO) (Broken pipe)"),  # over 64 KiB
    (["batch", str(ROOT / "examples")], "cannot be written (Broken pipe)"),  # seven requests, written one by one
])
def test_a_named_pipe_its_reader_closes_is_an_error_naming_it(tmp_path, command, message):
    fifo = tmp_path / NAME

    def read_a_little() -> None:
        with fifo.open("rb") as stream:
            stream.read(100)

    os.mkfifo(fifo)
    reader = threading.Thread(target=read_a_little, daemon=True)
    reader.start()
    result = run(*command, "-o", str(fifo))
    reader.join(timeout=60)
    assert result.exit_code == 2 and result.stderr == f"necessity: error: {fifo}: {message}\n"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_resume_on_a_named_pipe_is_refused_without_waiting_for_a_reader(tmp_path):
    fifo = tmp_path / NAME
    os.mkfifo(fifo)
    result = run("batch", SEED, "-o", str(fifo), "--resume")
    assert result.exit_code == 2 and f"{fifo}: is a named pipe (FIFO): --resume reads back" in result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_named_pipe_another_batch_holds_is_refused(tmp_path):
    fifo = tmp_path / NAME
    os.mkfifo(fifo)
    held = os.open(fifo, os.O_RDWR)  # a reader, and the lock a batch writing it would hold
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run("batch", SEED, "-o", str(fifo))
        os.set_blocking(held, False)
        with pytest.raises(BlockingIOError):
            os.read(held, 1)  # nothing was written into it
    finally:
        os.close(held)
    assert result.exit_code == 2
    assert result.stderr == f"necessity: error: {fifo}: another necessity batch is writing it\n"


def test_an_output_that_cannot_be_locked_is_refused_and_removed(tmp_path, monkeypatch):
    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(fcntl, "flock", no_locks)
    out = tmp_path / "out.ndjson"
    result = run("batch", SEED, "-o", str(out))
    assert result.exit_code == 2
    assert f"{out}: cannot be locked (No locks available): a batch writes only an output it alone holds" \
        in result.stderr
    assert listing(tmp_path) == []


# A symbolic link: followed, still a link.

@pytest.mark.parametrize("command", ["report", "export"])
def test_a_symbolic_link_stays_a_link_and_its_target_gets_the_output(tmp_path, expected, command):
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / "real.html"
    target.write_bytes(b"an older report\n")
    target.chmod(0o640)
    link = tmp_path / NAME
    link.symlink_to("elsewhere/real.html")
    result = run(*COMMANDS[command](str(link)))
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == "elsewhere/real.html"
    assert target.read_bytes() == expected[command] and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert listing(tmp_path) == [("elsewhere", stat.S_IFDIR), ("elsewhere/real.html", stat.S_IFREG),
                                 (NAME, stat.S_IFLNK)]


def test_a_batch_resumed_through_a_symbolic_link_finishes_its_target(tmp_path, expected):
    target = tmp_path / "real.ndjson"
    link = tmp_path / "out.ndjson"
    link.symlink_to(target.name)
    whole = expected["batch"]
    target.write_bytes(whole[: len(whole) // 2])
    refused = run("batch", SEED, "-o", str(link))
    assert refused.exit_code == 2 and f"{link}: already exists: --resume finishes" in refused.stderr
    assert target.read_bytes() == whole[: len(whole) // 2]
    result = run("batch", SEED, "-o", str(link), "--resume")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and target.read_bytes() == whole


@pytest.mark.parametrize("command", COMMANDS)
def test_a_symbolic_link_to_nothing_is_refused_and_nothing_is_created(tmp_path, command):
    link = tmp_path / NAME
    link.symlink_to("nowhere.html")
    result = run(*COMMANDS[command](str(link)))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"necessity: error: {link}: a symbolic link to nowhere.html, which does not exist: no "
                             "file is created through it; nothing was written\n")
    assert listing(tmp_path) == [(NAME, stat.S_IFLNK)]


# Modes and owners.

@pytest.mark.parametrize("command", ["report", "export"])
def test_a_0600_file_stays_0600_when_written_over(tmp_path, expected, command):
    out = tmp_path / NAME
    out.write_bytes(b"patient data\n")
    out.chmod(0o600)
    result = run(*COMMANDS[command](str(out)))
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() == expected[command] and stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_resumed_batch_keeps_its_file_0600(tmp_path, expected):
    out = tmp_path / "out.ndjson"
    out.write_bytes(expected["batch"][:1000])
    out.chmod(0o600)
    assert run("batch", SEED, "-o", str(out), "--resume").exit_code == 0
    assert out.read_bytes() == expected["batch"] and stat.S_IMODE(out.stat().st_mode) == 0o600


@needs_root
@pytest.mark.parametrize("command", ["report", "export"])
def test_as_root_a_file_written_over_keeps_its_owner_and_group(tmp_path, command):
    out = tmp_path / NAME
    out.write_bytes(b"someone else's report\n")
    os.chown(out, 4321, 8765)
    out.chmod(0o640)
    assert run(*COMMANDS[command](str(out))).exit_code == 0
    found = out.stat()
    assert (found.st_uid, found.st_gid, stat.S_IMODE(found.st_mode)) == (4321, 8765, 0o640)


@pytest.mark.parametrize("mask", [0o027, pytest.param(0o077, marks=pytest.mark.slow),
                                  pytest.param(0o002, marks=pytest.mark.slow)])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_new_file_gets_0666_less_the_umask(tmp_path, umask, command, mask):
    umask(mask)
    out = tmp_path / NAME
    result = run(*COMMANDS[command](str(out)))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("existing", [False, True])
def test_the_temporary_file_is_private_until_it_is_complete(tmp_path, expected, monkeypatch, umask, existing):
    """Patient data is never readable by others, even for a moment: the temporary file holds the whole
    report, still 0600, when it is given its final mode."""
    umask(0)
    out = tmp_path / NAME
    if existing:
        out.write_bytes(b"old\n")
        out.chmod(0o666)
    seen: list[tuple[int, int, int]] = []
    real = os.fchmod

    def spy(fd: int, mode: int) -> None:
        found = os.fstat(fd)
        seen.append((stat.S_IMODE(found.st_mode), found.st_size, mode))
        real(fd, mode)

    monkeypatch.setattr(os, "fchmod", spy)
    assert run(*COMMANDS["report"](str(out))).exit_code == 0
    assert seen == [(0o600, len(expected["report"]), 0o666)]
    assert stat.S_IMODE(out.stat().st_mode) == 0o666


def test_a_path_that_becomes_a_named_pipe_while_written_is_not_replaced(tmp_path, monkeypatch):
    out = tmp_path / NAME
    real = os.fchmod

    def race(fd: int, mode: int) -> None:
        real(fd, mode)
        os.mkfifo(out)

    monkeypatch.setattr(os, "fchmod", race)
    result = run(*COMMANDS["report"](str(out)))
    assert result.exit_code == 2 and f"{out}: changed while it was written" in result.stderr
    assert listing(tmp_path) == [(NAME, stat.S_IFIFO)]


# Refused: a directory, a socket, a block device.

def make_directory(path: Path) -> str:
    path.mkdir()
    (path / "kept").write_text("mine\n")
    return "a directory"


def make_socket(path: Path) -> str:
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(path.name)  # relative: the test runs in its folder (a socket path is short)
    return "a socket"


def make_block_device(path: Path) -> str:
    if os.geteuid() != 0:
        pytest.skip("making a block device node needs root")
    os.mknod(path, stat.S_IFBLK | 0o600, os.makedev(240, 0))  # 240: a major number for local use, no driver
    return "a block device"


@pytest.mark.parametrize("make", [make_directory, make_socket, make_block_device])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_directory_socket_or_block_device_is_refused_and_nothing_is_written(tmp_path, monkeypatch, command, make):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / NAME
    what = make(out)
    before = listing(tmp_path)
    result = run(*COMMANDS[command](str(out)))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"necessity: error: {out}: is {what}: an output is written to a regular file, a "
                             "character device or a named pipe only; nothing was written\n")
    assert listing(tmp_path) == before
