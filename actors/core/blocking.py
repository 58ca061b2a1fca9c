"""Run async work to completion from synchronous code, whether or not an event loop is running
in the calling thread (a script, or Jupyter / IPython / `python -m asyncio`, whose loop runs
under the caller and cannot be re-entered)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import anyio

__all__ = ["blocking_of", "loop_running", "run_blocking"]

T = TypeVar("T")
P = ParamSpec("P")


def loop_running() -> bool:
    """Whether an asyncio loop or a trio run is active in this thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return True
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_trio_token()
    except RuntimeError:
        return False
    return True


class _Helper:
    """One run of `job` in a fresh event loop on its own thread, with the caller's context
    variables (its engine and execution context)."""

    def __init__(self, job: Callable[[], Awaitable[Any]]) -> None:
        self.job = job
        self.value: Any = None
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.scope: anyio.CancelScope | None = None
        self.cancelled = False
        self.ready = threading.Lock()
        self.done = threading.Event()  # not Thread.join: an interrupted join marks it stopped

    async def main(self) -> None:
        with anyio.CancelScope() as scope:
            with self.ready:
                self.loop, self.scope = asyncio.get_running_loop(), scope
                if self.cancelled:  # interrupted before this loop was up
                    scope.cancel()
            self.value = await self.job()

    def run(self) -> None:
        try:
            anyio.run(self.main)
        except BaseException as exc:
            self.error = exc
        finally:
            self.done.set()

    def cancel(self) -> None:
        with self.ready:
            self.cancelled = True
            if self.loop is not None and self.scope is not None:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: done
                    self.loop.call_soon_threadsafe(self.scope.cancel)


def run_blocking(job: Callable[[], Awaitable[T]]) -> T:
    """`anyio.run(job)` when no loop runs here; else the same on a helper thread with its own
    loop, the caller waiting for it. Results are the same either way. Interrupting the wait
    (Ctrl-C, a notebook's stop button) cancels the helper's run before re-raising."""
    if not loop_running():
        return anyio.run(job)
    helper = _Helper(job)
    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run, args=(helper.run,), name="backtestkit-run-sync", daemon=True
    )
    try:
        thread.start()
        while not helper.done.wait(0.25):
            pass
    except BaseException:
        helper.cancel()
        if thread.ident is not None:
            helper.done.wait()
        raise
    if helper.error is not None:
        raise helper.error
    value: T = helper.value
    return value


def blocking_of(job: Callable[P, Awaitable[T]], name: str, doc: str) -> Callable[P, T]:
    """The synchronous twin of the coroutine function `job` (its parameters, run by
    `run_blocking`), named `name` and documented by `doc` for help() and inspect."""

    def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
        return run_blocking(functools.partial(job, *args, **kwargs))

    function: Any = blocking
    function.__name__ = function.__qualname__ = name
    function.__module__ = job.__module__
    function.__doc__ = doc
    function.__signature__ = inspect.signature(job)
    return blocking
