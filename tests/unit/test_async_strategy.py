"""Async get_signal: run eagerly (no timeout scope, no loop hop) unless it really suspends; a
suspending one still times out after CC_MAX_SIGNAL_GENERATION_SECONDS; results never change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from flat_market import MIN, SYMBOL, T0, flat_market

from backtestkit.actors import (
    Backtest,
    Signal,
    add_exchange,
    add_frame,
    add_strategy,
    get_average_price,
    get_candles,
    set_config,
)
from backtestkit.actors.core import StrategyCallbacks
from backtestkit.actors.core.eager import EagerSteps, Suspended, run_eagerly
from backtestkit.actors.signal import signal_request as request_module
from backtestkit.actors.testing import reset_engine
from backtestkit.bus import TickResult, listen_error


def every_tenth(symbol: str, when: datetime) -> Signal | None:
    """A long on every 10th minute (TP 101, SL 99, 3 minutes); reads candles like users do."""
    closes = get_candles(symbol, "1m", 5).close
    if int(when.timestamp() * 1000 - T0) // MIN % 10:
        return None
    price: Any = get_average_price(symbol)
    assert closes[-1] == price
    return Signal("long", price + 1, price - 1, 3)


async def eager_style(symbol: str, when: datetime) -> Signal | None:
    await get_candles(symbol, "1m", 5)  # completes without suspending
    return every_tenth(symbol, when)


async def suspending_style(symbol: str, when: datetime) -> Signal | None:
    await anyio.sleep(0)  # really yields to the event loop
    return every_tenth(symbol, when)


def returning_coroutine(symbol: str, when: datetime) -> Any:
    """A plain function that hands back a coroutine (a lambda over an async function)."""
    return eager_style(symbol, when)


def backtest(get_signal: Callable[..., Any], minutes: int = 60) -> list[tuple[Any, ...]]:
    reset_engine()
    add_exchange("flat", candles=flat_market())
    add_frame("hour", start=T0, end=T0 + (minutes - 1) * MIN)
    add_strategy("s", interval="1m", get_signal=get_signal)
    results = Backtest.run_sync(SYMBOL, strategy="s", exchange="flat", frame="hour")
    return [shape(r) for r in results]


def shape(result: TickResult) -> tuple[Any, ...]:
    signal = result.signal
    assert signal is not None
    return (
        result.action,
        signal.pending_at,
        signal.price_open,
        getattr(result, "close_reason", None),
        getattr(result, "close_timestamp", None),
    )


class CountingTimeout:
    """Stands in for asyncio.timeout in the strategy module: counts where a deadline is armed."""

    def __init__(self) -> None:
        self.armed = 0
        self.real = request_module.asyncio.timeout

    def __call__(self, seconds: float) -> Any:
        self.armed += 1
        return self.real(seconds)


@pytest.fixture
def timeouts(monkeypatch: pytest.MonkeyPatch) -> CountingTimeout:
    counter = CountingTimeout()
    proxy = SimpleNamespace(**{**vars(asyncio), "timeout": counter})  # the rest is asyncio's
    monkeypatch.setattr(request_module, "asyncio", proxy)
    return counter


def test_every_style_of_get_signal_gives_the_sync_results(timeouts: CountingTimeout) -> None:
    expected = backtest(every_tenth)
    # one long per 10 minutes from T0, each open at the flat VWAP 100.0
    assert [(a, p, o) for a, p, o, _, _ in expected] == [
        ("closed", T0 + k * 10 * MIN, 100.0) for k in range(6)
    ]
    for style in (eager_style, returning_coroutine, suspending_style):
        assert backtest(style) == expected, style.__name__


def test_a_coroutine_that_suspends_now_and_then_gives_the_sync_results(
    timeouts: CountingTimeout,
) -> None:
    """Quiet scans step many coroutines through one EagerSteps; one that suspends takes it
    along and the next scan makes another: every 7th minute suspends, the rest do not."""

    async def now_and_then(symbol: str, when: datetime) -> Signal | None:
        if int(when.timestamp() * 1000 - T0) // MIN % 7 == 3:
            await anyio.sleep(0)
        return await eager_style(symbol, when)

    expected = [("closed", T0 + k * 10 * MIN, 100.0) for k in range(6)]
    assert [(a, p, o) for a, p, o, _, _ in backtest(now_and_then)] == expected
    # minutes 3, 10, ..., 59 suspend when asked; 31 and 52 are not asked (a long holds
    # 10k+1 and closes at 10k+2, time expired, as in the sync run): 9 - 2
    assert timeouts.armed == 7


def test_a_coroutine_that_never_suspends_arms_no_timeout(timeouts: CountingTimeout) -> None:
    backtest(eager_style)
    backtest(returning_coroutine)
    assert timeouts.armed == 0


def test_a_coroutine_that_suspends_runs_under_the_timeout(timeouts: CountingTimeout) -> None:
    calls: list[int] = []

    async def counted(symbol: str, when: datetime) -> Signal | None:
        calls.append(int(when.timestamp() * 1000))
        return await suspending_style(symbol, when)

    backtest(counted)
    assert len(calls) > 0
    assert timeouts.armed == len(calls)  # one deadline per call that suspended


@pytest.mark.anyio
async def test_a_suspending_get_signal_times_out(anyio_backend: str) -> None:
    """The first call waits an hour: after CC_MAX_SIGNAL_GENERATION_SECONDS (1 s) it is
    cancelled, reported on the error topic, and the next minute's call opens a position."""
    set_config(CC_MAX_SIGNAL_GENERATION_SECONDS=1)
    cancelled: list[bool] = []
    errors: list[BaseException] = []
    listen_error(errors.append)

    async def hangs_once(symbol: str, when: datetime) -> Signal | None:
        if not cancelled:
            try:
                await anyio.sleep(3600)
            except anyio.get_cancelled_exc_class():
                cancelled.append(True)
                raise
        price: Any = get_average_price(symbol)
        return Signal("long", price + 1, price - 1, 3)

    add_exchange("flat", candles=flat_market())
    add_frame("hour", start=T0, end=T0 + 2 * MIN)
    add_strategy("slow", interval="1m", get_signal=hangs_once)
    with anyio.fail_after(30):
        results = [
            r async for r in Backtest.run(SYMBOL, strategy="slow", exchange="flat", frame="hour")
        ]
    assert cancelled == [True]
    assert [type(e) for e in errors] == [TimeoutError]
    assert str(errors[0]) == f"Timeout for slow symbol={SYMBOL}"
    assert [(a, p, o) for a, p, o, _, _ in map(shape, results)] == [("closed", T0 + MIN, 100.0)]


