"""Start a coroutine detached from its caller, under whichever event loop is running."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Literal

import anyio

__all__ = ["start_detached"]

_tasks: set[asyncio.Task[None]] = set()

Job = Callable[[], Coroutine[Any, Any, None]]


def start_detached(job: Job, *, without_loop: Literal["inline", "thread"] = "inline") -> None:
    """Run `job()` as an asyncio task or a trio system task; with no running loop, run it to
    completion right here ("inline") or in a daemon worker thread ("thread")."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        task = loop.create_task(job())
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)
        return
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass
        else:
            trio.lowlevel.spawn_system_task(job)
            return
    if without_loop == "thread":
        threading.Thread(target=anyio.run, args=(job,), daemon=True, name="backtestkit").start()
    else:
        anyio.run(job)
