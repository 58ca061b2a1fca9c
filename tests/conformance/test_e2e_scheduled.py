"""SCENARIOS B.6 e2e/scheduled: scheduled (limit) signals through a backtest."""

from __future__ import annotations

from typing import Any

from backtestkit.actors import Signal, get_average_price

from .e2e_sources import (
    BUFFER_START,
    MIN,
    SliceCandles,
    add_recorded_strategy,
    add_source_exchange,
    band,
    resolve,
    rows_from,
    run_backtest,
    spec_pnl,
    spec_vwap,
    watch,
)
from .harness import DAY_MS, T0, MockCandles, add_day_frame, add_minute_frame, add_mock_exchange

SYMBOL = "BTCUSDT"
BUFFER = band(42000)


def buffer_slice(series: list[Any]) -> tuple[SliceCandles, list[Any]]:
    """B.6 'buffer-slice exchange': 5 buffer candles from T0-4m, rebuilt by the first call."""
    source = SliceCandles(BUFFER_START, rows_from(BUFFER_START, [BUFFER] * 5))
    return source, rows_from(BUFFER_START, [BUFFER] * 4 + series)


def mock_timeout_price() -> float:
    """Price of a MOCK scheduled signal cancelled by timeout: ff candle k = 124 (+120 min)."""
    rows = MockCandles().fetch(SYMBOL, "1m", 0, 125)
    return spec_vwap(rows[120:125])


def test_scheduled_activate_and_close() -> None:
    """e2e/scheduled/activate-and-close: activated on the ff candle stamped T0, time_expired
    at T0+120m at 42000 (the 42200 highs of minutes 1-4 are skipped, Q2)."""
    first = (41800, 42200, 41800, 42150, 100)
    series = [first] * 5 + [band(42000)] * 245
    source, rebuilt = buffer_slice(series)
    calls = 0
    prices: list[float] = []

    async def get_signal(symbol: str, when: Any) -> Signal:
        nonlocal calls
        calls += 1
        if calls == 1:
            source.rows = rebuilt
        p = await resolve(get_average_price(symbol))
        prices.append(p)
        tp = p + 100 if calls % 2 else p + 10000
        return Signal("long", tp, p - 10000, 120, price_open=p - 100)

    add_source_exchange("slice", source)
    add_minute_frame("10m", T0, T0 + 10 * MIN)
    recorder = add_recorded_strategy("activate", get_signal)
    seen = watch()
    results = run_backtest(SYMBOL, "activate", "slice", "10m")
    assert seen.errors == []
    p = spec_vwap([BUFFER] * 4 + [first])
    assert prices == [p]
    assert round(p, 6) == 42010
    assert len(recorder.schedule) == 1 and len(recorder.open) == 1 and len(recorder.close) == 1
    _, row, _, _ = recorder.schedule[0]
    assert (row.price_open, row.price_take_profit, row.price_stop_loss) == (
        p - 100,
        p + 100,
        p - 10000,
    )
    assert recorder.open[0][1].pending_at == T0
    [closed] = results
    assert closed.close_reason == "time_expired"
    assert closed.close_timestamp == T0 + 120 * MIN
    assert closed.current_price == 42000
    assert closed.pnl.pnl_percentage == spec_pnl("long", p - 100, 42000)


def never_reached(met: int) -> tuple[Any, list[Any]]:
    add_mock_exchange()
    recorder = add_recorded_strategy(
        "never", lambda s, w: Signal("long", 11000, 5000, met, price_open=10000)
    )
    add_day_frame("4d", days=3)  # Jan 1 .. Jan 4
    return recorder, run_backtest(SYMBOL, "never", "mock", "4d")


def test_scheduled_never_reached() -> None:
    """e2e/scheduled/never-reached: scheduled Jan 1 and Jan 3, each cancelled at 02:00."""
    recorder, results = never_reached(60)
    assert len(recorder.schedule) == 2 and len(recorder.cancel) == 2
    assert recorder.open == []
    assert [r.action for r in results] == ["cancelled", "cancelled"]
    assert [r.close_timestamp for r in results] == [T0 + 120 * MIN, T0 + 2 * DAY_MS + 120 * MIN]
    assert [r.current_price for r in results] == [mock_timeout_price()] * 2


def test_scheduled_queue() -> None:
    """e2e/scheduled/queue: #1 TP at T0+5m, #2 scheduled at T0+6m expires at T0+66m."""
    candle = (41800, 42200, 41800, 42100, 100)
    source, rebuilt = buffer_slice([candle] * 200)
    calls = 0
    prices: list[float] = []

    async def get_signal(symbol: str, when: Any) -> Signal:
        nonlocal calls
        calls += 1
        if calls == 1:
            source.rows = rebuilt
        p = await resolve(get_average_price(symbol))
        prices.append(p)
        tp = p + 100 if calls % 2 else p + 10000
        return Signal("long", tp, p - 10000, 60, price_open=p - 100)

    add_source_exchange("slice", source)
    add_minute_frame("20m", T0, T0 + 20 * MIN)
    recorder = add_recorded_strategy("queue", get_signal)
    results = run_backtest(SYMBOL, "queue", "slice", "20m")
    p1 = spec_vwap([BUFFER] * 4 + [candle])
    p2 = spec_vwap([candle] * 5)
    assert round(p1, 2) == 42006.67 and round(p2, 2) == 42033.33
    assert prices == [p1, p2]
    assert len(recorder.schedule) == 2 and len(recorder.open) == 2
    assert [row.pending_at for _, row, _, _ in recorder.open] == [T0, T0 + 6 * MIN]
    first, second = results
    assert first.close_reason == "take_profit"
    assert first.close_timestamp == T0 + 5 * MIN
    assert first.current_price == p1 + 100
    assert first.pnl.pnl_percentage == spec_pnl("long", p1 - 100, p1 + 100)
    assert second.close_reason == "time_expired"
    assert second.close_timestamp == T0 + 66 * MIN
    assert second.current_price == p2
    assert second.pnl.pnl_percentage == spec_pnl("long", p2 - 100, p2)


def test_scheduled_sl_before_activation() -> None:
    """e2e/scheduled/sl-before-activation: neither SL nor entry is reached: two timeouts."""
    recorder, results = never_reached(30)
    assert len(recorder.schedule) == 2 and len(recorder.cancel) == 2
    assert recorder.open == []
    assert [r.close_timestamp - r.signal.scheduled_at for r in results] == [120 * MIN] * 2


def test_scheduled_action_types() -> None:
    """e2e/scheduled/action-types: scheduled -> cancelled, then an invalid signal -> idle."""
    add_mock_exchange()
    calls = 0

    async def get_signal(symbol: str, when: Any) -> Signal:
        nonlocal calls
        calls += 1
        p = await resolve(get_average_price(symbol))
        if calls % 2:
            return Signal("long", p + 100, p - 10000, 120, price_open=p - 100)
        return Signal("long", p + 10000, p - 100, 120, price_open=p - 100)  # SL == priceOpen

    recorder = add_recorded_strategy("actions", get_signal)
    add_day_frame("6d", days=5)
    seen = watch()
    run_backtest(SYMBOL, "actions", "mock", "6d")
    actions = seen.actions()
    assert "scheduled" in actions
    assert {"opened", "closed", "cancelled"} & set(actions)
    assert set(actions) == {"scheduled", "cancelled", "idle"}
    assert actions == ["scheduled", "cancelled", "idle", "scheduled", "cancelled", "idle"]
    assert len(recorder.cancel) == 2
    assert len(seen.errors) == 2 and all("Invalid signal" in str(e) for e in seen.errors)
