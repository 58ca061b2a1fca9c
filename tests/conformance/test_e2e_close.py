"""SCENARIOS B.3 e2e/close: PHASE exchanges, frame 1m T0 -> T0+30m, one signal (first call)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backtestkit.actors import Signal

from .e2e_sources import (
    MIN,
    Ohlcv,
    Recorder,
    Watch,
    add_recorded_strategy,
    band,
    first_calls,
    run_backtest,
    spec_pnl,
    spec_vwap,
    watch,
)
from .harness import T0, PhaseCandles, add_minute_frame, add_mock_exchange

SYMBOL = "BTCUSDT"


def setup(price_at: Callable[[int], Ohlcv], signal: Signal) -> tuple[Recorder, Watch, list[Any]]:
    add_mock_exchange("phase", PhaseCandles(price_at))
    add_minute_frame("30m", T0, T0 + 30 * MIN)
    recorder = add_recorded_strategy("close", first_calls(lambda n, s: signal, 1))
    seen = watch()
    results = run_backtest(SYMBOL, "close", "phase", "30m")
    return recorder, seen, results


def test_close_time_expired() -> None:
    """e2e/close/time-expired: scheduled at T0, activated at T0+1m, expires T0+11m at 42000."""
    recorder, seen, results = setup(
        lambda i: band(43000) if i < 5 else band(42000),
        Signal("long", 43000, 41000, 10, price_open=42000),
    )
    assert len(recorder.schedule) == 1 and len(recorder.open) == 1 and len(recorder.close) == 1
    _, scheduled_row, scheduled_price, _ = recorder.schedule[0]
    assert scheduled_price == 43000  # P = phase-1 typical price
    assert scheduled_row.scheduled_at == T0
    _, opened_row, open_price, _ = recorder.open[0]
    assert open_price == 42000
    assert opened_row.pending_at == T0 + MIN
    [closed] = results
    assert closed.action == "closed"
    assert closed.close_reason == "time_expired"
    assert closed.close_timestamp == T0 + 11 * MIN
    assert closed.current_price == spec_vwap([band(42000)] * 5) == 42000
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 42000)
    assert round(closed.pnl.pnl_percentage, 6) == -0.3998
    assert seen.closed() == [closed]


def test_close_scheduled_timeout() -> None:
    """e2e/close/scheduled-timeout: never reaches 42000; cancelled on the candle at T0+120m."""
    recorder, seen, results = setup(
        lambda i: band(43000), Signal("long", 43000, 41000, 10, price_open=42000)
    )
    assert len(recorder.schedule) == 1
    assert recorder.open == []
    assert len(recorder.cancel) == 1
    [cancelled] = results
    assert cancelled.action == "cancelled"
    assert cancelled.close_timestamp == T0 + 120 * MIN  # beyond the 30-minute frame
    assert cancelled.current_price == 43000
    assert recorder.cancel[0][2] == 43000
    assert "closed" not in seen.actions()


def test_close_short_stop_loss() -> None:
    """e2e/close/short-stop-loss: activation T0+1m, stop_loss 43000 at T0+6m."""
    recorder, _, results = setup(
        lambda i: band(41000) if i < 5 else band(42000) if i < 10 else band(43000),
        Signal("short", 41000, 43000, 60, price_open=42000),
    )
    assert len(recorder.schedule) == 1 and len(recorder.open) == 1
    assert recorder.open[0][1].pending_at == T0 + MIN
    [closed] = results
    assert closed.close_reason == "stop_loss"
    assert closed.current_price == 43000
    assert closed.close_timestamp == T0 + 6 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("short", 42000, 43000)
    assert closed.pnl.pnl_percentage < 0
    assert round(closed.pnl.pnl_percentage, 6) == -2.785919


def test_close_exact_low_activation() -> None:
    """e2e/close/exact-low-activation: a low of exactly 42000 activates (low <= priceOpen)."""

    def price_at(i: int) -> Ohlcv:
        return (42100, 42200, 42000, 42100, 100) if i == 5 else band(43000)

    recorder, _, results = setup(price_at, Signal("long", 43000, 41000, 60, price_open=42000))
    assert len(recorder.schedule) == 1 and len(recorder.open) == 1 and len(recorder.close) == 1
    assert recorder.open[0][1].pending_at == T0 + MIN
    [closed] = results
    assert closed.close_reason == "take_profit"
    assert closed.current_price == 43000
    assert closed.close_timestamp == T0 + 6 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 43000)
    assert round(closed.pnl.pnl_percentage, 6) == 1.976395


def test_close_small_profit() -> None:
    """e2e/close/small-profit: TP 42210 (exactly 0.5 %) at T0+6m."""

    def price_at(i: int) -> Ohlcv:
        if i < 10:
            return band(43000) if i < 5 else band(42000)
        return (42210, 42250, 42200, 42210, 100)

    recorder, _, results = setup(price_at, Signal("long", 42210, 41000, 60, price_open=42000))
    assert len(recorder.schedule) == 1 and len(recorder.open) == 1
    [closed] = results
    assert closed.close_reason == "take_profit"
    assert closed.current_price == 42210
    assert closed.close_timestamp == T0 + 6 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 42210)
    assert closed.pnl.pnl_percentage > 0
    assert round(closed.pnl.pnl_percentage, 6) == 0.099201


def test_close_long_stop_loss() -> None:
    """e2e/close/long-stop-loss: stop_loss 41000 at T0+6m."""
    recorder, _, results = setup(
        lambda i: band(43000) if i < 5 else band(42000) if i < 10 else band(41000),
        Signal("long", 43000, 41000, 60, price_open=42000),
    )
    assert len(recorder.schedule) == 1 and len(recorder.open) == 1
    [closed] = results
    assert closed.close_reason == "stop_loss"
    assert closed.current_price == 41000
    assert closed.close_timestamp == T0 + 6 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 41000)
    assert round(closed.pnl.pnl_percentage, 6) == -2.775995
