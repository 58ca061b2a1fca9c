"""SCENARIOS B.11 e2e/partial and e2e/levels: partial profit/loss callbacks and level events.

Expected callbacks and level events are derived here from SPEC 1.6 / 6.4: every evaluated
fast-forward candle (from T0+5m after an activation at T0, Q2; from T0 for an immediate open)
reports the progress of the 5-candle VWAP ending at it; a level event fires once per newly
reached multiple of 10. e2e/partial/getdata, getreport and getdata-unknown read the Partial
report facade (SPEC 9.6), which is opt-in: those ports call `Partial.enable()` before the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from backtestkit.actors import Partial, Signal, add_strategy
from backtestkit.bus import (
    PartialEvent,
    listen_partial_loss,
    listen_partial_loss_once,
    listen_partial_profit,
    listen_partial_profit_once,
)

from .e2e_sources import (
    BUFFER_START,
    MIN,
    Ohlcv,
    Recorder,
    SliceCandles,
    add_recorded_strategy,
    add_source_exchange,
    first_calls,
    rows_from,
    run_backtest,
    spec_pnl,
    spec_progress,
    spec_vwap,
    watch,
)
from .harness import T0, add_minute_frame
from .spec_support import to_fixed

NO_CANDLES = "no candles data"


def at(price: float, delta: float) -> Ohlcv:
    return (price, price + delta, price - delta, price, 100)


@dataclass
class Partials:
    """What SPEC 1.6 predicts for one signal over the evaluated minutes."""

    calls: list[tuple[int, float, float]]  # (minute, price, percent) of the reported side
    other_side: int  # callbacks of the other side
    levels: list[tuple[int, int, float]]  # (minute, level, price) of the reported side


def expected_partials(rows: list[Any], minutes: range, signal: Signal, profit: bool) -> Partials:
    """rows are indexed from T0-4m (minute m is rows[m + 4]); window of minute m = m-4 .. m."""
    calls: list[tuple[int, float, float]] = []
    levels: list[tuple[int, int, float]] = []
    other = 0
    reached: set[int] = set()
    assert signal.price_open is not None
    for minute in minutes:
        price = spec_vwap(rows[minute : minute + 5])
        percent_tp, percent_sl = spec_progress(
            signal.position, signal.price_open, signal.price_take_profit,
            signal.price_stop_loss, price,
        )  # fmt: skip
        percent = percent_tp if profit else percent_sl
        if (percent_sl if profit else percent_tp) > 0:
            other += 1
        if percent > 0:
            calls.append((minute, price, percent))
            for level in range(10, 101, 10):
                if level <= percent and level not in reached:
                    reached.add(level)
                    levels.append((minute, level, price))
    return Partials(calls, other, levels)


@dataclass
class Run:
    recorder: Recorder
    results: list[Any]
    rows: list[Any]
    errors: list[BaseException]
    profit_events: list[PartialEvent]
    loss_events: list[PartialEvent]


def run_partial(
    base: float,
    series: list[Ohlcv],
    signal: Signal,
    *,
    frame_minutes: int,
    buffer_high: float = 50,
    symbol: str = "BTCUSDT",
    callbacks: bool = True,
    listeners: bool = True,
) -> Run:
    """B.11 'partial-buffer exchange': 5 candles from T0-4m (o/c B, h B+100, l B-50); the
    first get_signal call rebuilds 4 buffer candles (h B+buffer_high) + the series from T0."""
    initial = rows_from(BUFFER_START, [(base, base + 100, base - 50, base, 100)] * 5)
    rebuilt = rows_from(
        BUFFER_START, [(base, base + buffer_high, base - 50, base, 100)] * 4 + series
    )
    source = SliceCandles(BUFFER_START, initial)

    def make(n: int, s: str) -> Signal:
        source.rows = rebuilt
        return signal

    add_source_exchange("partial-buffer", source)
    add_minute_frame("frame", T0, T0 + frame_minutes * MIN)
    recorder = add_recorded_strategy("partial", first_calls(make, 1), partial=callbacks)
    profit: list[PartialEvent] = []
    loss: list[PartialEvent] = []
    if listeners:
        listen_partial_profit(profit.append)
        listen_partial_loss(loss.append)
    seen = watch()
    results = run_backtest(symbol, "partial", "partial-buffer", "frame")
    return Run(recorder, results, rebuilt, seen.errors, profit, loss)


def ramp50(rising: bool) -> list[Ohlcv]:
    """Ramp-50 (B = 95000): minutes 0-4 at B, 5-19 at B +/- 50(m-4), 20-24 at B +/- 1000."""
    sign = 1 if rising else -1
    return (
        [at(95000, 50)] * 5
        + [at(95000 + sign * 50 * (m - 4), 50) for m in range(5, 20)]
        + [at(95000 + sign * 1000, 50)] * 5
    )


RAMP50_PERCENTS = [1, 3, 6, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65]


def assert_scheduled_at_t0(run: Run) -> None:
    """B.11 intro: P at the first tick is B+16.667 (old array) > priceOpen B: the long is
    scheduled at T0 and activated on the ff candle stamped T0 (pendingAt T0)."""
    assert [row.scheduled_at for _, row, _, _ in run.recorder.schedule] == [T0]
    assert [row.pending_at for _, row, _, _ in run.recorder.open] == [T0]


def check_callbacks(run: Run, expected: Partials, profit: bool, backtest_flag: bool = True) -> None:
    calls = run.recorder.partial_profit if profit else run.recorder.partial_loss
    others = run.recorder.partial_loss if profit else run.recorder.partial_profit
    assert len(calls) >= 5
    assert others == []
    percents = [percent for _, _, _, percent, _ in calls]
    assert all(0 <= p <= 100 for p in percents)
    assert all(a < b for a, b in pairwise(percents))
    if backtest_flag:
        assert all(flag is True for *_, flag in calls)
    assert [(price, percent) for _, _, price, percent, _ in calls] == [
        (price, percent) for _, price, percent in expected.calls
    ]
    assert expected.other_side == 0


def test_partial_long_profit() -> None:
    """e2e/partial/long-profit: rising ramp; 15 onPartialProfit calls 1 .. 65 %, TP at T0+20m."""
    signal = Signal("long", 96000, 94000, 60, price_open=95000)
    run = run_partial(95000, ramp50(True), signal, frame_minutes=25)
    assert run.errors == []
    expected = expected_partials(run.rows, range(5, 20), signal, profit=True)
    assert [round(p) for _, _, p in expected.calls] == RAMP50_PERCENTS
    check_callbacks(run, expected, profit=True)
    assert [price for _, price, _ in expected.calls][:4] == [95010, 95030, 95060, 95100]
    assert run.recorder.open[0][1].pending_at == T0
    [closed] = run.results
    assert closed.close_reason == "take_profit"
    assert closed.close_timestamp == T0 + 20 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 95000, 96000)
    assert round(closed.pnl.pnl_percentage, 6) == 0.650728
    # level events (not asserted by the reference): 10 .. 60 at minutes 8, 10, .. 18
    assert [(e.level, e.timestamp) for e in run.profit_events] == [
        (10 * k, T0 + (6 + 2 * k) * MIN) for k in range(1, 7)
    ]
    assert run.loss_events == []
    assert_scheduled_at_t0(run)


def test_partial_long_loss() -> None:
    """e2e/partial/long-loss: falling ramp; 15 onPartialLoss calls, stop_loss at T0+20m."""
    signal = Signal("long", 96000, 94000, 60, price_open=95000)
    run = run_partial(95000, ramp50(False), signal, frame_minutes=25)
    assert run.errors == []
    expected = expected_partials(run.rows, range(5, 20), signal, profit=False)
    assert [round(p) for _, _, p in expected.calls] == RAMP50_PERCENTS
    assert expected.calls[0][1] == 94990 and expected.calls[-1][1] == 94350
    check_callbacks(run, expected, profit=False)
    [closed] = run.results
    assert closed.close_reason == "stop_loss"
    assert closed.current_price == 94000
    assert closed.close_timestamp == T0 + 20 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 95000, 94000)
    assert round(closed.pnl.pnl_percentage, 6) == -1.450329
    assert_scheduled_at_t0(run)


def test_partial_short_profit() -> None:
    """e2e/partial/short-profit: opened at once at T0; 15 profit calls; TP 94000 at T0+20m."""
    signal = Signal("short", 94000, 96000, 60, price_open=95000)
    run = run_partial(95000, ramp50(False), signal, frame_minutes=25)
    assert run.errors == []
    assert run.recorder.schedule == []  # P 95016.667 >= priceOpen: immediate
    assert run.recorder.open[0][1].pending_at == T0
    expected = expected_partials(run.rows, range(0, 20), signal, profit=True)
    assert [round(p) for _, _, p in expected.calls] == RAMP50_PERCENTS  # T0..T0+4m: distance 0
    check_callbacks(run, expected, profit=True)
    [closed] = run.results
    assert closed.close_reason == "take_profit"
    assert closed.current_price == 94000
    assert closed.close_timestamp == T0 + 20 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("short", 95000, 94000)
    assert round(closed.pnl.pnl_percentage, 6) == 0.654539


def test_partial_short_loss() -> None:
    """e2e/partial/short-loss: rising ramp; 15 loss calls; stop_loss 96000 at T0+20m."""
    signal = Signal("short", 94000, 96000, 60, price_open=95000)
    run = run_partial(95000, ramp50(True), signal, frame_minutes=25)
    assert run.errors == []
    assert run.recorder.schedule == []
    expected = expected_partials(run.rows, range(0, 20), signal, profit=False)
    assert [round(p) for _, _, p in expected.calls] == RAMP50_PERCENTS
    check_callbacks(run, expected, profit=False, backtest_flag=False)
    [closed] = run.results
    assert closed.close_reason == "stop_loss"
    assert closed.current_price == 96000
    assert closed.close_timestamp == T0 + 20 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("short", 95000, 96000)
    assert round(closed.pnl.pnl_percentage, 6) == -1.454939


def ramp1000(rising: bool) -> list[Ohlcv]:
    sign = 1 if rising else -1
    return (
        [at(95000, 50)] * 5
        + [at(95000 + sign * 1000 * (m - 4), 100) for m in range(5, 20)]
        + [at(95000 + sign * 20000, 100)] * 5
    )


def partial_rows(expected: Partials, signal_id: str, action: str, symbol: str) -> list[Any]:
    """The Partial storage rows SPEC 9.6 predicts, newest first."""
    return [
        (T0 + minute * MIN, action, symbol, "partial", signal_id, "long", price, level, True)
        for minute, level, price in reversed(expected.levels)
    ]


def row_fields(row: Any) -> tuple[Any, ...]:
    return (
        row.timestamp,
        row.action,
        row.symbol,
        row.strategy_name,
        row.signal_id,
        row.position,
        row.current_price,
        row.level,
        row.backtest,
    )


def test_partial_getdata() -> None:
    """e2e/partial/getdata: 6 profit level events 10 .. 60, no loss event, read back through
    Partial.get_data; TP 115000 at T0+20m."""
    signal = Signal("long", 115000, 75000, 60, price_open=95000)
    Partial.enable()
    run = run_partial(95000, ramp1000(True), signal, frame_minutes=25, callbacks=False)
    data = Partial.get_data("BTCUSDT", "partial")
    assert isinstance(data.total_events, int) and isinstance(data.event_list, tuple)
    assert data.total_profit > 0 and data.total_loss == 0
    assert (data.total_events, data.total_profit) == (6, 6)  # computed
    assert run.errors == []
    expected = expected_partials(run.rows, range(5, 20), signal, profit=True)
    assert [round(p) for _, _, p in expected.calls] == RAMP50_PERCENTS
    assert len(run.profit_events) > 0 and run.loss_events == []  # totalProfit > 0, totalLoss 0
    assert [(e.level, e.timestamp, e.current_price) for e in run.profit_events] == [
        (level, T0 + minute * MIN, price) for minute, level, price in expected.levels
    ]
    assert [e.level for e in run.profit_events] == [10, 20, 30, 40, 50, 60]
    assert [e.timestamp for e in run.profit_events] == [
        T0 + m * MIN for m in (8, 10, 12, 14, 16, 18)
    ]
    signal_id = run.recorder.open[0][1].id
    assert [row_fields(row) for row in data.event_list] == partial_rows(
        expected, signal_id, "profit", "BTCUSDT"
    )
    [closed] = run.results
    assert closed.close_reason == "take_profit"
    assert closed.close_timestamp == T0 + 20 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 95000, 115000)
    assert round(closed.pnl.pnl_percentage, 6) == 20.610768
    assert_scheduled_at_t0(run)


def test_partial_getreport() -> None:
    """e2e/partial/getreport: ETHUSDT falling: 6 loss level events, rendered by
    Partial.get_report; stop_loss 75000 at T0+20m."""
    signal = Signal("long", 115000, 75000, 60, price_open=95000)
    Partial.enable()
    run = run_partial(
        95000, ramp1000(False), signal, frame_minutes=25, callbacks=False, symbol="ETHUSDT"
    )
    assert run.errors == []
    expected = expected_partials(run.rows, range(5, 20), signal, profit=False)
    assert run.profit_events == []
    assert [(e.level, e.timestamp, e.current_price) for e in run.loss_events] == [
        (level, T0 + minute * MIN, price) for minute, level, price in expected.levels
    ]
    assert [e.level for e in run.loss_events] == [10, 20, 30, 40, 50, 60]
    assert all(e.symbol == "ETHUSDT" and e.backtest for e in run.loss_events)
    report = Partial.get_report("ETHUSDT", "partial")
    assert "# Partial Profit/Loss Report: ETHUSDT:partial" in report
    for header in (
        "| Action |",
        "| Symbol |",
        "| Level % |",
        "| Current Price |",
        "| Timestamp |",
        "| Mode |",
    ):
        assert header in report
    signal_id = run.recorder.open[0][1].id
    rows = [
        f"| LOSS | ETHUSDT | partial | {signal_id} | LONG | -{level}% | {to_fixed(price, 8)} USD"
        f" | {iso(T0 + minute * MIN)} | Backtest |"
        for minute, level, price in reversed(expected.levels)
    ]
    assert report.split("\n") == [
        "# Partial Profit/Loss Report: ETHUSDT:partial",
        "",
        "| Action | Symbol | Strategy | Signal ID | Position | Level % | Current Price"
        " | Timestamp | Mode |",
        "| --- |" + " --- |" * 8,
        *rows,
        "",
        "**Total events:** 6",
        "**Profit events:** 0",
        "**Loss events:** 6",
    ]
    [closed] = run.results
    assert closed.close_reason == "stop_loss"
    assert closed.close_timestamp == T0 + 20 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 95000, 75000)
    assert round(closed.pnl.pnl_percentage, 6) == -21.410369
    assert_scheduled_at_t0(run)


def iso(ms: int) -> str:
    """JS toISOString (SPEC 10.1) for whole-second stamps."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_partial_getdata_unknown() -> None:
    """e2e/partial/getdata-unknown: nothing recorded for that symbol: zeros and no rows."""
    add_strategy("nonexistent-strategy", interval="1m", get_signal=lambda symbol, when: None)
    Partial.enable()
    data = Partial.get_data("NONEXISTENT_SYMBOL_12345", "nonexistent-strategy")
    assert (data.total_events, data.total_profit, data.total_loss) == (0, 0, 0)
    assert data.event_list == ()


