"""Eager awaiting: run a user coroutine until it first suspends, without the event loop.

Most async strategies never really wait (their `await get_candles(...)` completes at once), so
the engine steps the coroutine itself and pays for a timeout scope and an event-loop hop only
when the coroutine yields to the loop. A suspended one is handed back as `Suspended`, which the
caller awaits in its own task: the trampoline re-yields what the coroutine yielded, so asyncio
futures and trio traps reach the loop exactly as if the coroutine had been awaited directly.

Only asyncio can put a deadline on a coroutine already under way (asyncio.timeout cancels the
task); a trio cancel scope opened after the coroutine opened its own would not nest, so under
trio a coroutine get_signal is still called inside its timeout scope.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Generator
from types import CoroutineType
from typing import Any

__all__ = ["Suspended", "in_asyncio_task", "run_eagerly"]


class Suspended:
    """A coroutine stepped until its first suspension; `await` it to finish it in the task."""

    __slots__ = ("_step", "_yielded")

    def __init__(self, step: Any, yielded: Any) -> None:
        self._step = step
        self._yielded = yielded

    def __await__(self) -> Generator[Any, Any, Any]:
        step, value = self._step, self._yielded
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                close = getattr(step, "close", None)
                if close is not None:
                    close()
                raise
            except BaseException as exc:
                try:
                    value = step.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = step.send(sent)
                except StopIteration as stop:
                    return stop.value

    def close(self) -> None:
        """Drop the coroutine without finishing it (no 'never awaited' warning)."""
        close = getattr(self._step, "close", None)
        if close is not None:
            close()


def run_eagerly(awaitable: Awaitable[Any]) -> Any:
    """The awaitable's result if it completes without suspending, else a `Suspended`.

    An exception raised before the first suspension propagates from here, as a call would.
    """
    step: Any = awaitable if type(awaitable) is CoroutineType else awaitable.__await__()
    try:
        yielded = step.send(None)
    except StopIteration as stop:
        return stop.value
    return Suspended(step, yielded)


def in_asyncio_task() -> bool:
    """True inside an asyncio task (not under trio, nor trio guest mode on an asyncio loop)."""
    try:
        return asyncio.current_task() is not None
    except RuntimeError:
        return False
