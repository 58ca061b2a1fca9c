"""SCENARIOS B.5 e2e/timing: signal lifetimes count from pendingAt; stamps on the rows.

e2e/timing/restored-pending-remaining (live restore) is pending: see PENDING_E2E.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backtestkit.actors import Signal, get_average_price

from .e2e_sources import (
    BUFFER_START,
    MIN,
    SliceCandles,
    add_recorded_strategy,
    add_source_exchange,
    average_price_signal,
    band,
    resolve,
    rows_from,
    run_backtest,
    spec_pnl,
    spec_vwap,
    watch,
)
from .harness import P_STAR, T0, MockCandles, add_minute_frame, add_mock_exchange

SYMBOL = "BTCUSDT"
BUFFER = band(42000)  # o/c 42000, h 42100, l 41900: typical 42000


def buffered(series: list[Any]) -> list[Any]:
    """4 buffer candles (T0-4m .. T0-1m) followed by `series` from T0."""
    return rows_from(BUFFER_START, [BUFFER] * 4 + series)


def test_timing_lifetime_from_pending() -> None:
    """e2e/timing/lifetime-from-pending: mET 1440 counts from the activation (pendingAt)."""
    source = SliceCandles(BUFFER_START, rows_from(BUFFER_START, [BUFFER] * 5))
    rebuilt = buffered([(41800, 42200, 41800, 42000, 100)] * 7200)
    prices: list[float] = []

    async def get_signal(symbol: str, when: Any) -> Signal:
        if len(source.rows) == 5:
            source.rows = rebuilt
        p = await resolve(get_average_price(symbol))
        prices.append(p)
        return Signal("long", p * 1000, p / 1000, 1440, price_open=p - 150)

    add_source_exchange("slice", source)
    add_minute_frame("4d", T0, int(datetime(2024, 1, 5, tzinfo=UTC).timestamp() * 1000))
    recorder = add_recorded_strategy("lifetime", get_signal)
    results = run_backtest(SYMBOL, "lifetime", "slice", "4d")
    assert prices == [42000] * 4
    starts = [T0, T0 + 1441 * MIN, T0 + 2882 * MIN, T0 + 4323 * MIN]
    assert [row.scheduled_at for _, row, _, _ in recorder.schedule] == starts
    assert [row.pending_at for _, row, _, _ in recorder.open] == starts  # activated at once
    assert [r.action for r in results] == ["closed"] * 4
    for start, closed in zip(starts, results, strict=True):
        assert closed.close_reason == "time_expired"
        assert closed.close_timestamp - closed.signal.pending_at == 1440 * MIN
        assert closed.close_timestamp == start + 1440 * MIN
        assert closed.current_price == 42000
        assert closed.pnl.pnl_percentage == spec_pnl("long", 41850, 42000)
        assert round(closed.pnl.pnl_percentage, 6) == -0.042093


def test_timing_immediate_equal_stamps() -> None:
    """e2e/timing/immediate-equal-stamps: an immediate signal has scheduledAt == pendingAt."""
    add_mock_exchange()

    async def get_signal(symbol: str, when: Any) -> Signal:
        p = await resolve(get_average_price(symbol))
        return Signal("long", p + 1000, p - 1000, 30)

    recorder = add_recorded_strategy("immediate", get_signal)
    add_minute_frame("60m", T0, T0 + 60 * MIN)
    run_backtest(SYMBOL, "immediate", "mock", "60m")
    assert recorder.schedule == []
    _, first, price, _ = recorder.open[0]
    assert first.scheduled_at == first.pending_at == T0
    assert price == first.price_open == P_STAR
    # STD-LONG-like: TP at open + 7 min, the next tick one minute later opens the next one
    opens = [row.pending_at for _, row, _, _ in recorder.open]
    assert opens == [T0 + k * 8 * MIN for k in range(8)]
    assert all(row.scheduled_at == row.pending_at for _, row, _, _ in recorder.open)


def test_timing_fields_present() -> None:
    """e2e/timing/fields-present: scheduled and opened rows both carry scheduledAt/pendingAt."""
    source = SliceCandles(BUFFER_START, rows_from(BUFFER_START, [BUFFER] * 5))
    candle = (41800, 42200, 41750, 42000, 100)
    rebuilt = buffered([candle] * 3000)
    prices: list[float] = []

    async def get_signal(symbol: str, when: Any) -> Signal:
        if len(source.rows) == 5:
            source.rows = rebuilt
        p = await resolve(get_average_price(symbol))
        prices.append(p)
        return Signal("long", p + 10000, p - 10000, 1440, price_open=p - 200)

    add_source_exchange("slice", source)
    add_minute_frame("2d", T0, int(datetime(2024, 1, 3, tzinfo=UTC).timestamp() * 1000))
    recorder = add_recorded_strategy("fields", get_signal)
    watch()
    run_backtest(SYMBOL, "fields", "slice", "2d")
    p = spec_vwap([BUFFER] * 4 + [candle])
    assert prices[0] == p
    assert round(p, 4) == 41996.6667
    _, scheduled_row, _, _ = recorder.schedule[0]
    _, opened_row, _, _ = recorder.open[0]
    for row in (scheduled_row, opened_row):
        assert isinstance(row.scheduled_at, int) and isinstance(row.pending_at, int)
    assert scheduled_row.price_open == p - 200
    assert scheduled_row.scheduled_at == scheduled_row.pending_at == T0
    # activation on the ff candle stamped T0 (low 41750 <= 41796.67)
    assert opened_row.scheduled_at == T0 and opened_row.pending_at == T0


def test_timing_scheduled_timeout_120() -> None:
    """e2e/timing/scheduled-timeout-120: cancelled exactly 120 min after scheduledAt."""
    add_mock_exchange()

    first_only = average_price_signal(
        lambda p: Signal("long", p - 4000, p - 6000, 60, price_open=p - 5000), n=1
    )
    recorder = add_recorded_strategy("timeout", first_only)
    add_minute_frame("3h", T0, T0 + 180 * MIN)
    results = run_backtest(SYMBOL, "timeout", "mock", "3h")
    [cancelled] = results
    assert cancelled.action == "cancelled"
    assert cancelled.close_timestamp - cancelled.signal.scheduled_at == 120 * MIN
    assert len(recorder.cancel) == 1 and recorder.open == []
    # the ff candle stamped T0+120m is k = 124: its price is the VWAP of candles k = 120..124
    rows = MockCandles().fetch(SYMBOL, "1m", 0, 125)
    assert cancelled.current_price == spec_vwap(rows[120:125])