RAMP_TO_TP = Signal("long", 100500, 98500, 60, price_open=99500)


def ramp_to_tp() -> list[Ohlcv]:
    """Ramp-to-TP: 0-4 at 99500, 5-24 at 99500 + 1000(j+1)/20, 25-27 at 100500 (delta 10)."""
    return (
        [at(99500, 10)] * 5
        + [at(99500 + 1000 * (j + 1) / 20, 10) for j in range(20)]
        + [at(100500, 10)] * 3
    )


def run_ramp_to_tp(**kwargs: Any) -> Run:
    return run_partial(
        100000, ramp_to_tp(), RAMP_TO_TP, frame_minutes=60, buffer_high=100, **kwargs
    )


def test_partial_progress_monotonic() -> None:
    """e2e/partial/progress-monotonic: 19 profit calls, strictly increasing, max 85 %."""
    run = run_ramp_to_tp(listeners=False)
    assert [e for e in run.errors if NO_CANDLES not in str(e)] == []
    calls = run.recorder.partial_profit
    assert run.recorder.partial_loss == []
    assert len(calls) >= 3
    percents = [c[3] for c in calls]
    assert all(0 <= p <= 100 for p in percents)
    assert all(a < b for a, b in pairwise(percents))
    assert max(percents) >= 50
    expected = expected_partials(run.rows, range(5, 24), RAMP_TO_TP, profit=True)
    assert percents == [p for _, _, p in expected.calls]
    assert len(percents) == 19 and round(max(percents), 9) == 85
    [closed] = run.results
    assert closed.close_reason == "take_profit"
    assert closed.close_timestamp == T0 + 24 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 99500, 100500)
    assert round(closed.pnl.pnl_percentage, 6) == 0.603217
    assert_scheduled_at_t0(run)


