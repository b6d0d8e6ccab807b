"""Finding 2 of the security review: after ``kill -9`` of a ``necessity batch --workers 2``, its worker
processes were orphaned for minutes, holding patient data. Now each worker asks the kernel to stop it
when the batch dies (``reasoner/processes.py``, also used by ``necessity serve``), and stops at once if
the batch died before it could ask; the workers are started by the thread that runs the batch (the
kernel signals when that *thread* ends), so they are never stopped while the batch lives.
"""

from __future__ import annotations

import multiprocessing.context
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reasoner import processes
from reasoner.batch.config import BatchConfig
from reasoner.batch.executors import WINDOW, ProcessPool
from reasoner.batch.run import run_batch
from reasoner.cli.main import cli
from reasoner.cli.options import knowledge as installed

ROOT = Path(__file__).resolve().parents[3]
COPIES = 30  # of each example: 180 requests, several seconds of review, more than three windows of two workers
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG and /proc are Linux's")


@pytest.fixture(scope="module")
def requests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of the examples' requests, each copied many times."""
    folder = tmp_path_factory.mktemp("requests")
    for copy in range(COPIES):
        for example in sorted((ROOT / "examples").glob("*.json")):
            shutil.copy(example, folder / f"{example.stem}-{copy:03}.json")
    assert len(list(folder.iterdir())) > 2 * 2 * WINDOW
    return folder


@pytest.fixture(scope="module")
def one_process(requests: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The output of a batch of ``requests`` in one process."""
    out = tmp_path_factory.mktemp("one") / "out.ndjson"
    result = CliRunner().invoke(cli, ["batch", str(requests), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    return out.read_bytes()


def children(parent: int) -> dict[int, bytes]:
    """The live processes whose parent is ``parent``, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found[int(entry.name)] = command
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process still running (a zombie waiting to be reaped has ended)."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def workers_of(parent: int) -> dict[int, bytes]:
    """The worker processes a batch ``parent`` spawned (the resource tracker is not one)."""
    return {pid: command for pid, command in children(parent).items() if b"spawn_main" in command}


@pytest.fixture
def batch(requests: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """``necessity batch --workers 2`` of ``requests`` started in a process; whatever of it is left at the
    end of the test (a test that failed) is stopped."""
    out = tmp_path / "out.ndjson"
    process = subprocess.Popen([sys.executable, "-m", "reasoner", "batch", str(requests), "-o", str(out),
                                "--workers", "2"], stderr=subprocess.PIPE)
    try:
        yield process, out
    finally:
        if process.poll() is None:
            for pid in children(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.kill()
        process.wait(timeout=60)


def wait_for(condition: Callable[[], bool], what: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    """Wait until ``condition`` holds, the batch still running."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, f"the batch ended before {what}: {process.stderr and process.stderr.read()!r}"
        assert time.monotonic() < deadline, f"no {what} in {seconds} s"
        time.sleep(0.02)


def kill_and_watch(process: subprocess.Popen[bytes], spawned: dict[int, bytes]) -> list[int]:
    """SIGKILL the batch; the processes it had started that are still running 5 seconds later."""
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL  # killed while it ran, not ended on its own
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in spawned) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in spawned if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)  # orphans of this test, stopped so that they do not linger
    return left


@linux_only
def test_workers_end_with_a_batch_killed_while_they_review(batch):
    process, out = batch
    wait_for(lambda: len(workers_of(process.pid)) == 2 and out.exists() and out.read_bytes().count(b"\n") >= 20,
             "two workers reviewing", process)
    spawned = children(process.pid)  # the two workers and multiprocessing's resource tracker
    assert len(workers_of(process.pid)) == 2
    assert kill_and_watch(process, spawned) == []


@linux_only
def test_workers_end_with_a_batch_killed_before_they_could_ask_to(batch):
    """Killed as soon as the workers exist, before they have loaded anything: a worker that finds its
    parent already gone stops at once."""
    process, out = batch
    wait_for(lambda: len(workers_of(process.pid)) == 2, "two workers", process)
    spawned = children(process.pid)
    assert kill_and_watch(process, spawned) == []


def test_two_workers_write_what_one_process_writes(requests, one_process, tmp_path):
    out = tmp_path / "two.ndjson"
    done = subprocess.run([sys.executable, "-m", "reasoner", "batch", str(requests), "-o", str(out), "--workers", "2"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == one_process


def test_workers_are_started_by_the_thread_that_runs_the_batch_and_live_as_long_as_it(
        requests, one_process, tmp_path, monkeypatch):
    """The kernel stops a worker when the thread that started it ends: every worker must be started by
    the thread running the batch (here not the main thread), never by the pool's own threads, and the
    batch then writes what one process writes."""
    starters: list[threading.Thread] = []
    real = multiprocessing.context.SpawnProcess.start

    def start(self: multiprocessing.context.SpawnProcess) -> None:
        starters.append(threading.current_thread())
        real(self)

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", start)
    out = tmp_path / "two.ndjson"
    failure: list[BaseException] = []

    def run() -> None:
        try:
            knowledge = installed()
            engine = knowledge.engine("fast")
            run_batch(BatchConfig((str(requests),), str(out)), knowledge, engine, ProcessPool(knowledge, engine, 2))
        except BaseException as exc:  # handed to the test's thread
            failure.append(exc)

    runner = threading.Thread(target=run, name="batch")
    runner.start()
    runner.join(timeout=600)
    assert not runner.is_alive() and failure == []
    assert starters == [runner, runner]
    assert out.read_bytes() == one_process


@linux_only
@pytest.mark.parametrize("parent_alive", [True, False])
def test_stop_with_parent_asks_for_sigterm_or_stops_at_once(parent_alive):
    code = ("import ctypes, os, sys, signal\n"
            "from reasoner.processes import stop_with_parent\n"
            "stop_with_parent(os.getppid() + (sys.argv[1] == 'gone'))\n"
            "value = ctypes.c_int()\n"
            "ctypes.CDLL(None).prctl(2, ctypes.byref(value))  # PR_GET_PDEATHSIG\n"
            "print(value.value)\n")
    done = subprocess.run([sys.executable, "-c", code, "alive" if parent_alive else "gone"], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    if parent_alive:
        assert done.returncode == 0 and done.stdout == f"{int(signal.SIGTERM)}\n", done.stderr
    else:
        assert done.returncode == -signal.SIGTERM and done.stdout == ""


def test_serve_and_batch_share_one_way_to_stop_with_necessity():
    from reasoner import serve  # here: its import brings the gate and Oxigraph, which the other tests need not
    assert serve.stop_with_parent is processes.stop_with_parent
    assert not hasattr(serve, "_stop_with_parent")
