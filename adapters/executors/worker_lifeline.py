"""Walker workers die with the process that started them.

A worker started from the forkserver is a child of the forkserver, not of the walk's process,
so when that process is killed (SIGKILL, the OOM killer) nothing told its workers: they ran on
holding their memory. Each worker now watches the walk's process: a daemon thread waits on a
pidfd of it (Linux >= 5.3; else it polls the pid twice a second) and ends the worker at once
when it is gone, and PR_SET_PDEATHSIG ends it when its own parent (the forkserver) dies. The
forkserver and the resource tracker end by themselves once no process is left writing to them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import sys
import threading
import time

from backtestkit.actors.core.processes import process_alive
from backtestkit.actors.workers.payload import install_payload_file

__all__ = ["start_worker"]

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 0.5


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _watch(pid: int) -> None:
    """Block until process `pid` has ended, then end this worker without cleanup."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        while process_alive(pid):
            time.sleep(_POLL_SECONDS)
    else:
        select.select([fd], [], [])  # readable once the process has exited
    os._exit(1)


def start_worker(payload_path: str, walk_pid: int) -> None:
    """Process-pool initializer: tie this worker's life to `walk_pid`, then load the payload."""
    if os.getppid() != walk_pid:
        # a forkserver child; a worker spawned by the walk itself is not given the signal,
        # which would fire when the *thread* that started it ends, not the process
        _die_with_parent()
    if not process_alive(walk_pid):
        os._exit(1)
    threading.Thread(target=_watch, args=(walk_pid,), name="walk-watchdog", daemon=True).start()
    install_payload_file(payload_path)
