"""Worker processes started by the engine itself (look-ahead re-runs, portfolio lanes): the
start method and the payload handed to them as a file."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from .payload import WorkerPayload

__all__ = ["payload_file", "process_context"]


def process_context() -> multiprocessing.context.BaseContext:
    """Forkserver (the engine imported once, in the server) where available, else spawn;
    never fork, which would copy module state the strategy filled in this process."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["backtestkit.actors"])  # no effect once the server runs
    return context


@contextmanager
def payload_file(payload: WorkerPayload, prefix: str) -> Iterator[str]:
    """The pickled payload in a temporary file for the pool's initializer; removed after."""
    handle, path = tempfile.mkstemp(prefix=prefix, suffix=".pickle")
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)
        yield path
    finally:
        os.unlink(path)
