"""SCENARIOS B.10 e2e/shutdown, backtest part: Backtest.stop and Backtest.list.

Decision Q7: after a stop no new signal is taken, an open position's fast-forward completes.
The Live shutdown scenarios are in test_e2e_live.py, the Walker ones in test_spec_walker.py.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from backtestkit.actors import Backtest, Signal
from backtestkit.bus import (
    DoneEvent,
    listen_done_backtest,
    listen_signal_backtest,
    listen_signal_backtest_once,
)

from .e2e_sources import (
    BUFFER_START,
    MIN,
    Ohlcv,
    SliceCandles,
    add_recorded_strategy,
    add_source_exchange,
    band,
    first_calls,
    plan,
    rows_from,
    run_background,
    spec_pnl,
    watch,
)
from .harness import T0, add_minute_frame, add_mock_exchange, std_long

SYMBOL = "BTCUSDT"
LONG = Signal("long", 96000, 94000, 60, price_open=95000)


def buffer_slice(series: list[Ohlcv]) -> tuple[SliceCandles, list[Any]]:
    """Buffer-style slice exchange base 95000: 5 candles from T0-4m (typical 95000), rebuilt
    by the first get_signal call as 4 buffer candles + the series from T0."""
    source = SliceCandles(BUFFER_START, rows_from(BUFFER_START, [band(95000)] * 5))
    return source, rows_from(BUFFER_START, [band(95000)] * 4 + series)


def rebuilding(source: SliceCandles, rows: list[Any], signal: Signal, calls: int) -> Any:
    def make(n: int, symbol: str) -> Signal:
        if n == 1:
            source.rows = rows
        return signal

    return first_calls(make, calls)


@pytest.mark.anyio
async def test_shutdown_backtest_stop_active() -> None:
    """e2e/shutdown/backtest-stop-active: stop requested while the position is open: it still
    closes (take_profit at T0+100m), and no second signal is taken."""
    series = plan(120, band(95500), (3, 4, band(95000)), (100, 119, band(96000)))
    source, rows = buffer_slice(series)
    add_source_exchange("slice", source)
    add_minute_frame("2h", T0, T0 + 120 * MIN)
    signal = Signal("long", 96000, 94000, 120, price_open=95000)
    recorder = add_recorded_strategy("stop-active", rebuilding(source, rows, signal, 2))
    seen = watch()

    async def stop_when_opened(event: Any) -> None:
        if event.action == "opened":
            await Backtest.stop(SYMBOL, "stop-active")

    listen_signal_backtest(stop_when_opened)
    await run_background((SYMBOL, "stop-active", "slice", "2h"))
    assert seen.errors == []
    assert len(recorder.open) == 1 and len(recorder.close) == 1
    [closed] = seen.closed()
    assert (closed.close_reason, closed.close_timestamp) == ("take_profit", T0 + 100 * MIN)
    assert closed.pnl.pnl_percentage == spec_pnl("long", 95000, 96000)


@pytest.mark.anyio
async def test_shutdown_backtest_stop_after_close() -> None:
    """e2e/shutdown/backtest-stop-after-close: listen_signal_backtest_once(closed) stops the
    backtest: exactly one signal opened and closed."""
    series = plan(60, band(95000), (0, 4, band(95500)), (10, 14, band(96000)))
    source, rows = buffer_slice(series)
    add_source_exchange("slice", source)
    add_minute_frame("60m", T0, T0 + 60 * MIN)
    recorder = add_recorded_strategy("stop-after-close", rebuilding(source, rows, LONG, 3))
    seen = watch()

    async def stop(event: Any) -> None:
        await Backtest.stop(SYMBOL, "stop-after-close")

    listen_signal_backtest_once(lambda e: e.action == "closed", stop)
    await run_background((SYMBOL, "stop-after-close", "slice", "60m"))
    assert seen.errors == []
    assert len(recorder.open) == 1
    assert len(recorder.close) == 1
    [closed] = seen.closed()
    assert (closed.close_reason, closed.close_timestamp) == ("take_profit", T0 + 10 * MIN)


@pytest.mark.anyio
async def test_shutdown_backtest_null_stop() -> None:
    """e2e/shutdown/backtest-null-stop: get_signal always None; a stop shortly after the start
    ends the run early (fewer than 60 calls) without error."""
    add_mock_exchange()
    add_minute_frame("60m", T0, T0 + 60 * MIN)
    calls = 0

    async def get_signal(symbol: str, when: Any) -> None:
        nonlocal calls
        calls += 1
        await anyio.sleep(0.005)

    recorder = add_recorded_strategy("null-stop", get_signal)
    seen = watch()
    done = anyio.Event()
    listen_done_backtest(lambda e: done.set())
    with anyio.fail_after(3):
        Backtest.background(SYMBOL, strategy="null-stop", exchange="mock", frame="60m")
        while calls == 0:  # stop shortly after the start: once get_signal was asked
            await anyio.sleep(0.001)
        await Backtest.stop(SYMBOL, "null-stop")
        await done.wait()
    assert seen.errors == []
    assert recorder.open == [] and recorder.close == []
    assert 1 <= calls < 60


async def start_three(frame_minutes: int) -> tuple[list[DoneEvent], anyio.Event]:
    add_mock_exchange()
    add_minute_frame("frame", T0, T0 + frame_minutes * MIN)
    add_recorded_strategy("listed", std_long())
    done: list[DoneEvent] = []
    all_done = anyio.Event()

    def on_done(event: DoneEvent) -> None:
        done.append(event)
        if len(done) == 3:
            all_done.set()

    listen_done_backtest(on_done)
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
        Backtest.background(symbol, strategy="listed", exchange="mock", frame="frame")
    return done, all_done


@pytest.mark.anyio
async def test_shutdown_backtest_list_pending() -> None:
    """e2e/shutdown/backtest-list-pending: three running backtests are listed as pending."""
    with anyio.fail_after(10):
        _, all_done = await start_three(10)
        listed = Backtest.list()
        await all_done.wait()
    assert len(listed) == 3
    assert all(item.status == "pending" for item in listed)
    assert {item.symbol for item in listed} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    assert all(item.name == "listed" for item in listed)


@pytest.mark.anyio
async def test_shutdown_backtest_list_fulfilled() -> None:
    """e2e/shutdown/backtest-list-fulfilled: after three done events every entry is
    fulfilled."""
    with anyio.fail_after(10):
        done, all_done = await start_three(5)
        await all_done.wait()
    assert len(done) == 3
    listed = Backtest.list()
    assert len(listed) == 3
    assert all(item.status == "fulfilled" for item in listed)
