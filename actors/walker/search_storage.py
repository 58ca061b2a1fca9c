"""A search shared through an optuna storage: which trials count, which are surplus or stale.

Several processes (on one machine or many) run one search by opening the same study in the
same storage: an RDB URL (`sqlite:///search.db`, `postgresql://...`) or a journal file path
(anything without `://`; optuna's `JournalFileBackend`, safe for processes of one machine or a
shared file system). A trial *counts* toward the search's `trials` when it is running, complete,
or failed because its strategy had no metric value; the search is over when `trials` count.

- Asking: on a journal file, counting and asking happen under an exclusive lock on
  `<journal>.ask.lock` (flock), so processes never ask more than `trials` between them. On
  an RDB two processes may ask at once when one trial is left; trial numbers are given by the
  storage, so every process agrees: an asked trial beyond the first `trials` counting ones is
  told FAIL (user attr `surplus`) without running and does not count.
- Stale: a process killed mid-batch leaves its trials RUNNING. Each asked trial records its
  host and process id; a RUNNING trial of this host whose process is gone is told FAIL
  and no longer counts, so a restarted search asks again. A process that died on another
  machine is not seen from here: restart a search there (or fail its trials with optuna) to
  free its trials.
- Done: a configuration completed in the study (by any process) is not run again: its value
  and daily returns are read from the trial's user attrs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..core.processes import process_alive

__all__ = [
    "asking",
    "counting",
    "fail_stale",
    "mark_owner",
    "open_storage",
    "over_budget",
]

_HOST = socket.gethostname()


def open_storage(optuna: Any, storage: Any) -> Any:
    """An optuna storage: a URL (RDB), a journal file path, or a storage object as it is;
    None for an in-memory study."""
    if storage is None or not isinstance(storage, str | os.PathLike):
        return storage
    text = os.fspath(storage)
    if "://" in text:
        return optuna.storages.RDBStorage(text)
    path = Path(text)
    if path.is_dir():
        raise ValueError(f"optimize storage {text!r} is a directory; give a journal file path")
    path.parent.mkdir(parents=True, exist_ok=True)
    journal = optuna.storages.journal
    backend = journal.JournalFileBackend(str(path), lock_obj=journal.JournalFileOpenLock(str(path)))
    return optuna.storages.JournalStorage(backend)


def mark_owner(trial: Any) -> None:
    trial.set_user_attr("host", _HOST)
    trial.set_user_attr("pid", os.getpid())


def fail_stale(optuna: Any, study: Any) -> int:
    """Tell FAIL every RUNNING trial of a process of this host that is gone; how many."""
    running = optuna.trial.TrialState.RUNNING
    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(running,)):
        attrs = trial.user_attrs
        pid = attrs.get("pid")
        if attrs.get("host") != _HOST or not isinstance(pid, int) or pid == os.getpid():
            continue
        if not process_alive(pid):
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
            failed += 1
    return failed


def counting(optuna: Any, trials: Sequence[Any]) -> list[Any]:
    """The trials that count toward the search, by trial number."""
    states = optuna.trial.TrialState
    kept = [
        t
        for t in trials
        if t.state in (states.RUNNING, states.WAITING, states.COMPLETE)
        or (t.state == states.FAIL and t.user_attrs.get("finished"))
    ]
    return sorted(kept, key=lambda t: t.number)


def over_budget(optuna: Any, study: Any, asked: Sequence[Any], trials: int) -> set[int]:
    """Numbers of the asked trials beyond the first `trials` counting ones of the study."""
    ranked = counting(optuna, study.get_trials(deepcopy=False))
    allowed = {t.number for t in ranked[:trials]}
    return {t.number for t in asked if t.number not in allowed}


@contextlib.contextmanager
def asking(storage: Any) -> Iterator[None]:
    """Hold the journal's ask lock (exclusive, across processes); nothing for other storages."""
    if storage is None or not isinstance(storage, str | os.PathLike):
        yield
        return
    text = os.fspath(storage)
    if "://" in text:
        yield
        return
    with open(f"{text}.ask.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
