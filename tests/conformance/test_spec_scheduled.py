"""SCENARIOS A.7 spec/scheduled: scheduled signals, their timeout and activation, through the
Schedule facade (SPEC 9.3) and, for the engine part, the results, callbacks and signal stream.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from backtestkit.actors import (
    Cancelled,
    Closed,
    Schedule,
    Signal,
    add_exchange,
    add_strategy,
    get_average_price,
)
from backtestkit.actors.market import Candle
from backtestkit.actors.reports import ScheduleStatistics
from backtestkit.bus import TickResult, listen_signal_backtest

from .harness import (
    P_STAR,
    T0,
    ArrayCandles,
    add_day_frame,
    add_minute_frame,
    add_mock_exchange,
    minutes,
)
from .spec_support import SYMBOL, collect_run, mock_vwap, run_background, spec_pnl

pytestmark = pytest.mark.anyio


def _first_call_only(signal: Signal) -> Any:
    calls: list[datetime] = []

    def get_signal(symbol: str, when: datetime) -> Signal | None:
        calls.append(when)
        return signal if len(calls) == 1 else None

    return get_signal


def _assert_one_timeout(
    stats: ScheduleStatistics, price_open: float, scheduled_price: float
) -> None:
    """SPEC 9.3 for one scheduled signal cancelled by the 120-min timeout (rows newest first)."""
    assert isinstance(stats.total_events, int) and isinstance(stats.event_list, tuple)
    assert (stats.total_events, stats.total_scheduled, stats.total_opened) == (2, 1, 0)
    assert stats.total_cancelled == 1
    assert stats.cancellation_rate == 100.0  # 1 / 1 * 100
    assert stats.activation_rate == 0.0  # 0 / 1 * 100
    assert stats.avg_wait_time == 120.0
    assert stats.avg_activation_time is None
    cancelled, scheduled = stats.event_list
    assert (scheduled.action, scheduled.timestamp, scheduled.duration) == ("scheduled", T0, None)
    assert scheduled.current_price == scheduled_price and scheduled.price_open == price_open
    assert (cancelled.action, cancelled.timestamp) == ("cancelled", T0 + minutes(120))
    assert cancelled.close_timestamp == T0 + minutes(120) and cancelled.duration == 120
    assert cancelled.current_price == mock_vwap(120, 124)
    assert cancelled.signal_id == scheduled.signal_id
    assert {row.symbol for row in stats.event_list} == {SYMBOL}


def _assert_cancelled_by_timeout(results: list[TickResult]) -> None:
    """The only result: cancelled on the ff candle k=124 stamped T0+120 min, at VWAP(k=120..124)."""
    assert len(results) == 1
    cancelled = results[0]
    assert isinstance(cancelled, Cancelled)
    assert cancelled.signal.scheduled_at == T0
    assert cancelled.close_timestamp == T0 + minutes(120)
    assert cancelled.close_timestamp - cancelled.signal.scheduled_at == minutes(120)  # wait 120
    assert cancelled.current_price == mock_vwap(120, 124)
    assert cancelled.current_price == pytest.approx(54445.1818, abs=5e-5)


async def test_getdata_structure() -> None:
    """spec/scheduled/getdata-structure"""
    source = add_mock_exchange()
    add_day_frame()
    signal = Signal("long", P_STAR + 1000, P_STAR - 10000, 120, price_open=P_STAR - 100)
    add_strategy("sched", interval="1m", get_signal=_first_call_only(signal))
    results = await collect_run(strategy="sched")
    # computed: P* > priceOpen => scheduled at T0; the ff asks 4 + 120 + 120 + 1 = 245 candles;
    # MOCK lows (>= 42500 from k=4) never reach 42360.33 => cancelled by the 120-min timeout
    assert (SYMBOL, "1m", T0 - minutes(4), 245) in source.calls
    _assert_cancelled_by_timeout(results)
    assert results[0].signal.price_open == P_STAR - 100
    assert results[0].signal.is_scheduled is True
    _assert_one_timeout(Schedule.get_data(SYMBOL, "sched"), P_STAR - 100, P_STAR)


async def test_cancellation_rate() -> None:
    """spec/scheduled/cancellation-rate"""
    source = add_mock_exchange()
    add_day_frame()
    cancelled_calls: list[tuple[Any, ...]] = []
    add_strategy(
        "far",
        interval="1m",
        get_signal=_first_call_only(Signal("long", 11000, 5000, 60, price_open=10000)),
        callbacks={"on_cancel": lambda *args: cancelled_calls.append(args)},
    )
    results = await collect_run(strategy="far")
    # computed: 1 scheduled, 1 cancelled after 120 min (cancellation rate 100, wait 120)
    assert (SYMBOL, "1m", T0 - minutes(4), 4 + 120 + 60 + 1) in source.calls
    _assert_cancelled_by_timeout(results)
    assert len(cancelled_calls) == 1
    symbol, row, price, backtest = cancelled_calls[0]
    assert (symbol, row.price_open, price, backtest) == (SYMBOL, 10000, mock_vwap(120, 124), True)
    stats = Schedule.get_data(SYMBOL, "far")
    assert isinstance(stats.cancellation_rate, float) and isinstance(stats.avg_wait_time, float)
    _assert_one_timeout(stats, 10000, P_STAR)


async def test_empty_nulls() -> None:
    """spec/scheduled/empty-nulls"""
    add_mock_exchange()
    add_day_frame()
    add_strategy("never", interval="1m", get_signal=lambda symbol, when: None)
    assert await collect_run(strategy="never") == []
    stats = Schedule.get_data(SYMBOL, "never")
    assert stats.total_scheduled == 0 and stats.total_cancelled == 0
    assert stats.cancellation_rate is None and stats.avg_wait_time is None
    assert (stats.total_events, stats.total_opened, stats.event_list) == (0, 0, ())
    assert stats.activation_rate is None and stats.avg_activation_time is None


def _flat(ts: int, o: float, h: float, low: float, c: float) -> Candle:
    return Candle(ts, o, h, low, c, 100)


async def test_lifecycle() -> None:
    """spec/scheduled/lifecycle"""
    start = T0 - minutes(4)
    source = ArrayCandles([_flat(start + minutes(i), 42000, 42100, 41900, 42000) for i in range(5)])
    add_minute_frame("1m-day", T0, T0 + minutes(1440))  # 2024-01-01 -> 2024-01-02
    add_exchange("array", candles=source)

    def rebuild() -> None:
        rows = [_flat(start + minutes(i), 42000, 42100, 41900, 42000) for i in range(4)]
        for m in range(1440):
            ts = T0 + minutes(m)
            if m < 10:
                rows.append(_flat(ts, 42200, 42300, 42100, 42200))
            elif m < 20:
                rows.append(_flat(ts, 41800, 42100, 41800, 41900))
            else:
                rows.append(_flat(ts, 42500, 42600, 42400, 42500))
        source.rows = rows

    prices: list[float] = []
    calls: list[datetime] = []

    def get_signal(symbol: str, when: datetime) -> Signal | None:
        calls.append(when)
        if len(calls) > 1:
            return None
        rebuild()
        price: Any = get_average_price(symbol)
        prices.append(price)
        return Signal("long", price + 1000, price - 10000, 120, price_open=price - 100)

    scheduled: list[tuple[Any, ...]] = []
    opened: list[tuple[Any, ...]] = []
    at_open: list[ScheduleStatistics] = []

    def on_open(*args: Any) -> None:
        opened.append(args)
        at_open.append(Schedule.get_data(SYMBOL, "life"))

    add_strategy(
        "life",
        interval="1m",
        get_signal=get_signal,
        callbacks={"on_schedule": lambda *args: scheduled.append(args), "on_open": on_open},
    )
    actions: list[TickResult] = []
    listen_signal_backtest(lambda r: actions.append(r) if r.action != "idle" else None)
    results: list[TickResult] = []
    listen_signal_backtest(lambda r: results.append(r) if isinstance(r, Closed) else None)
    await run_background(strategy="life", exchange="array", frame="1m-day")

    # asserted at on_open: Schedule.get_data totalScheduled 1, on_schedule called once, the
    # newest row is "scheduled"
    [stats] = at_open
    assert stats.total_scheduled == 1
    assert len(scheduled) == 1
    assert stats.event_list and stats.event_list[0].action == "scheduled"
    # computed: the fast-forward activation yields no `opened` row (Q17)
    assert [row.action for row in stats.event_list] == ["scheduled"]
    assert stats.event_list[0].price_open == 41940 and stats.event_list[0].current_price == 42040
    assert Schedule.get_data(SYMBOL, "life").total_opened == 0
    assert prices == [42040.0]  # computed: four 42000 typicals and one 42200
    symbol, row, price, backtest = scheduled[0]
    assert (symbol, backtest) == (SYMBOL, True)
    assert (row.price_open, row.price_take_profit, row.price_stop_loss) == (41940, 43040, 32040)
    assert row.scheduled_at == row.pending_at == T0
    assert row.is_scheduled is True
    assert price == 42040.0  # SPEC 3.2 step 3: the VWAP fetched again after get_signal
    # computed: ff activation on the candle T0+10m (low 41800 <= 41940, SL untouched)
    assert len(opened) == 1
    symbol, row, price, backtest = opened[0]
    assert (symbol, price, backtest) == (SYMBOL, 41940, True)
    assert row.pending_at == T0 + minutes(10)
    assert row.scheduled_at == T0
    assert row.is_scheduled is False
    # computed: the fast-forward activation is silent (no `opened` event, Q17)
    assert [r.action for r in actions] == ["scheduled", "closed"]
    assert actions[0].current_price == 42040.0
    # computed: first check at T0+15m (Q2), expiry at pendingAt + 120 min at price 42500
    assert len(results) == 1
    closed = results[0]
    assert isinstance(closed, Closed)
    assert closed.close_reason == "time_expired"
    assert closed.close_timestamp == T0 + minutes(130)
    assert closed.current_price == 42500
    assert closed.signal.pending_at == T0 + minutes(10)
    assert closed.pnl.pnl_percentage == spec_pnl("long", 41940, 42500)
    assert closed.pnl.pnl_percentage == pytest.approx(0.932773, abs=5e-7)
