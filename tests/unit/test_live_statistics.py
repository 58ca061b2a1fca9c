"""Live statistics (SPEC 9.2, Q20, Q24) and the live report (SPEC 10), derived by hand."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import pytest

from backtestkit.actors.core.config import reset_config, set_config
from backtestkit.actors.reports.columns import validate_columns
from backtestkit.actors.reports.live import live_report
from backtestkit.actors.reports.live_columns import LIVE_COLUMNS
from backtestkit.actors.reports.live_statistics import (
    LIVE_MAX_EVENTS,
    LiveEvent,
    LiveEventLog,
    LiveStatistics,
    live_statistics,
)
from backtestkit.actors.reports.statistics import backtest_statistics
from backtestkit.bus.results import (
    Active,
    Cancelled,
    Closed,
    Idle,
    Opened,
    Pnl,
    Scheduled,
    SignalRow,
)

MIN = 60_000
T0 = 1_521_810_000_000  # 2018-03-23T13:00:00.000Z
METRICS = (
    "win_rate",
    "avg_pnl",
    "total_pnl",
    "std_dev",
    "sharpe_ratio",
    "annualized_sharpe_ratio",
    "certainty_ratio",
    "expected_yearly_returns",
)


@pytest.fixture(autouse=True)
def _default_config() -> Iterator[None]:
    reset_config()
    yield None
    reset_config()


# --- builders ---------------------------------------------------------------------------------


def signal(
    sid: str = "a", *, pending_at: int = T0, note: str = "", short: bool = False
) -> SignalRow:
    return SignalRow(
        id=sid,
        position="short" if short else "long",
        price_open=100.0,
        price_take_profit=110.0,
        price_stop_loss=95.0,
        minute_estimated_time=240,
        note=note,
        scheduled_at=pending_at,
        pending_at=pending_at,
        symbol="BTCUSD",
        exchange_name="ex",
        strategy_name="st",
        is_scheduled=False,
    )


def idle(price: float = 99.75) -> Idle:
    return Idle(
        symbol="BTCUSD", strategy_name="st", exchange_name="ex", current_price=price, backtest=False
    )


def opened(sig: SignalRow, price: float = 100.25) -> Opened:
    return Opened(
        symbol="BTCUSD",
        strategy_name="st",
        exchange_name="ex",
        current_price=price,
        backtest=False,
        signal=sig,
    )


def active(sig: SignalRow, price: float = 104.0, tp: float = 40.0, sl: float = 0.0) -> Active:
    return Active(
        symbol="BTCUSD",
        strategy_name="st",
        exchange_name="ex",
        current_price=price,
        backtest=False,
        signal=sig,
        percent_tp=tp,
        percent_sl=sl,
    )


def closed(sig: SignalRow, pnl: float, duration_ms: int, price: float = 101.5) -> Closed:
    return Closed(
        symbol="BTCUSD",
        strategy_name="st",
        exchange_name="ex",
        current_price=price,
        backtest=False,
        signal=sig,
        close_reason="take_profit" if pnl > 0 else "stop_loss",
        close_timestamp=sig.pending_at + duration_ms,
        pnl=Pnl(pnl_percentage=pnl, price_open=100.0, price_close=price),
    )


def actions(log: LiveEventLog) -> list[str]:
    return [row.action for row in log.events]


# --- rows ---------------------------------------------------------------------------------------


def test_rows_per_action() -> None:
    log = LiveEventLog()
    sig = signal("a", pending_at=T0 + MIN, note="n")
    log.record(idle(99.75), T0)
    log.record(opened(sig, price=100.25), T0 + 5)
    log.record(active(sig, price=104.0, tp=40.0, sl=-12.5), T0 + 2 * MIN)
    log.record(closed(sig, 1.234, 150_000), T0 + 9 * MIN)
    closed_row, active_row, opened_row, idle_row = log.events

    assert idle_row == LiveEvent(timestamp=T0, action="idle", current_price=99.75)
    assert idle_row.symbol is None and idle_row.signal_id is None and idle_row.note is None
    # opened: timestamp = pendingAt (not now), currentPrice = priceOpen (not the tick price)
    assert opened_row == LiveEvent(
        timestamp=T0 + MIN,
        action="opened",
        symbol="BTCUSD",
        signal_id="a",
        position="long",
        note="n",
        current_price=100.0,
        open_price=100.0,
        take_profit=110.0,
        stop_loss=95.0,
    )
    assert active_row == dataclasses.replace(
        opened_row,
        timestamp=T0 + 2 * MIN,
        action="active",
        current_price=104.0,
        percent_tp=40.0,
        percent_sl=-12.5,
    )
    # closed: timestamp = closeTimestamp, duration Math.round(2.5) = 3 minutes
    assert closed_row == dataclasses.replace(
        opened_row,
        timestamp=T0 + MIN + 150_000,
        action="closed",
        current_price=101.5,
        pnl=1.234,
        close_reason="take_profit",
        duration=3,
    )


def test_scheduled_and_cancelled_are_ignored() -> None:
    log = LiveEventLog()
    sig = signal("s")
    common = {
        "symbol": "BTCUSD",
        "strategy_name": "st",
        "exchange_name": "ex",
        "current_price": 100.0,
        "backtest": False,
        "signal": sig,
    }
    log.record(Scheduled(**common), T0)  # type: ignore[arg-type]
    log.record(Cancelled(close_timestamp=T0 + MIN, **common), T0 + MIN)  # type: ignore[arg-type]
    assert len(log) == 0
    assert log.statistics().total_events == 0


# --- coalescing (SPEC 9.2, Q20) -----------------------------------------------------------------


def test_idle_after_idle_overwrites_in_place() -> None:
    log = LiveEventLog()
    log.record(idle(1.0), T0)
    log.record(idle(2.0), T0 + MIN)
    log.record(idle(3.0), T0 + 2 * MIN)
    assert log.events == (LiveEvent(timestamp=T0 + 2 * MIN, action="idle", current_price=3.0),)


def test_closed_rows_do_not_block_idle_overwrite() -> None:
    log = LiveEventLog()
    log.record(idle(1.0), T0)
    log.record(closed(signal("a"), 1.0, MIN), T0 + MIN)
    log.record(idle(2.0), T0 + 2 * MIN)
    # [closed, idle1] -> the oldest idle (index 1) has nothing older: overwritten below the closed
    assert actions(log) == ["closed", "idle"]
    assert log.events[1].timestamp == T0 + 2 * MIN
    assert log.events[1].current_price == 2.0


def test_idle_after_opened_overwrites_the_older_idle() -> None:
    log = LiveEventLog()
    sig = signal("a", pending_at=T0 + MIN)
    log.record(idle(1.0), T0)
    log.record(opened(sig), T0 + MIN)
    log.record(idle(2.0), T0 + 2 * MIN)
    # [opened, idle1]: the opened row is newer (lower index) than idle1, so idle1 is replaced
    assert actions(log) == ["opened", "idle"]
    assert log.events[1] == LiveEvent(timestamp=T0 + 2 * MIN, action="idle", current_price=2.0)


def test_idle_inserts_while_an_opened_or_active_row_is_older_than_every_idle() -> None:
    log = LiveEventLog()
    sig = signal("a")
    log.record(opened(sig), T0)
    log.record(idle(1.0), T0 + MIN)  # no idle yet -> insert
    log.record(idle(2.0), T0 + 2 * MIN)  # oldest idle (0) has the opened row below -> insert
    log.record(idle(3.0), T0 + 3 * MIN)  # oldest idle (1) still has it below -> insert
    assert actions(log) == ["idle", "idle", "idle", "opened"]
    assert [row.current_price for row in log.events[:3]] == [3.0, 2.0, 1.0]

    log2 = LiveEventLog()
    log2.record(active(sig), T0)
    log2.record(idle(1.0), T0 + MIN)
    log2.record(idle(2.0), T0 + 2 * MIN)
    assert actions(log2) == ["idle", "idle", "active"]


def test_idle_replaces_the_oldest_idle_not_the_newest() -> None:
    """Q20: once the opened row falls off the cap, the *oldest* idle row is overwritten."""
    log = LiveEventLog()
    log.record(opened(signal("a")), T0)
    for i in range(1, LIVE_MAX_EVENTS):  # 249 idles, all inserted (the opened row is older)
        log.record(idle(float(i)), T0 + i * MIN)
    assert len(log) == LIVE_MAX_EVENTS
    assert log.events[-1].action == "opened"

    log.record(idle(250.0), T0 + 250 * MIN)  # still inserted; the cap drops the opened row
    assert len(log) == LIVE_MAX_EVENTS
    assert set(actions(log)) == {"idle"}
    assert log.events[0].current_price == 250.0
    assert log.events[-1].current_price == 1.0

    log.record(idle(251.0), T0 + 251 * MIN)  # overwrites the oldest idle (index 249)
    assert len(log) == LIVE_MAX_EVENTS
    assert log.events[0].current_price == 250.0  # the newest idle is untouched
    assert log.events[-1] == LiveEvent(timestamp=T0 + 251 * MIN, action="idle", current_price=251.0)


def test_active_with_same_signal_id_is_overwritten_in_place() -> None:
    log = LiveEventLog()
    a = signal("a")
    b = signal("b")
    log.record(opened(a), T0)
    log.record(active(a, price=101.0), T0 + MIN)
    log.record(closed(b, 1.0, MIN), T0 + 2 * MIN)
    log.record(active(a, price=102.0, tp=20.0), T0 + 3 * MIN)
    assert actions(log) == ["closed", "active", "opened"]
    row = log.events[1]
    assert (row.timestamp, row.current_price, row.percent_tp) == (T0 + 3 * MIN, 102.0, 20.0)

    log.record(active(b, price=103.0), T0 + 4 * MIN)  # a different signal id -> insert
    assert actions(log) == ["active", "closed", "active", "opened"]
    assert [r.signal_id for r in log.events] == ["b", "b", "a", "a"]


def test_cap_drops_the_oldest_row() -> None:
    log = LiveEventLog()
    for i in range(LIVE_MAX_EVENTS + 3):
        log.record(closed(signal(f"s{i}", pending_at=T0 + i * MIN), 1.0, MIN), T0)
    assert len(log) == LIVE_MAX_EVENTS
    ids = [row.signal_id for row in log.events]
    assert ids[0] == f"s{LIVE_MAX_EVENTS + 2}"
    assert ids[-1] == "s3"  # s0, s1, s2 were dropped
    assert log.statistics().total_closed == LIVE_MAX_EVENTS


# --- metrics ------------------------------------------------------------------------------------


def test_metrics_hand_example() -> None:
    """Closed +2 (90 min) then -1 (30 min); stored newest first: pnls [-1, +2]."""
    log = LiveEventLog()
    log.record(idle(), T0)
    log.record(closed(signal("a"), 2.0, 90 * MIN), T0)
    log.record(closed(signal("b", pending_at=T0 + 90 * MIN), -1.0, 30 * MIN), T0)
    stats = log.statistics()
    assert isinstance(stats, LiveStatistics)
    assert (stats.total_events, stats.total_closed) == (3, 2)
    assert (stats.win_count, stats.loss_count) == (1, 1)
    assert stats.win_rate == 50.0
    assert stats.total_pnl == 1.0  # (0 + -1) + 2
    assert stats.avg_pnl == 0.5
    assert stats.std_dev == 1.5  # sqrt(((-1.5)^2 + 1.5^2) / 2) = sqrt(2.25)
    assert stats.sharpe_ratio == 0.5 / 1.5
    assert stats.annualized_sharpe_ratio == (0.5 / 1.5) * math.sqrt(365)
    assert stats.certainty_ratio == 2.0  # avgWin 2 / |avgLoss -1|
    # mean rounded duration (30 + 90) / 2 = 60 min = 60 / 1440 days
    assert stats.expected_yearly_returns == 0.5 * (365 / ((120.0 / 2) / 1440))
    assert stats.expected_yearly_returns == pytest.approx(4380.0)
    assert stats.event_list == log.events


def test_pnl_metrics_match_backtest_arithmetic() -> None:
    sigs = [signal(f"s{i}", pending_at=T0 + i * 100 * MIN) for i in range(5)]
    results = [
        closed(sig, pnl, (i + 1) * 7 * MIN)
        for i, (sig, pnl) in enumerate(zip(sigs, [0.1, -0.7, 0.3, 2.9, -0.2], strict=True))
    ]
    log = LiveEventLog()
    for result in results:
        log.record(result, T0)
    live = log.statistics()
    back = backtest_statistics(results[::-1])
    for name in METRICS[:-1]:
        assert getattr(live, name) == getattr(back, name), name
    assert (live.win_count, live.loss_count) == (back.win_count, back.loss_count)


def test_zero_closed_gives_numeric_zeros() -> None:
    """Q24: events but no closed row -> zeros (floats), winRate None (0/0)."""
    log = LiveEventLog()
    sig = signal("a")
    log.record(idle(), T0)
    log.record(opened(sig), T0)
    log.record(active(sig), T0 + MIN)
    stats = log.statistics()
    assert (stats.total_events, stats.total_closed, stats.win_count, stats.loss_count) == (
        3,
        0,
        0,
        0,
    )
    assert stats.win_rate is None
    for name in METRICS[1:]:
        value = getattr(stats, name)
        assert value == 0.0 and isinstance(value, float), name


def test_empty_log_gives_all_none() -> None:
    stats = LiveEventLog().statistics()
    assert stats == live_statistics(())
    assert stats.event_list == ()
    assert (stats.total_events, stats.total_closed, stats.win_count, stats.loss_count) == (
        0,
        0,
        0,
        0,
    )
    for name in METRICS:
        assert getattr(stats, name) is None, name


@pytest.mark.parametrize(
    ("duration_ms", "minutes"),
    [
        (150_000, 3),  # 2.5 -> 3 (Python's round gives 2)
        (90_000, 2),  # 1.5 -> 2
        (30_000, 1),  # 0.5 -> 1 (Python's round gives 0)
        (29_999, 0),
        (89_999, 1),
        (0, 0),
    ],
)
def test_duration_uses_math_round(duration_ms: int, minutes: int) -> None:
    log = LiveEventLog()
    log.record(closed(signal("a"), 1.0, duration_ms), T0)
    assert log.events[0].duration == minutes
    expected = 1.0 * (365 / ((minutes / 1) / 1440)) if minutes > 0 else 0.0
    assert log.statistics().expected_yearly_returns == expected


def test_nan_pnl_counts_as_zero_like_the_reference() -> None:
    """The reference sums `e.pnl || 0` for live rows, so a NaN pnl acts as 0."""
    log = LiveEventLog()
    log.record(closed(signal("a"), 2.0, MIN), T0)
    log.record(closed(signal("b"), math.nan, MIN), T0)
    stats = log.statistics()
    assert (stats.total_closed, stats.win_count, stats.loss_count) == (2, 1, 0)
    assert stats.total_pnl == 2.0
    assert stats.avg_pnl == 1.0
    assert stats.std_dev == 1.0


def test_unsafe_metrics_become_none() -> None:
    log = LiveEventLog()
    log.record(closed(signal("a"), math.inf, MIN), T0)
    stats = log.statistics()
    assert stats.total_pnl is None and stats.avg_pnl is None
    assert stats.win_rate == 100.0


# --- report (SPEC 10) ---------------------------------------------------------------------------


def small_log() -> LiveEventLog:
    log = LiveEventLog()
    sig = signal("a", pending_at=T0 + MIN, note="big move")
    log.record(idle(99.75), T0)
    log.record(opened(sig, price=100.25), T0 + MIN)
    log.record(active(sig, price=104.0, tp=40.0, sl=0.0), T0 + 2 * MIN)
    log.record(closed(sig, 1.234, 150_000, price=101.5), T0 + 4 * MIN)
    return log


def test_report_empty() -> None:
    text = live_report("my-strategy", LiveEventLog().statistics())
    assert text == "# Live Trading Report: my-strategy\n\nNo events recorded yet."


def test_report_small_case_by_hand() -> None:
    text = live_report("st", small_log().statistics())
    assert not text.endswith("\n")
    assert text.split("\n") == [
        "# Live Trading Report: st",
        "",
        "| Timestamp | Action | Symbol | Signal ID | Position | Current Price | Open Price"
        " | Take Profit | Stop Loss | % to TP | % to SL | PNL (net) | Close Reason"
        " | Duration (min) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        "| 2018-03-23T13:03:30.000Z | CLOSED | BTCUSD | a | LONG | 101.50000000 USD"
        " | 100.00000000 USD | 110.00000000 USD | 95.00000000 USD | N/A | N/A | +1.23%"
        " | take_profit | 3 |",
        "| 2018-03-23T13:02:00.000Z | ACTIVE | BTCUSD | a | LONG | 104.00000000 USD"
        " | 100.00000000 USD | 110.00000000 USD | 95.00000000 USD | 40.00% | 0.00% | N/A"
        " | N/A | N/A |",
        "| 2018-03-23T13:01:00.000Z | OPENED | BTCUSD | a | LONG | 100.00000000 USD"
        " | 100.00000000 USD | 110.00000000 USD | 95.00000000 USD | N/A | N/A | N/A | N/A"
        " | N/A |",
        "| 2018-03-23T13:00:00.000Z | IDLE | N/A | N/A | N/A | 99.75000000 USD | N/A | N/A"
        " | N/A | N/A | N/A | N/A | N/A | N/A |",
        "",
        "**Total events:** 4",
        "**Closed signals:** 1",
        "**Win rate:** 100.00% (1W / 0L) (higher is better)",
        "**Average PNL:** +1.23% (higher is better)",
        "**Total PNL:** +1.23% (higher is better)",
        "**Standard Deviation:** 0.000% (lower is better)",
        "**Sharpe Ratio:** 0.000 (higher is better)",
        "**Annualized Sharpe Ratio:** 0.000 (higher is better)",
        "**Certainty Ratio:** 0.000 (higher is better)",
        # 1.234 * 365 / (3 / 1440) = 1.234 * 175200
        "**Expected Yearly Returns:** +216196.80% (higher is better)",
    ]


def test_report_zero_closed_summary() -> None:
    log = LiveEventLog()
    log.record(idle(), T0)
    summary = live_report("st", log.statistics()).split("\n")[-10:]
    assert summary == [
        "**Total events:** 1",
        "**Closed signals:** 0",
        "**Win rate:** N/A",
        "**Average PNL:** 0.00% (higher is better)",
        "**Total PNL:** 0.00% (higher is better)",
        "**Standard Deviation:** 0.000% (lower is better)",
        "**Sharpe Ratio:** 0.000 (higher is better)",
        "**Annualized Sharpe Ratio:** 0.000 (higher is better)",
        "**Certainty Ratio:** 0.000 (higher is better)",
        "**Expected Yearly Returns:** 0.00% (higher is better)",
    ]


def test_report_negative_values() -> None:
    log = LiveEventLog()
    sig = signal("z", short=True)
    log.record(active(sig, tp=-3.456, sl=12.346), T0)
    log.record(closed(sig, -0.001, MIN), T0)
    lines = live_report("st", log.statistics()).split("\n")
    assert lines[4].endswith("| N/A | N/A | -0.00% | stop_loss | 1 |")
    assert "| SHORT |" in lines[4]
    assert "| -3.46% | 12.35% | N/A | N/A | N/A |" in lines[5]  # no "+" on % to TP / SL
    assert "**Total PNL:** -0.00% (higher is better)" in lines
    assert "**Win rate:** 0.00% (0W / 1L) (higher is better)" in lines


def test_note_column_follows_config() -> None:
    log = small_log()
    log.record(opened(signal("b", note="")), T0 + 5 * MIN)
    stats = log.statistics()
    assert "Note" not in live_report("st", stats)
    set_config(CC_REPORT_SHOW_SIGNAL_NOTE=True)
    lines = live_report("st", stats).split("\n")
    assert lines[2].startswith("| Timestamp | Action | Symbol | Signal ID | Position | Note |")
    assert lines[3] == "| " + " | ".join(["---"] * 15) + " |"
    assert lines[4].startswith("| 2018-03-23T13:00:00.000Z | OPENED | BTCUSD | b | LONG |  | ")
    assert "| a | LONG | big move | 101.50000000 USD |" in lines[5]
    assert lines[8].startswith("| 2018-03-23T13:00:00.000Z | IDLE | N/A | N/A | N/A | N/A | 99.75")
    reset_config()
    assert "Note" not in live_report("st", stats)


def test_custom_columns_and_labels() -> None:
    assert [c.label for c in LIVE_COLUMNS] == [
        "Timestamp",
        "Action",
        "Symbol",
        "Signal ID",
        "Position",
        "Note",
        "Current Price",
        "Open Price",
        "Take Profit",
        "Stop Loss",
        "% to TP",
        "% to SL",
        "PNL (net)",
        "Close Reason",
        "Duration (min)",
    ]
    validate_columns(LIVE_COLUMNS)
    by_key = {c.key: c for c in LIVE_COLUMNS}
    columns = [by_key["duration"], by_key["action"], by_key["pnl"]]
    lines = live_report("st", small_log().statistics(), columns).split("\n")
    assert lines[2:8] == [
        "| Duration (min) | Action | PNL (net) |",
        "| --- | --- | --- |",
        "| 3 | CLOSED | +1.23% |",
        "| N/A | ACTIVE | N/A |",
        "| N/A | OPENED | N/A |",
        "| N/A | IDLE | N/A |",
    ]


def test_to_dict_is_plain() -> None:
    stats = small_log().statistics()
    data = stats.to_dict()
    assert data["total_events"] == 4
    assert data["event_list"][-1] == {
        "timestamp": T0,
        "action": "idle",
        "symbol": None,
        "signal_id": None,
        "position": None,
        "note": None,
        "current_price": 99.75,
        "open_price": None,
        "take_profit": None,
        "stop_loss": None,
        "percent_tp": None,
        "percent_sl": None,
        "pnl": None,
        "close_reason": None,
        "duration": None,
    }
