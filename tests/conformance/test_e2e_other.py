"""SCENARIOS B.13 e2e/other: PHASE exchanges (prices by index i inside each request), frames
1m from T0, the strategy returns its signal on its first call(s) only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backtestkit.actors import Signal, get_average_price

from .e2e_sources import (
    MIN,
    Ohlcv,
    Recorder,
    add_recorded_strategy,
    add_source_exchange,
    band,
    first_calls,
    resolve,
    run_backtest,
    spec_pnl,
    spec_vwap,
    watch,
)
from .harness import T0, PhaseCandles, add_minute_frame

SYMBOL = "BTCUSDT"


def run_phase(
    price_at: Callable[[int], Ohlcv],
    get_signal: Callable[..., Any],
    frame_minutes: int,
) -> tuple[Recorder, list[Any], Any]:
    add_source_exchange("phase", PhaseCandles(price_at))
    add_minute_frame("frame", T0, T0 + frame_minutes * MIN)
    recorder = add_recorded_strategy("other", get_signal)
    seen = watch()
    results = run_backtest(SYMBOL, "other", "phase", "frame")
    return recorder, results, seen


def once(signal: Signal) -> Callable[..., Any]:
    return first_calls(lambda n, s: signal, 1)


def test_other_same_price_no_double() -> None:
    """e2e/other/same-price-no-double: two scheduled signals at the same price are never open
    together; each activates 17 min after it was scheduled and expires 10 min later."""
    calls = 0
    prices: list[float] = []

    async def get_signal(symbol: str, when: Any) -> Signal | None:
        nonlocal calls
        calls += 1
        if calls > 2:
            return None
        p = await resolve(get_average_price(symbol))
        prices.append(p)
        return Signal("long", p + 500, p - 2000, 10, price_open=p - 1000)

    recorder, results, _ = run_phase(lambda i: band(43000 - 50 * i, 50), get_signal, 60)
    assert len(recorder.schedule) >= 2
    assert recorder.max_open <= 1
    assert prices == [42900, 42900]
    assert [row.scheduled_at for _, row, _, _ in recorder.schedule] == [T0, T0 + 28 * MIN]
    assert [row.pending_at for _, row, _, _ in recorder.open] == [T0 + 17 * MIN, T0 + 45 * MIN]
    assert [(r.close_reason, r.close_timestamp) for r in results] == [
        ("time_expired", T0 + 27 * MIN),
        ("time_expired", T0 + 55 * MIN),
    ]
    price = spec_vwap([band(43000 - 50 * i, 50) for i in range(27, 32)])
    assert price == 41550
    assert [r.current_price for r in results] == [price, price]
    assert results[0].pnl.pnl_percentage == spec_pnl("long", 41900, 41550)
    assert round(results[0].pnl.pnl_percentage, 6) == -1.233453


def test_other_breakeven() -> None:
    """e2e/other/breakeven: TP 42084 (0.2 %) reached on T0+1m: pnl -0.2002 %."""
    recorder, results, _ = run_phase(
        lambda i: band(42000, 50) if i < 5 else band(42100, 50),
        once(Signal("long", 42084, 41000, 30, price_open=42000)),
        20,
    )
    [closed] = results
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 42084)
    assert abs(closed.pnl.pnl_percentage - (-0.2)) <= 0.05
    assert closed.pnl.pnl_percentage >= -0.3
    assert recorder.schedule == [] and recorder.open[0][1].pending_at == T0
    assert (closed.close_reason, closed.close_timestamp) == ("take_profit", T0 + MIN)
    assert round(closed.pnl.pnl_percentage, 6) == -0.2002


def test_other_tp_and_sl_same_candle() -> None:
    """e2e/other/tp-and-sl-same-candle: both touched on T0+1m: take_profit wins."""
    _, results, _ = run_phase(
        lambda i: (42000, 43500, 40500, 42000, 100) if i == 5 else band(42000),
        once(Signal("long", 43000, 41000, 30, price_open=42000)),
        20,
    )
    [closed] = results
    assert closed.close_reason in ("take_profit", "stop_loss")
    assert closed.close_reason == "take_profit"
    assert closed.close_timestamp == T0 + MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 43000)
    assert round(closed.pnl.pnl_percentage, 6) == 1.976395


def test_other_flash_crash() -> None:
    """e2e/other/flash-crash: the low of T0+2m (39480) crosses SL 39900: stop_loss at 39900."""

    def price_at(i: int) -> Ohlcv:
        if i < 5:
            return band(42000)
        if i <= 10:
            low = 42000 * (1 - 0.3 * (i - 5) / 5)
            return (low + 1000, low + 1000, low, low, 100) if i > 5 else (42000,) * 4 + (100,)
        return (40000, 41000, 39500, 40500, 100)

    _, results, _ = run_phase(
        price_at, once(Signal("long", 44000, 39900, 60, price_open=42000)), 30
    )
    [closed] = results
    assert closed.close_reason == "stop_loss"
    assert closed.current_price == 39900
    assert closed.close_timestamp == T0 + 2 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 39900)


def test_other_gap_down_activation() -> None:
    """e2e/other/gap-down-activation: 45000 -> 42000 gaps through priceOpen 43000: scheduled
    at T0, activated on T0+1m."""
    note = "gap down test - LONG priceOpen in gap"
    gap = (42000, 42500, 41500, 42000, 100)
    recorder, results, _ = run_phase(
        lambda i: band(45000) if i < 5 else gap if i == 5 else band(42000),
        once(Signal("long", 46000, 40000, 30, price_open=43000, note=note)),
        20,
    )
    assert len(recorder.schedule) == 1 and len(recorder.open) == 1
    assert recorder.schedule[0][1].scheduled_at == T0
    assert recorder.open[0][1].pending_at == T0 + MIN
    assert recorder.open[0][1].note == note
    [closed] = results  # untouched: expires 30 min after the activation at VWAP 42000
    assert (closed.close_reason, closed.close_timestamp) == ("time_expired", T0 + 31 * MIN)
    assert closed.pnl.pnl_percentage == spec_pnl("long", 43000, 42000)


def test_other_immediate_long() -> None:
    """e2e/other/immediate-long: P 42000 <= priceOpen 43000: opened at once at 43000."""
    recorder, _, seen = run_phase(
        lambda i: band(42000), once(Signal("long", 44000, 41000, 30, price_open=43000)), 20
    )
    assert len(recorder.open) == 1 and recorder.schedule == []
    _, row, price, _ = recorder.open[0]
    assert price == row.price_open == 43000
    assert row.pending_at == row.scheduled_at == T0
    assert seen.actions()[0] == "opened"


def test_other_immediate_short() -> None:
    """e2e/other/immediate-short: P 43000 >= priceOpen 42000: opened at once."""
    recorder, _, seen = run_phase(
        lambda i: band(43000), once(Signal("short", 41000, 44000, 30, price_open=42000)), 20
    )
    assert len(recorder.open) == 1 and recorder.schedule == []
    assert recorder.open[0][2] == 42000
    assert seen.actions()[0] == "opened"


def test_other_immediate_long_rejected() -> None:
    """e2e/other/immediate-long-rejected: currentPrice 40000 <= SL 41000 (SPEC 4 rule 5)."""
    recorder, results, seen = run_phase(
        lambda i: band(40000), once(Signal("long", 45000, 41000, 60, price_open=43000)), 10
    )
    assert recorder.schedule == [] and recorder.open == []
    assert results == []
    [error] = seen.errors
    assert str(error).startswith("Invalid signal for long position:")
    assert "current_price" in str(error) and "price_stop_loss" in str(error)


def test_other_immediate_short_rejected() -> None:
    """e2e/other/immediate-short-rejected: currentPrice 45000 >= SL 44000."""
    recorder, results, seen = run_phase(
        lambda i: band(45000), once(Signal("short", 40000, 44000, 60, price_open=42000)), 10
    )
    assert recorder.schedule == [] and recorder.open == []
    assert results == []
    [error] = seen.errors
    assert str(error).startswith("Invalid signal for short position:")
    assert "current_price" in str(error) and "price_stop_loss" in str(error)