def test_partial_listeners() -> None:
    """e2e/partial/listeners: 8 profit level events 10 .. 80, one signal id, backtest True."""
    run = run_ramp_to_tp(callbacks=False)
    assert [e for e in run.errors if NO_CANDLES not in str(e)] == []
    events = run.profit_events
    assert run.loss_events == []
    assert len(events) >= 3
    assert all(e.backtest is True and e.symbol == "BTCUSDT" for e in events)
    assert all(isinstance(e.level, int) for e in events)
    levels = [e.level for e in events]
    assert all(a < b for a, b in pairwise(levels))
    assert levels == [10, 20, 30, 40, 50, 60, 70, 80]
    assert len({e.data.id for e in events}) == 1
    assert [e.timestamp for e in events] == [T0 + m * MIN for m in range(8, 23, 2)]
    expected = expected_partials(run.rows, range(5, 24), RAMP_TO_TP, profit=True)
    assert [e.current_price for e in events] == [price for _, _, price in expected.levels]
    assert events[0].current_price == 99600
    assert_scheduled_at_t0(run)


def test_partial_dedupe() -> None:
    """e2e/partial/dedupe: a dip below 20 % after 16.8 % does not re-emit level 10."""

    def p(x: float) -> Ohlcv:
        return at(99500 + 1000 * x, 10)

    series = (
        [p(0)] * 5
        + [p(x) for x in (0.05, 0.10, 0.15, 0.20, 0.25)]
        + [p(0.12)] * 3
        + [p(x) for x in (0.17, 0.22, 0.27, 0.32, 0.37)]
        + [p(0.37 + 0.07875 * (i + 1)) for i in range(8)]
        + [p(1.0)] * 3
    )
    run = run_partial(
        100000, series, RAMP_TO_TP, frame_minutes=60, buffer_high=100, callbacks=False
    )
    assert [e for e in run.errors if NO_CANDLES not in str(e)] == []
    events = run.profit_events
    assert run.loss_events == []
    assert len(events) >= 3
    levels = [e.level for e in events]
    assert len(set(levels)) == len(levels)
    expected = expected_partials(run.rows, range(5, 25), RAMP_TO_TP, profit=True)
    assert [round(percent, 6) for _, _, percent in expected.calls] == [
        1, 3, 6, 10, 15, 16.4, 16.8, 16.2, 15.6, 15.0, 18, 22, 27, 32.575, 38.725,
        45.45, 52.75, 60.625, 68.5, 76.375,
    ]  # fmt: skip
    assert [(e.level, e.timestamp) for e in events] == [
        (10, T0 + 8 * MIN), (20, T0 + 16 * MIN), (30, T0 + 18 * MIN), (40, T0 + 20 * MIN),
        (50, T0 + 21 * MIN), (60, T0 + 22 * MIN), (70, T0 + 24 * MIN),
    ]  # fmt: skip
    [closed] = run.results
    assert closed.close_reason == "take_profit"
    assert closed.close_timestamp == T0 + 25 * MIN
    assert_scheduled_at_t0(run)


