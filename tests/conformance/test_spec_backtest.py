"""SCENARIOS A.1 spec/backtest: Backtest.run / background / done / progress with STD-LONG."""

from __future__ import annotations

import anyio
import pytest

from backtestkit.actors import Backtest, Closed, add_strategy
from backtestkit.bus import (
    BacktestProgress,
    DoneEvent,
    TickResult,
    listen_done_backtest_once,
    listen_progress_backtest,
    listen_signal_backtest,
)

from .harness import DAY_MS, P_STAR, T0, add_day_frame, add_mock_exchange, minutes, std_long
from .spec_support import SYMBOL, collect_run, run_background, spec_pnl

pytestmark = pytest.mark.anyio

TP = P_STAR + 1000  # STD-LONG take-profit (SCENARIOS 0.5)
SL = P_STAR - 1000


def _std_setup(name: str = "std", *, met: int = 60, days: int = 1) -> None:
    add_mock_exchange()
    add_day_frame(days=days)
    add_strategy(name, interval="1m", get_signal=std_long(met))


def _assert_std_take_profit(result: TickResult, open_time: int = T0) -> None:
    """SCENARIOS 0.5: TP at P*+1000 on ff candle k=11, open + 7 min, pnl +1.950634 %."""
    assert isinstance(result, Closed)
    assert result.close_reason == "take_profit"
    assert result.current_price == TP
    assert result.close_timestamp == open_time + minutes(7)
    assert result.signal.price_open == P_STAR
    assert result.signal.pending_at == result.signal.scheduled_at == open_time
    assert result.pnl.price_open == P_STAR
    assert result.pnl.price_close == TP
    assert result.pnl.pnl_percentage == spec_pnl("long", P_STAR, TP)
    assert result.pnl.pnl_percentage == pytest.approx(1.950634, abs=5e-7)


async def _first_closed_event(strategy: str) -> Closed:
    """background run; the first `closed` on the signal_backtest stream."""
    closed: list[Closed] = []
    listen_signal_backtest(
        lambda r: closed.append(r) if isinstance(r, Closed) else None,
        lambda r: r.strategy_name == strategy,
    )
    await run_background(strategy=strategy)
    assert closed, "no closed event"
    return closed[0]


async def test_run_yields_closed() -> None:
    """spec/backtest/run-yields-closed"""
    _std_setup()
    results: list[TickResult] = []
    with anyio.fail_after(10):
        async for result in Backtest.run(SYMBOL, strategy="std", exchange="mock", frame="1d"):
            results.append(result)
            if result.action == "closed":
                break
    assert len(results) >= 1  # asserted
    # computed: the first result is the TP close; it is also the only one of the run
    _assert_std_take_profit(results[0])
    everything = await collect_run(strategy="std")
    assert len(everything) == 1
    _assert_std_take_profit(everything[0])


async def test_background_emits() -> None:
    """spec/backtest/background-emits"""
    _std_setup()
    closed = await _first_closed_event("std")
    assert closed.action == "closed"
    assert closed.backtest is True
    _assert_std_take_profit(closed)


async def test_done_event() -> None:
    """spec/backtest/done-event"""
    _std_setup()
    done = await run_background(strategy="std")
    assert done.backtest is True
    assert done == DoneEvent(
        exchange_name="mock", strategy_name="std", backtest=True, symbol=SYMBOL
    )


async def test_done_once() -> None:
    """spec/backtest/done-once"""
    _std_setup()
    seen: list[DoneEvent] = []
    listen_done_backtest_once(lambda e: e.backtest and e.strategy_name == "std", seen.append)
    await run_background(strategy="std")
    assert len(seen) == 1
    assert seen[0].backtest is True
    assert seen[0] == DoneEvent(
        exchange_name="mock", strategy_name="std", backtest=True, symbol=SYMBOL
    )


async def test_close_reason() -> None:
    """spec/backtest/close-reason"""
    _std_setup()
    closed = await _first_closed_event("std")
    assert closed.close_reason in ("take_profit", "stop_loss", "time_expired")
    assert closed.close_reason == "take_profit"  # computed


async def test_closed_fields() -> None:
    """spec/backtest/closed-fields"""
    _std_setup()
    closed = await _first_closed_event("std")
    signal = closed.signal
    assert isinstance(signal.id, str) and signal.id
    assert signal.position == "long"
    assert closed.close_reason
    assert closed.close_timestamp
    assert isinstance(closed.pnl.pnl_percentage, float)
    assert closed.symbol == signal.symbol == SYMBOL
    assert closed.strategy_name == signal.strategy_name == "std"
    assert closed.exchange_name == signal.exchange_name == "mock"
    assert (signal.price_take_profit, signal.price_stop_loss) == (TP, SL)
    assert signal.minute_estimated_time == 60
    assert signal.is_scheduled is False
    _assert_std_take_profit(closed)


async def test_early_break() -> None:
    """spec/backtest/early-break"""
    _std_setup(met=1, days=6)  # 1d frame 2024-01-01 -> 2024-01-07: 7 points
    results: list[TickResult] = []
    with anyio.fail_after(10):
        async for result in Backtest.run(SYMBOL, strategy="std", exchange="mock", frame="1d"):
            results.append(result)
            if len(results) == 2:
                break
    assert len(results) == 2
    # computed: mET 1 checks only the candle stamped at the open, then expires at its VWAP (P*)
    for day, result in enumerate(results):
        assert isinstance(result, Closed)
        assert result.close_reason == "time_expired"
        assert result.current_price == P_STAR
        assert result.close_timestamp == T0 + day * DAY_MS
        assert result.signal.pending_at == T0 + day * DAY_MS
        assert result.pnl.pnl_percentage == spec_pnl("long", P_STAR, P_STAR)
        assert result.pnl.pnl_percentage == pytest.approx(-0.3998, abs=5e-7)


async def test_progress() -> None:
    """spec/backtest/progress"""
    _std_setup(days=3)  # 2024-01-01 -> 2024-01-04: 4 points
    events: list[BacktestProgress] = []
    listen_progress_backtest(events.append, lambda e: e.strategy_name == "std")
    await run_background(strategy="std")
    assert events
    assert any(e.progress == 1.0 for e in events)
    processed = [e.processed_frames for e in events]
    assert processed == sorted(processed)
    assert all(e.symbol == SYMBOL and e.exchange_name == "mock" for e in events)
    # computed: opens Jan 1 (Jan 2 skipped), opens Jan 3 (Jan 4 skipped), then the final event
    assert processed == [0, 2, 4]
    assert [e.progress for e in events] == [0.0, 0.5, 1.0]
    assert all(e.total_frames == 4 for e in events)
