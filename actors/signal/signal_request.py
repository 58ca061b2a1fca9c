"""The user's get_signal behind its throttle (SPEC 5): asked at most once per strategy interval;
a coroutine is stepped eagerly and, if it really waits, finished under
CC_MAX_SIGNAL_GENERATION_SECONDS."""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime, timedelta
from types import CoroutineType
from typing import Any, Protocol

import anyio

from backtestkit.bus import Topic

from ..core.config import get_config
from ..core.context import ExecutionContext
from ..core.eager import EagerSteps, Suspended, in_asyncio_task, run_eagerly
from ..core.schemas import StrategySchema
from ..market.intervals import MINUTE_MS, STRATEGY_INTERVALS
from .signal import Signal

__all__ = ["ABANDON_GRACE_SECONDS", "QuietWatch", "SignalRequest"]

ABANDON_GRACE_SECONDS = 1.0  # how long a cancelled get_signal may take to end
# |stamp| (ms) below which datetime.fromtimestamp(ms / 1000) is exact (a double's rounding
# error stays under half a microsecond), so a scan's dates can be added up instead (years
# 1697-2242): 30 ns a call instead of 190
_ADDED_DATES_MS = 2**33 * 1000
_abandoned: set[asyncio.Future[Any]] = set()  # calls that ignored cancellation, kept alive


async def _finish(suspended: Suspended) -> Any:
    return await suspended


def _forget(call: asyncio.Future[Any]) -> None:
    _abandoned.discard(call)
    if not call.cancelled():
        call.exception()


class QuietWatch(Protocol):
    """The machine's flag that ends a quiet scan early: a stop from inside get_signal."""

    stopped: bool


