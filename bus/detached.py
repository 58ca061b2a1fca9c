"""Start a coroutine detached from its caller, under whichever event loop is running."""

from __future__ import annotations

import asyncio
import contextvars
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
    completion right here ("inline") or in a daemon worker thread ("thread"). The job sees the
    caller's context variables in every case."""
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
            trio.lowlevel.spawn_system_task(job, context=contextvars.copy_context())
            return
    if without_loop == "thread":
        context = contextvars.copy_context()  # the caller's engine and execution context
        threading.Thread(
            target=context.run, args=(anyio.run, job), daemon=True, name="backtestkit"
        ).start()
    else:
        anyio.run(job)
