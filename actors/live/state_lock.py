"""One process at a time owns a live state directory: an exclusive `flock` on `<dir>/.lock`.

Two processes trading from one state directory would both restore the same position, both
close it and overwrite each other's slots and risk books. The lock is taken before a live run
reads anything and held until it ends; the OS drops it when the process dies, even by SIGKILL,
so a crash never leaves a stale lock behind. Inside one process the runs (several symbols and
strategies, a broker journal) share the lock: it is counted and released by the last holder.

    with hold_state_dir("dump/data", holder="live BTCUSD/breakout"):
        ...  # this process alone writes under dump/data

A second process gets `StateDirLockedError` at once, naming the directory and the holder's pid.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path

__all__ = ["LOCK_FILE", "StateDirLock", "StateDirLockedError", "hold_state_dir"]

LOCK_FILE = ".lock"


class StateDirLockedError(RuntimeError):
    """Another process holds the state directory's lock."""

    def __init__(self, directory: Path, pid: int | None, holder: str) -> None:
        who = f"process {pid}" if pid is not None else "another process"
        super().__init__(
            f"state dir {directory} is locked by {who} ({holder or 'unknown holder'}): one live "
            "run at a time may trade from a state dir; stop it or use another state_dir"
        )
        self.directory = directory
        self.pid = pid
        self.holder = holder


class _Held:
    __slots__ = ("count", "fd")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.count = 0


_guard = threading.Lock()
_held: dict[Path, _Held] = {}


def _read_holder(fd: int) -> tuple[int | None, str]:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    except OSError:
        return None, ""
    pid_text, _, holder = text.partition(" ")
    return (int(pid_text) if pid_text.isdigit() else None), holder


class StateDirLock:
    """This process's hold on one state directory; `release()` (or leaving `with`) once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._released = False

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        with _guard:
            held = _held.get(self.directory)
            if held is None:
                return
            held.count -= 1
            if held.count <= 0:
                del _held[self.directory]
                os.close(held.fd)  # closing the last descriptor drops the flock

    def __enter__(self) -> StateDirLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def hold_state_dir(directory: str | Path, *, holder: str = "") -> StateDirLock:
    """Lock `directory` (created if missing) for this process, or raise StateDirLockedError."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    key = path.resolve()
    with _guard:
        held = _held.get(key)
        if held is None:
            fd = os.open(key / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid, name = _read_holder(fd)
                os.close(fd)
                raise StateDirLockedError(key, pid, name) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {holder}\n".encode(), 0)
            held = _held[key] = _Held(fd)
        held.count += 1
    return StateDirLock(key)


def _forget_inherited_locks() -> None:
    """A forked child owns none of its parent's locks (closing its copies keeps the parent's)."""
    global _guard
    _guard = threading.Lock()
    for held in _held.values():
        with contextlib.suppress(OSError):
            os.close(held.fd)
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited_locks)