def levels_series(*plateaus: tuple[int, int, float]) -> list[Ohlcv]:
    """Levels tests: minutes 0-4 at 100000, then (first, last, price) plateaus, delta 100."""
    out = [at(100000, 100)] * 5
    for first, last, price in plateaus:
        out += [at(price, 100)] * (last - first + 1)
    return out


LEVELS_SIGNAL = Signal("long", 160000, 50000, 120, price_open=100000)


def run_levels(*plateaus: tuple[int, int, float], frame_minutes: int) -> Run:
    return run_partial(
        100000, levels_series(*plateaus), LEVELS_SIGNAL, frame_minutes=frame_minutes,
        callbacks=False, listeners=False,
    )  # fmt: skip


def test_levels_profit_levels() -> None:
    """e2e/levels/profit-levels: levels 10 .. 90 once each, ascending; time_expired at T0+49m."""
    events: list[PartialEvent] = []
    listen_partial_profit(events.append)
    run = run_levels(
        (5, 9, 105000), (10, 14, 112000), (15, 19, 125000), (20, 24, 135000),
        (25, 29, 150000), (30, 49, 155000), frame_minutes=50,
    )  # fmt: skip
    assert run.errors == []
    levels = [e.level for e in events]
    assert len(levels) >= 4
    assert len(set(levels)) == len(levels)
    assert set(levels) <= set(range(10, 100, 10))
    assert levels == sorted(levels)
    expected = expected_partials(run.rows, range(5, 50), LEVELS_SIGNAL, profit=True)
    assert [(e.level, e.timestamp) for e in events] == [
        (level, T0 + minute * MIN) for minute, level, _ in expected.levels
    ]
    assert [(e.level, (e.timestamp - T0) // MIN) for e in events] == [
        (10, 10), (20, 14), (30, 17), (40, 19), (50, 22), (60, 25), (70, 27), (80, 29), (90, 33),
    ]  # fmt: skip
    [closed] = run.results
    assert closed.close_reason == "time_expired"
    assert closed.close_timestamp == T0 + 49 * MIN
    assert closed.current_price == 155000
    assert closed.pnl.pnl_percentage == spec_pnl("long", 100000, 155000)
    assert round(closed.pnl.pnl_percentage, 6) == 54.49031
    assert_scheduled_at_t0(run)


def test_levels_loss_levels() -> None:
    """e2e/levels/loss-levels: loss levels 10 .. 70 once each; stop_loss 50000 at T0+25m."""
    events: list[PartialEvent] = []
    listen_partial_loss(events.append)
    run = run_levels(
        (5, 9, 95000),
        (10, 14, 88000),
        (15, 19, 75000),
        (20, 24, 65000),
        (25, 49, 50000),
        frame_minutes=50,
    )
    assert run.errors == []
    levels = [e.level for e in events]
    assert len(levels) >= 7
    assert len(set(levels)) == len(levels)
    assert set(levels) <= set(range(10, 80, 10))
    assert levels == sorted(levels)
    assert [(e.level, (e.timestamp - T0) // MIN) for e in events] == [
        (10, 9), (20, 13), (30, 16), (40, 18), (50, 19), (60, 22), (70, 24),
    ]  # fmt: skip
    [closed] = run.results
    assert closed.close_reason == "stop_loss"
    assert closed.close_timestamp == T0 + 25 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 100000, 50000)
    assert round(closed.pnl.pnl_percentage, 6) == -50.2999
    assert_scheduled_at_t0(run)


def test_levels_profit_once() -> None:
    """e2e/levels/profit-once: listen_partial_profit_once fires exactly once, level 10."""
    once: list[PartialEvent] = []
    listen_partial_profit_once(lambda e: True, once.append)
    events: list[PartialEvent] = []
    listen_partial_profit(events.append)
    run = run_levels((5, 14, 115000), (15, 24, 130000), (25, 39, 160000), frame_minutes=40)
    assert run.errors == []
    assert len(once) == 1 and once[0].level == 10
    assert [(e.level, (e.timestamp - T0) // MIN) for e in events] == [
        (10, 6), (20, 8), (30, 15), (40, 17), (50, 19),
    ]  # fmt: skip
    [closed] = run.results
    assert closed.close_reason == "take_profit"
    assert closed.close_timestamp == T0 + 25 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 100000, 160000)
    assert round(closed.pnl.pnl_percentage, 6) == 59.48032
    assert_scheduled_at_t0(run)


def test_levels_loss_once() -> None:
    """e2e/levels/loss-once: listen_partial_loss_once fires exactly once, level 10."""
    once: list[PartialEvent] = []
    listen_partial_loss_once(lambda e: True, once.append)
    events: list[PartialEvent] = []
    listen_partial_loss(events.append)
    run = run_levels((5, 14, 85000), (15, 24, 70000), (25, 39, 50000), frame_minutes=40)
    assert run.errors == []
    assert len(once) == 1 and once[0].level == 10
    assert [(e.level, (e.timestamp - T0) // MIN) for e in events] == [
        (10, 6), (20, 8), (30, 9), (40, 16), (50, 18), (60, 19),
    ]  # fmt: skip
    [closed] = run.results
    assert closed.close_reason == "stop_loss"
    assert closed.close_timestamp == T0 + 25 * MIN
    assert closed.pnl.pnl_percentage == spec_pnl("long", 100000, 50000)
    assert_scheduled_at_t0(run)
