"""SCENARIOS B.13 e2e/sanitize: signal sanitising under tightened config, anomalous candles and
close-like sequences. (The on_write tests of e2e/sanitize are in test_e2e_persist.py.)"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from backtestkit.actors import Signal, set_config

from .e2e_sources import (
    BUFFER_START,
    MIN,
    Ohlcv,
    Recorder,
    SliceCandles,
    add_recorded_strategy,
    add_source_exchange,
    average_price_signal,
    band,
    first_calls,
    plan,
    rows_from,
    run_backtest,
    spec_pnl,
    spec_vwap,
    watch,
)
from .harness import T0, PhaseCandles, add_minute_frame

SYMBOL = "BTCUSDT"


def run_phase(
    price_at: Callable[[int], Ohlcv], get_signal: Callable[..., Any], frame_minutes: int = 10
) -> tuple[Recorder, list[Any], Any]:
    add_source_exchange("phase", PhaseCandles(price_at))
    add_minute_frame("frame", T0, T0 + frame_minutes * MIN)
    recorder = add_recorded_strategy("sanitize", get_signal)
    seen = watch()
    results = run_backtest(SYMBOL, "sanitize", "phase", "frame")
    return recorder, results, seen


def once(signal: Signal) -> Callable[..., Any]:
    return first_calls(lambda n, s: signal, 1)


def rejected(signal: Signal) -> str:
    return rejected_built(lambda: signal, signal.position)


def rejected_built(build: Callable[[], Signal], position: str) -> str:
    """The error of a get_signal that builds its signal with `build` (a non-finite price is
    refused by `Signal(...)` itself, inside get_signal, with the same header)."""
    recorder, results, seen = run_phase(lambda i: band(42000), first_calls(lambda n, s: build(), 1))
    assert recorder.schedule == [] and recorder.open == []
    assert results == []
    [error] = seen.errors
    assert str(error).startswith(f"Invalid signal for {position} position:\n")
    return str(error)


def test_sanitize_micro_profit() -> None:
    """e2e/sanitize/micro-profit: TP distance 0.0238 % < CC_MIN_TAKEPROFIT_DISTANCE 0.3 %."""
    set_config(unsafe=True, CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=0.3)
    assert ((42010 - 42000) / 42000) * 100 < 0.3
    rejected(Signal("long", 42010, 41000, 60, price_open=42000))


def test_sanitize_extreme_sl() -> None:
    """e2e/sanitize/extreme-sl: SL distance 52.38 % > CC_MAX_STOPLOSS_DISTANCE 20 %."""
    set_config(unsafe=True, CC_MAX_STOPLOSS_DISTANCE_PERCENT=20)
    rejected(Signal("long", 43000, 20000, 60, price_open=42000))


def test_sanitize_excessive_lifetime() -> None:
    """e2e/sanitize/excessive-lifetime: mET 50000 > CC_MAX_SIGNAL_LIFETIME_MINUTES 43200."""
    set_config(unsafe=True, CC_MAX_SIGNAL_LIFETIME_MINUTES=43200)
    message = rejected(Signal("long", 43000, 41000, 50000, price_open=42000))
    assert any(s in message for s in ("minute_estimated_time", "time", "excessive", "Invalid"))


def test_sanitize_negative_prices() -> None:
    """e2e/sanitize/negative-prices: priceOpen -42000 is rejected."""
    message = rejected(Signal("long", 43000, 41000, 60, price_open=-42000))
    assert any(s in message for s in ("negative", "must be", "price_open", "Invalid signal"))


def test_sanitize_nan_prices() -> None:
    """e2e/sanitize/nan-prices: priceOpen NaN is rejected (SPEC 4 rule 3)."""
    message = rejected_built(lambda: Signal("long", 43000, 41000, 60, price_open=math.nan), "long")
    assert any(s in message for s in ("NaN", "finite", "number", "Invalid signal"))


def test_sanitize_infinity_prices() -> None:
    """e2e/sanitize/infinity-prices: TP Infinity is rejected."""
    message = rejected_built(lambda: Signal("long", math.inf, 41000, 60, price_open=42000), "long")
    assert any(s in message for s in ("Infinity", "finite", "number", "Invalid signal"))


def test_sanitize_anomalous_candle() -> None:
    """e2e/sanitize/anomalous-candle: one candle at ~1/1000 of the others is rejected by the
    SPEC 7.5 check (median reference price / 1000) and reported on the error topic."""

    def price_at(i: int) -> Ohlcv:
        return (30, 30, 30, 30, 100) if i == 2 else band(42000)

    _recorder, results, seen = run_phase(
        price_at,
        once(Signal("long", 43000, 41000, 60, price_open=42000)),
    )
    assert results == []
    assert seen.errors
    assert any("anomalously low price" in str(e) for e in seen.errors)


def test_sanitize_basic_long() -> None:
    """e2e/sanitize/basic-long: scheduled, activated, take_profit (+1.976395 %)."""
    recorder, results, _ = run_phase(
        lambda i: band(42000) if 5 <= i < 10 else band(43000),
        once(Signal("long", 43000, 41000, 60, price_open=42000)),
        30,
    )
    assert len(recorder.schedule) == 1 and len(recorder.open) == 1
    [closed] = results
    assert closed.close_reason == "take_profit"
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 43000)
    assert round(closed.pnl.pnl_percentage, 6) == 1.976395


def test_sanitize_basic_short() -> None:
    """e2e/sanitize/basic-short: scheduled, activated, take_profit (+1.985519 %)."""
    recorder, results, _ = run_phase(
        lambda i: band(42000) if 5 <= i < 10 else band(41000),
        once(Signal("short", 41000, 43000, 60, price_open=42000)),
        30,
    )
    assert len(recorder.schedule) == 1 and len(recorder.open) == 1
    [closed] = results
    assert closed.close_reason == "take_profit"
    assert closed.pnl.pnl_percentage == spec_pnl("short", 42000, 41000)
    assert round(closed.pnl.pnl_percentage, 6) == 1.985519


def test_sanitize_sl_on_activation_candle() -> None:
    """e2e/sanitize/sl-on-activation-candle: the candle that reaches priceOpen also breaks SL:
    cancelled (SL wins), on_cancel called, on_open never."""
    buffer = [band(42000)] * 4
    source = SliceCandles(BUFFER_START, rows_from(BUFFER_START, [band(42000)] * 5))
    rebuilt = rows_from(
        BUFFER_START, buffer + plan(60, band(42000), (5, 5, (41000, 42000, 39000, 41000, 100)))
    )

    def make(n: int, symbol: str) -> Signal:
        source.rows = rebuilt
        return Signal("long", 43000, 40000, 60, price_open=41500)

    add_source_exchange("slice", source)
    add_minute_frame("frame", T0, T0 + 30 * MIN)
    recorder = add_recorded_strategy("sl-activation", first_calls(make, 1))
    results = run_backtest(SYMBOL, "sl-activation", "slice", "frame")
    assert len(recorder.cancel) == 1
    assert recorder.open == []
    [cancelled] = results
    assert cancelled.close_timestamp == T0 + 5 * MIN
    assert cancelled.current_price == spec_vwap(rebuilt[5:10])  # minutes 1..5


def test_sanitize_long_expired_then_tp() -> None:
    """e2e/sanitize/long-expired-then-tp: an exchange answering [] for an empty slice; the
    first long expires, the second takes profit."""
    prices = plan(120, band(42000), (70, 119, band(43100)))
    add_source_exchange("slice", SliceCandles(T0, rows_from(T0, prices), fallback=False))
    add_minute_frame("frame", T0, T0 + 90 * MIN)

    two = average_price_signal(
        lambda base: Signal("long", base + 1000, base - 1000, 60, price_open=base), n=2
    )
    recorder = add_recorded_strategy("expired-then-tp", two)
    seen = watch()
    results = run_backtest(SYMBOL, "expired-then-tp", "slice", "frame")
    assert len(results) == 2
    first, second = results
    assert first.close_reason == "time_expired"
    assert second.close_reason == "take_profit"
    # ticks T0..T0+3m have no look-back candles (errors); the first signal opens at T0+4m
    assert [row.pending_at for _, row, _, _ in recorder.open] == [T0 + 4 * MIN, T0 + 64 * MIN]
    assert (first.close_timestamp, second.close_timestamp) == (T0 + 63 * MIN, T0 + 70 * MIN)
    assert len(seen.errors_without("Invalid signal")) >= 4


def run_buffered(
    series: list[Ohlcv], make: Callable[[int], Signal], calls: int, frame_minutes: int
) -> tuple[Recorder, list[Any]]:
    rows = rows_from(BUFFER_START, [band(42000)] * 4 + series)
    add_source_exchange("slice", SliceCandles(BUFFER_START, rows))
    add_minute_frame("frame", T0, T0 + frame_minutes * MIN)
    recorder = add_recorded_strategy("rapid", first_calls(lambda n, s: make(n), calls))
    return recorder, run_backtest(SYMBOL, "rapid", "slice", "frame")


CYCLE = plan(30, band(42500), (0, 9, band(42000)), (10, 14, band(41500)))


def test_sanitize_rapid_longs() -> None:
    """e2e/sanitize/rapid-longs: five scheduled longs in a row: exactly 5 results."""
    recorder, results = run_buffered(
        CYCLE * 6, lambda n: Signal("long", 42500, 40500, 60, price_open=41500), 5, 150
    )
    assert len(results) == 5
    assert [r.close_reason for r in results] == ["take_profit"] * 5
    assert len(recorder.schedule) == 5


def test_sanitize_mixed_long_short_3() -> None:
    """e2e/sanitize/mixed-long-short-3: alternating scheduled long and short: exactly 4
    results."""

    def make(n: int) -> Signal:
        if n % 2:
            return Signal("long", 42500, 40500, 60, price_open=41500)
        return Signal("short", 41500, 43500, 60, price_open=42500)

    recorder, results = run_buffered(CYCLE * 4, make, 4, 90)
    assert len(results) == 4
    assert [r.signal.position for r in results] == ["long", "short", "long", "short"]
    assert [r.close_reason for r in results] == ["take_profit"] * 4
    assert len(recorder.schedule) == 4