@pytest.mark.anyio
async def test_a_get_signal_that_swallows_cancellation_is_abandoned(
    anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 23: the first call catches every cancellation and keeps waiting. It used to hang
    the backtest for ever; now, 1 s (CC_MAX_SIGNAL_GENERATION_SECONDS) + the 0.2 s grace
    later, it is abandoned with one TimeoutError on the error topic, and the run goes on:
    the next minute's call opens the long that closes at T0 + 1 min, as in the test above."""
    if anyio_backend != "asyncio":
        pytest.skip("trio re-cancels at every checkpoint; a call cannot be abandoned there")
    set_config(CC_MAX_SIGNAL_GENERATION_SECONDS=1)
    monkeypatch.setattr(request_module, "ABANDON_GRACE_SECONDS", 0.2)
    swallowed: list[int] = []
    errors: list[BaseException] = []
    listen_error(errors.append)
    release = asyncio.Event()

    async def stubborn_once(symbol: str, when: datetime) -> Signal | None:
        if not swallowed:
            while not release.is_set():
                try:
                    await asyncio.sleep(0.05)
                except asyncio.CancelledError:
                    swallowed.append(1)  # and carry on waiting
            return None
        price: Any = get_average_price(symbol)
        return Signal("long", price + 1, price - 1, 3)

    add_exchange("flat", candles=flat_market())
    add_frame("hour", start=T0, end=T0 + 2 * MIN)
    add_strategy("stubborn", interval="1m", get_signal=stubborn_once)
    with anyio.fail_after(10):
        results = [
            r
            async for r in Backtest.run(SYMBOL, strategy="stubborn", exchange="flat", frame="hour")
        ]
    assert swallowed == [1]
    assert [type(e) for e in errors] == [TimeoutError]
    assert str(errors[0]).startswith(f"Timeout for stubborn symbol={SYMBOL}: get_signal ignored")
    assert "abandoned" in str(errors[0])
    assert [(a, p, o) for a, p, o, _, _ in map(shape, results)] == [("closed", T0 + MIN, 100.0)]
    release.set()  # let the abandoned call end with the test


@pytest.mark.anyio
async def test_async_callbacks_run_now_until_they_wait_then_on_their_own(
    anyio_backend: str,
) -> None:
    """on_open never waits: on asyncio it has run when the open is yielded (trio starts every
    coroutine callback as a task of its own). on_close waits first: it finishes on its own,
    and its error after the wait reaches the error topic."""
    seen: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    listen_error(errors.append)

    async def on_open(symbol: str, row: Any, price: float, backtest: bool) -> None:
        seen.append(("open", row.pending_at))

    async def on_close(symbol: str, row: Any, price: float, backtest: bool) -> None:
        await anyio.sleep(0)
        seen.append(("close", row.pending_at))
        if row.pending_at == T0 + 50 * MIN:
            raise RuntimeError("the last close callback fails after its wait")

    add_exchange("flat", candles=flat_market())
    add_frame("hour", start=T0, end=T0 + 59 * MIN)
    add_strategy(
        "s",
        interval="1m",
        get_signal=every_tenth,
        callbacks=StrategyCallbacks(on_open=on_open, on_close=on_close),
    )
    opens_before_yield: list[int] = []
    async for result in Backtest.run(SYMBOL, strategy="s", exchange="flat", frame="hour"):
        assert result.signal is not None
        opens_before_yield.append(sum(1 for kind, _ in seen if kind == "open"))
    await anyio.sleep(0.05)  # the detached close callbacks finish
    stamps = [T0 + k * 10 * MIN for k in range(6)]
    if anyio_backend == "asyncio":
        assert opens_before_yield == [1, 2, 3, 4, 5, 6]
        assert [at for kind, at in seen if kind == "open"] == stamps
    assert sorted(at for kind, at in seen if kind == "open") == stamps  # trio: any order
    assert sorted(at for kind, at in seen if kind == "close") == stamps
    assert [str(e) for e in errors] == ["the last close callback fails after its wait"]


# -- run_eagerly / Suspended on their own ------------------------------------------------------


def test_run_eagerly_returns_what_a_non_suspending_coroutine_returns() -> None:
    async def answer() -> int:
        return 42

    assert run_eagerly(answer()) == 42


def test_run_eagerly_raises_what_the_coroutine_raises_before_suspending() -> None:
    async def broken() -> None:
        raise ValueError("bad signal")

    with pytest.raises(ValueError, match="bad signal"):
        run_eagerly(broken())


@pytest.mark.anyio
async def test_a_suspended_coroutine_finishes_in_the_task(anyio_backend: str) -> None:
    steps: list[str] = []

    async def waits() -> str:
        steps.append("before")
        await anyio.sleep(0.01)
        steps.append("after")
        return "done"

    suspended = run_eagerly(waits())
    assert type(suspended) is Suspended
    assert steps == ["before"]
    assert await suspended == "done"
    assert steps == ["before", "after"]


def through_eager_steps(coroutine: Any) -> Any:
    """The quiet scan's way to a Suspended: a stepper the coroutine takes along."""
    steps = EagerSteps()
    yielded = steps.send(coroutine)
    assert yielded is not steps.ran_to_end
    return steps.suspended(yielded)


@pytest.mark.anyio
@pytest.mark.parametrize("suspend", [run_eagerly, through_eager_steps])
async def test_a_suspended_coroutine_sees_cancellation_and_errors(
    anyio_backend: str, suspend: Callable[[Any], Any]
) -> None:
    seen: list[str] = []

    async def waits_forever() -> None:
        try:
            await anyio.sleep(3600)
        finally:
            seen.append("cleaned up")

    async def fails_later() -> None:
        await anyio.sleep(0)
        raise KeyError("late")

    with anyio.move_on_after(0.05) as scope:
        await suspend(waits_forever())
    assert scope.cancelled_caught
    assert seen == ["cleaned up"]
    with pytest.raises(KeyError, match="late"):
        await suspend(fails_later())


# -- EagerSteps: the quiet scan's stepper ------------------------------------------------------


class Ready:
    """Awaitable that completes at once, as table-backed Candles do."""

    def __await__(self) -> Any:
        return "ready"
        yield  # makes this a generator


def test_eager_steps_give_each_returning_coroutine_its_value_in_a_row() -> None:
    async def double(x: int) -> int:
        assert await Ready() == "ready"
        return 2 * x

    steps = EagerSteps()
    answers = []
    for x in range(5):
        assert steps.send(double(x)) is steps.ran_to_end
        answers.append(steps.result)
    assert answers == [0, 2, 4, 6, 8]
    assert not steps.ended


def test_eager_steps_raise_what_a_coroutine_raises_and_are_then_ended() -> None:
    async def broken() -> None:
        raise ValueError("bad signal")

    async def fine() -> str:
        return "ok"

    steps = EagerSteps()
    assert steps.send(fine()) is steps.ran_to_end
    with pytest.raises(ValueError, match="bad signal"):
        steps.send(broken())
    assert steps.ended
    fresh = EagerSteps()
    assert fresh.send(fine()) is fresh.ran_to_end and fresh.result == "ok"


@pytest.mark.anyio
async def test_eager_steps_hand_a_suspending_coroutine_to_suspended(anyio_backend: str) -> None:
    seen: list[str] = []

    async def waits(tag: str) -> str:
        seen.append(f"{tag} before")
        await anyio.sleep(0.01)
        seen.append(f"{tag} after")
        return f"{tag} done"

    steps = EagerSteps()
    yielded = steps.send(waits("a"))
    assert yielded is not steps.ran_to_end
    suspended = steps.suspended(yielded)
    assert type(suspended) is Suspended
    assert steps.ended  # the generator went with the suspended coroutine
    assert seen == ["a before"]
    assert await suspended == "a done"
    assert seen == ["a before", "a after"]


def test_closing_a_suspended_await_closes_the_coroutine_behind_eager_steps() -> None:
    seen: list[str] = []

    class Pause:
        def __await__(self) -> Any:
            yield "paused"

    async def pauses() -> None:
        try:
            await Pause()
        finally:
            seen.append("cleaned up")

    steps = EagerSteps()
    yielded = steps.send(pauses())
    assert yielded == "paused"
    waiting = steps.suspended(yielded).__await__()
    assert waiting.send(None) == "paused"  # Suspended re-yields what the coroutine yielded
    waiting.close()
    assert seen == ["cleaned up"]
