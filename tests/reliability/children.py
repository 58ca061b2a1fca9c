"""A forked child run to its end or SIGKILLed: the kill suites' one way to run an incarnation."""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable


def run_child(job: Callable[[], None], kill_after_s: float | None) -> bool:
    """Run `job` in a forked child; True when it was SIGKILLed (at a crash point or after
    `kill_after_s`), False when it exited cleanly. Any other end fails the test."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            job()
        except BaseException:
            traceback.print_exc()
            code = 3
        os._exit(code)
    status = _wait(pid, kill_after_s)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert killed or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0), status
    return killed


def _wait(pid: int, kill_after_s: float | None) -> int:
    """The child's exit status; SIGKILL it first if it outlives `kill_after_s`."""
    if kill_after_s is not None:
        deadline = time.monotonic() + kill_after_s
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            time.sleep(0.001)
        os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]
