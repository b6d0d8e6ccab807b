"""Child processes that end with the necessity that started them: the SPARQL server of ``necessity
serve`` and the worker processes of ``necessity batch --workers``.

On Linux a child asks the kernel for SIGTERM when its parent dies, even by SIGKILL (``prctl`` with
``PR_SET_PDEATHSIG``). The kernel sends it when the *thread* that forked the child ends, not the
process: a child must be started by a thread that lives as long as the child is needed (the batch
starts its workers from the thread that runs it; see ``reasoner/batch/run.py``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def stop_with_parent(parent: int | None = None) -> None:
    """In a child process, before its work (Linux): ask for SIGTERM when its parent dies, even by SIGKILL,
    so that it does not outlive necessity. ``parent``, the parent's process id taken before the child
    started, closes the race of a parent killed before the request was made: the child then stops at
    once. Elsewhere than on Linux, nothing."""
    if sys.platform != "linux":
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)
