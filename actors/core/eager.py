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
import inspect
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import CoroutineType
from typing import Any

import structlog

from backtestkit.bus import start_detached

__all__ = ["EagerSteps", "Suspended", "in_asyncio_task", "run_eagerly", "settle_callback"]

ErrorReport = Callable[[BaseException], Awaitable[None]]
_log = structlog.get_logger("backtestkit.callbacks")


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


_RAN_TO_END = object()  # what EagerSteps' generator yields when a coroutine has returned


class EagerSteps:
    """run_eagerly for many coroutines in a row, through one long-lived generator: its
    `yield from` takes a returned coroutine's value without the StopIteration that a `send`
    from Python code raises (about 120 ns a call). A coroutine that suspends takes the
    generator along in its `Suspended`, one that raises ends it: `ended` says when to make
    another.

        if steps.send(coroutine) is steps.ran_to_end: answer = steps.result
    """

    __slots__ = ("_generator", "_spent", "result", "send")

    ran_to_end = _RAN_TO_END

    def __init__(self) -> None:
        self.result: Any = None
        self._spent = False
        self._generator = _stepping(self)
        self._generator.send(None)
        self.send: Callable[[Coroutine[Any, Any, Any]], Any] = self._generator.send

    def suspended(self, yielded: Any) -> Suspended:
        """The coroutine `send` just ran yielded `yielded`: it is finished by awaiting this."""
        self._spent = True
        return Suspended(_Resumed(self._generator, self), yielded)

    @property
    def ended(self) -> bool:
        """A suspended coroutine took the generator, or one raised through it: make another."""
        return self._spent or inspect.getgeneratorstate(self._generator) == inspect.GEN_CLOSED


@types.coroutine
def _stepping(steps: EagerSteps) -> Generator[Any, Any, None]:
    coroutine = yield
    while True:
        steps.result = yield from coroutine
        coroutine = yield _RAN_TO_END


class _Resumed:
    """EagerSteps' generator while it holds a suspended coroutine, seen as that coroutine:
    its return comes back as StopIteration, as Suspended expects of a coroutine."""

    __slots__ = ("_generator", "_steps")

    def __init__(self, generator: Generator[Any, Any, None], steps: EagerSteps) -> None:
        self._generator = generator
        self._steps = steps

    def _passed_on(self, yielded: Any) -> Any:
        if yielded is _RAN_TO_END:
            raise StopIteration(self._steps.result)
        return yielded

    def send(self, value: Any) -> Any:
        return self._passed_on(self._generator.send(value))

    def throw(self, exc: BaseException) -> Any:
        return self._passed_on(self._generator.throw(exc))

    def close(self) -> None:
        self._generator.close()


def in_asyncio_task() -> bool:
    """True inside an asyncio task (not under trio, nor trio guest mode on an asyncio loop)."""
    try:
        return asyncio.current_task() is not None
    except RuntimeError:
        return False


def settle_callback(outcome: Any, report: ErrorReport | None = None) -> None:
    """What a user callback returned: a coroutine runs at once until it first waits, then on
    its own, awaited by nobody, as the reference lets a callback's promise run. An error
    before the first wait propagates as a plain callback's would; a later one is `report`ed."""
    if outcome is None or not inspect.isawaitable(outcome):
        return
    if not in_asyncio_task():  # trio: a scope the coroutine opens must close in the same task
        start_detached(lambda: _finish(outcome, report))
        return
    step = run_eagerly(outcome)
    if type(step) is Suspended:
        start_detached(lambda: _finish(step, report))


async def _finish(awaitable: Awaitable[Any], report: ErrorReport | None) -> None:
    try:
        await awaitable
    except Exception as exc:
        _log.warning("callback_failed", error=str(exc))
        if report is not None:
            await report(exc)