class SignalRequest:
    """When get_signal may be asked, the asking itself, and an answer kept for a later tick."""

    def __init__(self, schema: StrategySchema, symbol: str, context: ExecutionContext) -> None:
        self.symbol = symbol
        self.strategy_name = schema.name
        self.context = context
        self.get_signal = schema.get_signal
        self.is_async = inspect.iscoroutinefunction(schema.get_signal)
        self.throttle_ms = STRATEGY_INTERVALS[schema.interval] * MINUTE_MS
        self.last_at: int | None = None
        self.asked: tuple[int, Any] | None = None  # what get_signal answered in a quiet scan
        self._eager: bool | None = None  # coroutines run eagerly (asyncio); known at first call
        self._steps: EagerSteps | None = None  # the quiet scan's coroutine stepper

    def due(self, when: int) -> bool:
        """True (and the throttle restarts at `when`) when the interval since the last ask ran."""
        last = self.last_at
        if last is not None and when - last < self.throttle_ms:
            return False
        self.last_at = when
        return True

    def runs_eagerly(self) -> bool:
        eager = self._eager
        if eager is None:
            eager = self._eager = in_asyncio_task()
        return eager

    @property
    def steps_inline(self) -> bool:
        """A quiet scan can ask get_signal itself: it is sync, or a coroutine run eagerly."""
        return not self.is_async or self.runs_eagerly()

    async def answer(self, when: int) -> Any:
        """get_signal's answer at `when`, awaited to the end under its timeout."""
        if not self.steps_inline:
            return await self._ask_in_timeout_scope(when)
        dto = self._ask(when)
        if type(dto) is Suspended:
            return await self.finish(dto)
        return dto

    def _ask(self, when: int) -> Any:
        """get_signal's answer; a coroutine is run eagerly and may come back `Suspended`."""
        dto = self.get_signal(self.symbol, datetime.fromtimestamp(when / 1000, UTC))
        if self.is_async or (
            dto is not None and type(dto) is not Signal and inspect.isawaitable(dto)
        ):
            return run_eagerly(dto)
        return dto

    async def finish(self, suspended: Suspended) -> Any:
        """Awaits a get_signal that really waits, under CC_MAX_SIGNAL_GENERATION_SECONDS armed
        at its first suspension (the synchronous part before it cannot be interrupted). Past
        the timeout it is cancelled; one that ignores the cancellation for
        ABANDON_GRACE_SECONDS more is left behind (it runs on, its answer unused)."""
        if not self.runs_eagerly():
            return await suspended  # trio: a sync get_signal returned an awaitable, as before
        call = asyncio.ensure_future(_finish(suspended))  # in a copy of this task's context
        timeout = asyncio.timeout(get_config().CC_MAX_SIGNAL_GENERATION_SECONDS)
        try:
            async with timeout:
                return await asyncio.shield(call)
        except TimeoutError:
            if not timeout.expired():
                raise  # get_signal's own TimeoutError
        except BaseException:
            call.cancel()  # the run itself is cancelled: the call goes with it
            raise
        call.cancel()
        done, _ = await asyncio.wait((call,), timeout=ABANDON_GRACE_SECONDS)
        if not done:
            _abandoned.add(call)
            call.add_done_callback(_forget)
            raise TimeoutError(
                f"Timeout for {self.strategy_name} symbol={self.symbol}: get_signal ignored its "
                f"cancellation for {ABANDON_GRACE_SECONDS} s and was abandoned (it runs on; its "
                "answer is not used)"
            )
        if not call.cancelled():
            call.exception()  # retrieved: an answer or error after the deadline is not used
        raise self._timed_out()

    async def _ask_in_timeout_scope(self, when: int) -> Any:
        """trio: the coroutine runs inside its timeout scope from the start, so scopes nest."""
        date = datetime.fromtimestamp(when / 1000, UTC)
        with anyio.move_on_after(get_config().CC_MAX_SIGNAL_GENERATION_SECONDS) as scope:
            return await self.get_signal(self.symbol, date)
        if scope.cancelled_caught:
            raise self._timed_out()
        return None

    def _timed_out(self) -> TimeoutError:
        return TimeoutError(f"Timeout for {self.strategy_name} symbol={self.symbol}")

    def scan(
        self,
        watch: QuietWatch,
        topics: tuple[Topic[Any], Topic[Any]],
        start: int,
        step: int,
        i: int,
        stop: int,
    ) -> int:
        """Asks get_signal on the frames start + k * step, k in [i, stop), that the throttle lets
        through and jumps the others, until one answers a signal (kept in `asked`), raises, stops
        the machine or subscribes a listener to one of `topics`. Returns that frame's index (the
        one after it for the last two), or `stop`; `i` at once for frames past 2**33 s."""
        get_signal, symbol, context, throttle = (
            self.get_signal,
            self.symbol,
            self.context,
            self.throttle_ms,
        )
        eager = self.is_async
        steps = self._steps
        if steps is None or steps.ended:
            steps = self._steps = EagerSteps()
        send, ran_to_end = steps.send, steps.ran_to_end
        mode_topic, signal_topic = topics
        stride = -(-throttle // step)  # frames from one ask to the next one the throttle allows
        last, first = self.last_at, i
        if last is not None:
            eligible = (last + throttle - start + step - 1) // step
            if eligible > i:
                i = eligible
        when, end, span = start + i * step, start + stop * step, stride * step
        if when <= -_ADDED_DATES_MS or end + span > _ADDED_DATES_MS:
            return first  # dates fromtimestamp would round: full ticks build them
        date, later = datetime.fromtimestamp(when / 1000, UTC), timedelta(milliseconds=span)
        while when < end:
            context.when = when
            try:
                dto = get_signal(symbol, date)
                if eager and type(dto) is CoroutineType:
                    yielded = send(dto)  # run_eagerly, inlined: this runs on every frame
                    dto = steps.result if yielded is ran_to_end else steps.suspended(yielded)
                elif dto is not None and type(dto) is not Signal and inspect.isawaitable(dto):
                    dto = run_eagerly(dto)
            except Exception as exc:
                self.last_at = when
                self.asked = (when, exc)
                return (when - start) // step
            if dto:
                self.last_at = when
                self.asked = (when, dto)  # a Suspended coroutine is finished by tick()
                return (when - start) // step
            if watch.stopped or mode_topic.has_listeners or signal_topic.has_listeners:
                self.last_at = when
                return (when - start) // step + 1  # get_signal stopped the run or subscribed
            when += span  # the frames between are ones the throttle skips
            date += later
        if when - span >= start + i * step:  # asked at least once
            self.last_at = when - span
        return min((when - start) // step, stop)  # the last jump may overshoot
