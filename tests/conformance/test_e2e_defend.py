"""SCENARIOS B.13 e2e/defend: PHASE exchanges (prices by index i inside each request), frames 1m
from T0, one signal (first call). "Rejected" tests: flat 42000 candles, frame T0 -> T0+10m,
no schedule/open and an error naming the problem (header `Invalid signal for <position>
position:`, SPEC 4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from backtestkit.actors import Signal, add_risk, get_average_price
from backtestkit.bus import listen_signal_backtest

from .e2e_sources import (
    MIN,
    Ohlcv,
    Recorder,
    Throwing,
    add_recorded_strategy,
    add_source_exchange,
    average_price_signal,
    band,
    first_calls,
    resolve,
    run_background,
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
    risk: str | None = None,
) -> tuple[Recorder, list[Any], Any]:
    add_source_exchange("phase", PhaseCandles(price_at))
    add_minute_frame("frame", T0, T0 + frame_minutes * MIN)
    recorder = add_recorded_strategy("defend", get_signal, risk=risk)
    seen = watch()
    results = run_backtest(SYMBOL, "defend", "phase", "frame")
    return recorder, results, seen


def once(signal: Signal) -> Callable[..., Any]:
    return first_calls(lambda n, s: signal, 1)


def test_defend_long_activates_before_sl() -> None:
    """e2e/defend/long-activates-before-sl: activation at T0+6m, stop_loss 40000 at T0+11m."""

    def price_at(i: int) -> Ohlcv:
        return band(43000 - 200 * i, 50)

    recorder, results, _ = run_phase(
        price_at, once(Signal("long", 42000, 40000, 60, price_open=41000)), 30
    )
    assert recorder.schedule[0][1].scheduled_at == T0
    assert spec_vwap(price_at(i) for i in range(5)) == 42600
    assert recorder.open[0][1].pending_at == T0 + 6 * MIN
    [closed] = results
    assert closed.close_reason == "stop_loss"
    assert closed.pnl.pnl_percentage < 0
    assert closed.current_price == 40000
    assert closed.close_timestamp == T0 + 11 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 41000, 40000)


def test_defend_short_activates_before_sl() -> None:
    """e2e/defend/short-activates-before-sl: mirror: stop_loss 44000 at T0+11m."""
    recorder, results, _ = run_phase(
        lambda i: band(41000 + 200 * i, 50),
        once(Signal("short", 42000, 44000, 60, price_open=43000)),
        30,
    )
    assert recorder.open[0][1].pending_at == T0 + 6 * MIN
    [closed] = results
    assert closed.close_reason == "stop_loss"
    assert closed.pnl.pnl_percentage < 0
    assert closed.close_timestamp == T0 + 11 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("short", 43000, 44000)


def test_defend_instant_tp_same_candle() -> None:
    """e2e/defend/instant-tp-same-candle: activated on T0+1m, TP 42000 on T0+6m."""

    def price_at(i: int) -> Ohlcv:
        if i < 5:
            return band(43000)
        return (42000, 43000, 40500, 42000, 100) if i == 5 else band(42500)

    recorder, results, _ = run_phase(
        price_at, once(Signal("long", 42000, 39000, 60, price_open=41000)), 20
    )
    [closed] = results
    _, opened, _, _ = recorder.open[0]
    assert opened.scheduled_at != opened.pending_at
    assert closed.pnl.pnl_percentage > 0
    assert (opened.scheduled_at, opened.pending_at) == (T0, T0 + MIN)
    assert (closed.close_reason, closed.close_timestamp) == ("take_profit", T0 + 6 * MIN)
    assert closed.pnl.pnl_percentage == spec_pnl("long", 41000, 42000)


def test_defend_timeout_boundary_120() -> None:
    """e2e/defend/timeout-boundary-120: cancelled exactly 120 min after scheduledAt."""
    recorder, results, _ = run_phase(
        lambda i: band(42000), once(Signal("long", 41000, 39000, 60, price_open=40000)), 121
    )
    [cancelled] = results
    assert cancelled.action == "cancelled"
    assert cancelled.close_timestamp - cancelled.signal.scheduled_at == 120 * MIN
    assert cancelled.current_price == 42000
    assert len(recorder.cancel) == 1 and recorder.open == []


@pytest.mark.parametrize(
    ("signal", "needles"),
    [
        pytest.param(
            Signal("long", 40000, 39000, 60, price_open=41000),
            ("price_take_profit", "price_open", "Invalid signal"),
            id="invalid-long-tp",
        ),
        pytest.param(
            Signal("short", 44000, 45000, 60, price_open=43000),
            ("price_take_profit", "price_open", "Invalid signal"),
            id="invalid-short-tp",
        ),
        pytest.param(
            Signal("long", 42000, 41500, 60, price_open=41000),
            ("price_stop_loss", "price_open", "Invalid signal"),
            id="invalid-long-sl",
        ),
        pytest.param(
            Signal("long", 43000, 0, 60, price_open=42000),
            ("StopLoss", "price_stop_loss", "zero", "Invalid signal"),
            id="zero-sl",
        ),
        pytest.param(
            Signal("short", 43000, 44000, 60, price_open=42000),
            ("TakeProfit", "SHORT", "price_open", "Invalid signal"),
            id="short-inverted",
        ),
        pytest.param(
            Signal("long", 43000, 41000, 0, price_open=42000),
            ("minute_estimated_time", "time", "zero", "Invalid signal"),
            id="zero-lifetime",
        ),
        pytest.param(
            Signal("long", 42000, 41000, 60, price_open=42000),
            ("TakeProfit", "price_open", "must be", "Invalid signal"),
            id="tp-equals-open",
        ),
    ],
)
def test_defend_rejected(signal: Signal, needles: tuple[str, ...]) -> None:
    """e2e/defend/{invalid-long-tp, invalid-short-tp, invalid-long-sl, zero-sl, short-inverted,
    zero-lifetime, tp-equals-open}: rejected by validation, never scheduled or opened."""
    recorder, results, seen = run_phase(lambda i: band(42000), once(signal), 10)
    assert recorder.schedule == [] and recorder.open == []
    assert results == []
    [error] = seen.errors
    assert any(needle in str(error) for needle in needles)
    assert str(error).startswith(f"Invalid signal for {signal.position} position:\n")


def test_defend_queue_respects_risk() -> None:
    """e2e/defend/queue-respects-risk: three scheduled signals under a one-position risk."""

    def limit_one(check: Any) -> None:
        if check.active_position_count >= 1:
            raise ValueError("max 1 active position")

    add_risk("one-position", validations=[limit_one])
    calls = 0

    async def get_signal(symbol: str, when: Any) -> Signal | None:
        nonlocal calls
        calls += 1
        if calls > 3:
            return None
        p = await resolve(get_average_price(symbol))
        return Signal("long", p + 500, p - 500, 5, price_open=p - 100 * calls)

    recorder, _, _ = run_phase(lambda i: band(43000 - 10 * i, 50), get_signal, 30, "one-position")
    assert len(recorder.schedule) >= 2
    assert recorder.max_open <= 1


def test_defend_long_sl_skips_open() -> None:
    """e2e/defend/long-sl-skips-open: the candle at T0+1m (low 38900) is below SL: cancelled."""
    recorder, results, _ = run_phase(
        lambda i: band(45000) if i < 5 else band(39000),
        once(Signal("long", 43000, 40000, 60, price_open=42000)),
        30,
    )
    assert recorder.open == []
    assert len(recorder.cancel) == 1
    [cancelled] = results
    assert cancelled.action == "cancelled"
    assert cancelled.close_timestamp == T0 + MIN
    assert cancelled.current_price == spec_vwap([band(45000)] * 4 + [band(39000)])


def test_defend_tp_wins_both_touched() -> None:
    """e2e/defend/tp-wins-both-touched: opened at T0, TP 43000 on T0+1m."""
    recorder, results, _ = run_phase(
        lambda i: (42000, 43500, 40500, 42000, 100) if i == 5 else band(42000, 50),
        average_price_signal(lambda p: Signal("long", p + 1000, p - 1000, 60, price_open=p), n=1),
        30,
    )
    closed = results[0]
    assert closed.close_reason == "take_profit"
    assert closed.pnl.pnl_percentage > 0
    assert recorder.open[0][1].pending_at == T0
    assert closed.close_timestamp == T0 + MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 43000)
    assert round(closed.pnl.pnl_percentage, 6) == 1.976395


@pytest.mark.anyio
async def test_defend_exchange_throws() -> None:
    """e2e/defend/exchange-throws: every fetch fails; errors reach the error topic and the
    background run still completes (doneBacktest)."""
    message = "EXCHANGE_API_ERROR: Network timeout - unable to fetch candles"
    add_source_exchange("down", Throwing(message))
    add_minute_frame("frame", T0, T0 + 10 * MIN)

    async def get_signal(symbol: str, when: Any) -> Signal:
        p = await resolve(get_average_price(symbol))
        return Signal("long", p + 1000, p - 1000, 60, price_open=p)

    add_recorded_strategy("throws", get_signal)
    seen = watch()
    done = await run_background((SYMBOL, "throws", "down", "frame"))
    assert len(done) == 1
    assert seen.errors
    assert any(
        any(s in str(e) for s in ("EXCHANGE_API_ERROR", "Network timeout", "unable to fetch"))
        for e in seen.errors
    )


@pytest.mark.anyio
async def test_defend_listener_throws() -> None:
    """e2e/defend/listener-throws: a raising signal_backtest listener lands on the error topic;
    the run completes."""
    add_source_exchange("flat", PhaseCandles(lambda i: band(42000)))
    add_minute_frame("frame", T0, T0 + 5 * MIN)

    async def get_signal(symbol: str, when: Any) -> Signal:
        p = await resolve(get_average_price(symbol))
        return Signal("long", p + 1000, p - 1000, 1, price_open=p)

    add_recorded_strategy("listener", get_signal)
    seen = watch()

    def boom(event: Any) -> None:
        raise RuntimeError("listener failure")

    listen_signal_backtest(boom)
    done = await run_background((SYMBOL, "listener", "flat", "frame"))
    assert len(done) == 1
    assert any("listener failure" in str(e) for e in seen.errors)
    assert seen.closed()  # mET 1: time_expired closes still flow
