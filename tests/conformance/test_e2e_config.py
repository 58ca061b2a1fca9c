"""SCENARIOS B.1 e2e/config: config set before a run is the one the run uses."""

from __future__ import annotations

from typing import Any

import pytest

from backtestkit.actors import Signal, get_average_price, get_config, set_config

from .e2e_sources import (
    MIN,
    add_recorded_strategy,
    resolve,
    run_backtest,
    spec_pnl,
    spec_vwap,
)
from .harness import DAY_MS, T0, MockCandles, add_day_frame, add_mock_exchange

SYMBOL = "BTCUSDT"


def mock_vwap(first: int, last: int) -> float:
    """VWAP of MOCK candles k = first..last of one request (prices depend on k only)."""
    rows = MockCandles().fetch(SYMBOL, "1m", 0, last + 1)
    return spec_vwap(rows[first : last + 1])


def test_config_schedule_await() -> None:
    """e2e/config/schedule-await: with CC_SCHEDULE_AWAIT_MINUTES 1 the scheduled signal is
    cancelled by timeout on the ff candle stamped one minute after it was scheduled."""
    set_config(unsafe=True, CC_SCHEDULE_AWAIT_MINUTES=1)
    add_mock_exchange()

    async def get_signal(symbol: str, when: Any) -> Signal:
        p = await resolve(get_average_price(symbol))
        return Signal("long", p + 45000, p - 30000, 60, price_open=p - 15000)

    recorder = add_recorded_strategy("await-1", get_signal)
    add_day_frame("3d", days=2)  # Jan 1, Jan 2, Jan 3
    results = run_backtest(SYMBOL, "await-1", "mock", "3d")
    assert len(recorder.cancel) == 2  # asserted: onCancel called
    assert recorder.open == []
    assert [r.action for r in results] == ["cancelled", "cancelled"]
    assert [r.close_timestamp for r in results] == [T0 + MIN, T0 + 2 * DAY_MS + MIN]
    # cancelled at candle k = 5 of the ff request: price = VWAP of candles k = 1..5
    assert [r.current_price for r in results] == [mock_vwap(1, 5)] * 2
    assert [r.signal.scheduled_at for r in results] == [T0, T0 + 2 * DAY_MS]


def test_config_partial_update() -> None:
    """e2e/config/partial-update: a second set_config keeps the first one's other keys; the
    8-candle VWAP is the entry price; TP on ff candle k = 13 (open + 6 min)."""
    set_config(unsafe=True, CC_SCHEDULE_AWAIT_MINUTES=90, CC_AVG_PRICE_CANDLES_COUNT=7)
    set_config(unsafe=True, CC_AVG_PRICE_CANDLES_COUNT=8)
    assert get_config().CC_SCHEDULE_AWAIT_MINUTES == 90
    assert get_config().CC_AVG_PRICE_CANDLES_COUNT == 8
    add_mock_exchange()
    p8 = mock_vwap(0, 7)
    assert round(p8, 4) == 42632.5556

    async def get_signal(symbol: str, when: Any) -> Signal:
        p = await resolve(get_average_price(symbol))
        return Signal("long", p + 1000, p - 1000, 60)

    recorder = add_recorded_strategy("partial-update", get_signal)
    add_day_frame()
    results = run_backtest(SYMBOL, "partial-update", "mock", "1d")
    assert len(recorder.open) == 1  # asserted: onOpen called
    assert recorder.open[0][2] == p8
    [closed] = results
    assert closed.close_reason == "take_profit"
    assert closed.current_price == p8 + 1000
    assert closed.close_timestamp == T0 + 6 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", p8, p8 + 1000)


def test_config_before_run() -> None:
    """e2e/config/before-run: CC_AVG_PRICE_CANDLES_COUNT 6 set before the run is used by
    get_average_price inside get_signal (42517.0)."""
    set_config(unsafe=True, CC_SCHEDULE_AWAIT_MINUTES=120, CC_AVG_PRICE_CANDLES_COUNT=5)
    set_config(unsafe=True, CC_AVG_PRICE_CANDLES_COUNT=6)
    add_mock_exchange()
    seen: list[float] = []

    async def get_signal(symbol: str, when: Any) -> Signal:
        p = await resolve(get_average_price(symbol))
        seen.append(p)
        return Signal("long", p + 1000, p - 1000, 60)

    add_recorded_strategy("before-run", get_signal)
    add_day_frame()
    results = run_backtest(SYMBOL, "before-run", "mock", "1d")
    p6 = mock_vwap(0, 5)
    assert p6 == pytest.approx(42517.0)
    assert seen == [p6]  # asserted: the flag (price > 0) was set
    [closed] = results
    # buf = 5: candle k is stamped open + (k - 5) min; high 42380.2 + 100k >= 43517 at k = 12
    assert closed.close_reason == "take_profit"
    assert closed.close_timestamp == T0 + 7 * MIN
