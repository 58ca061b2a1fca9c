"""Schedule / Heat / Performance / Partial / Risk reports (SPEC 9.3-9.7, 10) on hand-made rows,
the column configuration (SPEC 2) and how the report storages attach to the bus.

Expected values are worked out by hand from the SPEC formulas (see the comments).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backtestkit.actors import (
    Backtest,
    Heat,
    Partial,
    Performance,
    RiskRejections,
    Schedule,
    Signal,
    add_strategy,
    set_config,
)
from backtestkit.actors.reports import Column, ScheduleEvent, get_columns, set_columns
from backtestkit.actors.reports.column_config import configured_columns
from backtestkit.actors.reports.heat import heat_report, heat_row, heat_statistics
from backtestkit.actors.reports.performance import percentile, performance_statistics
from backtestkit.actors.reports.risk import risk_report, risk_statistics
from backtestkit.actors.reports.schedule import schedule_report, schedule_statistics
from backtestkit.actors.reports.tables import sprintf_plus
from backtestkit.actors.testing import reset_engine
from backtestkit.bus import (
    Activation,
    Closed,
    Opened,
    PerformanceEvent,
    Pnl,
    RiskEvent,
    SignalRow,
    topics,
)

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00.000Z
MIN = 60_000


@pytest.fixture(autouse=True)
def engine() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


def row(symbol: str = "BTCUSDT", **fields: object) -> SignalRow:
    values: dict[str, object] = {
        "id": "sig-1",
        "position": "long",
        "price_open": 100.0,
        "price_take_profit": 110.0,
        "price_stop_loss": 95.0,
        "minute_estimated_time": 60,
        "note": "",
        "scheduled_at": T0,
        "pending_at": T0,
        "symbol": symbol,
        "exchange_name": "ex",
        "strategy_name": "s",
        "is_scheduled": False,
        **fields,
    }
    return SignalRow(**values)  # type: ignore[arg-type]


def closed(pnl: float, symbol: str = "BTCUSDT") -> Closed:
    return Closed(
        symbol=symbol,
        strategy_name="s",
        exchange_name="ex",
        current_price=100.0,
        backtest=True,
        signal=row(symbol),
        close_reason="take_profit",
        close_timestamp=T0 + MIN,
        pnl=Pnl(pnl_percentage=pnl, price_open=100.0, price_close=100.0),
    )


# --- heat (SPEC 9.4) --------------------------------------------------------------------------


def test_heat_row_by_hand() -> None:
    # newest first: +2, -1, -3, +1, 0, +4
    result = heat_row("BTCUSDT", [closed(p) for p in (2.0, -1.0, -3.0, 1.0, 0.0, 4.0)])
    assert (result.total_trades, result.win_count, result.loss_count) == (6, 3, 2)
    assert result.total_pnl == 3.0 and result.avg_pnl == 0.5
    # population std of the six pnls around 0.5: sqrt(29.5 / 6)
    assert result.std_dev == pytest.approx((29.5 / 6) ** 0.5, rel=1e-15)
    assert result.sharpe_ratio == pytest.approx(0.5 / (29.5 / 6) ** 0.5, rel=1e-15)
    # cumulative newest first: 2, 1, -2, -1, -1, 3: deepest at or below zero is 2
    assert result.max_drawdown == 2.0
    # streaks newest first: W, L, L, W, (0 keeps), W -> longest win 2 (+1, +4), loss 2
    assert (result.max_win_streak, result.max_loss_streak) == (2, 2)
    assert result.profit_factor == 7.0 / 4.0
    assert result.avg_win == 7.0 / 3 and result.avg_loss == -2.0
    assert result.win_rate == 50.0
    assert result.expectancy == 50.0 / 100 * (7.0 / 3) + 50.0 / 100 * -2.0


def test_heat_statistics_sorting_and_portfolio() -> None:
    by_symbol = {
        "AAA": (closed(1.0, "AAA"),),  # n = 1: no sharpe
        "BBB": (closed(1.0, "BBB"), closed(3.0, "BBB")),  # avg 2, std 1: sharpe 2
        "CCC": (closed(-1.0, "CCC"), closed(3.0, "CCC")),  # avg 1, std 2: sharpe 0.5
    }
    stats = heat_statistics(by_symbol)
    assert [r.symbol for r in stats.symbols] == ["BBB", "CCC", "AAA"]
    assert stats.total_symbols == 3 and stats.portfolio_total_trades == 5
    assert stats.portfolio_total_pnl == 4.0 + 2.0 + 1.0
    assert stats.portfolio_sharpe_ratio == (2.0 * 2 + 0.5 * 2) / 5
    empty = heat_statistics({})
    assert (empty.total_symbols, empty.portfolio_total_pnl, empty.portfolio_sharpe_ratio) == (
        0,
        None,
        None,
    )
    assert heat_report("s", empty) == "# Portfolio Heatmap: s\n\n*No data available*"


def test_sprintf_plus() -> None:
    assert sprintf_plus(1.005, 2) == "+1.00"  # the exact binary value is below 1.005
    assert sprintf_plus(0.0, 2) == "+0.00"
    assert sprintf_plus(-0.0, 2) == "+0.00"
    assert sprintf_plus(-2.5, 1) == "-2.5"


# --- schedule (SPEC 9.3) ----------------------------------------------------------------------


def event(action: str, duration: int | None = None) -> ScheduleEvent:
    return ScheduleEvent(
        timestamp=T0,
        action=action,  # type: ignore[arg-type]
        symbol="BTCUSDT",
        strategy_name="s",
        signal_id="sig-1",
        position="short",
        note="",
        current_price=101.5,
        price_open=100.0,
        price_take_profit=90.0,
        price_stop_loss=105.0,
        duration=duration,
    )


def test_schedule_statistics_and_report() -> None:
    rows = [event("cancelled", 120), event("opened", 3), event("scheduled"), event("scheduled")]
    stats = schedule_statistics(rows)
    assert (stats.total_events, stats.total_scheduled) == (4, 2)
    assert (stats.total_opened, stats.total_cancelled) == (1, 1)
    assert stats.cancellation_rate == 50.0 and stats.activation_rate == 50.0
    assert stats.avg_wait_time == 120.0 and stats.avg_activation_time == 3.0
    lines = schedule_report("s", stats).split("\n")
    assert lines[:4] == [
        "# Scheduled Signals Report: s",
        "",
        "| Timestamp | Action | Symbol | Signal ID | Position | Current Price | Entry Price"
        " | Take Profit | Stop Loss | Wait Time (min) |",
        "| --- |" + " --- |" * 9,
    ]
    assert lines[4] == (
        "| 2024-01-01T00:00:00.000Z | CANCELLED | BTCUSDT | sig-1 | SHORT | 101.50000000 USD"
        " | 100.00000000 USD | 90.00000000 USD | 105.00000000 USD | 120 |"
    )
    assert lines[7].endswith("| N/A |")
    assert lines[8:] == [
        "",
        "**Total events:** 4",
        "**Scheduled signals:** 2",
        "**Opened signals:** 1",
        "**Cancelled signals:** 1",
        "**Activation rate:** 50.00% (higher is better)",
        "**Cancellation rate:** 50.00% (lower is better)",
        "**Average activation time:** 3.00 minutes",
        "**Average wait time (cancelled):** 120.00 minutes",
    ]
    empty = schedule_statistics([])
    assert (empty.cancellation_rate, empty.activation_rate, empty.avg_wait_time) == (None,) * 3
    assert schedule_report("s", empty).endswith("No scheduled signals recorded yet.")


def test_schedule_records_activations_published_as_such_not_immediate_opens() -> None:
    add_strategy("s", interval="1m", get_signal=lambda symbol, when: None)

    def opened(scheduled_at: int) -> Opened:
        signal = row(scheduled_at=scheduled_at, pending_at=T0 + 7 * MIN)
        identity = {"symbol": "BTCUSDT", "strategy_name": "s", "exchange_name": "ex"}
        return Opened(**identity, current_price=100.0, backtest=False, signal=signal)

    topics.transition.publish(opened(T0 + 7 * MIN))  # an immediate entry: no schedule row
    topics.transition.publish(opened(T0), Activation)  # waited 7 minutes for its price
    stats = Schedule.get_data("BTCUSDT", "s")
    assert [(e.action, e.timestamp, e.duration) for e in stats.event_list] == [
        ("opened", T0 + 7 * MIN, 7)
    ]
    assert stats.total_opened == 1 and stats.avg_activation_time == 7.0


def test_schedule_note_column_follows_config() -> None:
    stats = schedule_statistics([ScheduleEvent(**{**event("scheduled").to_dict(), "note": "hi"})])
    assert "| Note |" not in schedule_report("s", stats)
    set_config(CC_REPORT_SHOW_SIGNAL_NOTE=True)
    report = schedule_report("s", stats)
    assert "| Position | Note | Current Price |" in report and "| SHORT | hi |" in report


# --- performance (SPEC 9.5) -------------------------------------------------------------------


def perf(kind: str, duration: float, at: int, previous: int | None) -> PerformanceEvent:
    return PerformanceEvent(
        timestamp=at,
        previous_timestamp=previous,
        metric_type=kind,  # type: ignore[arg-type]
        duration=duration,
        strategy_name="s",
        exchange_name="ex",
        symbol="BTCUSDT",
        backtest=True,
    )


def test_percentile_is_nearest_rank() -> None:
    ordered = [float(v) for v in range(1, 11)]
    assert percentile(ordered, 50) == 5.0  # ceil(5) - 1 = 4
    assert percentile(ordered, 95) == 10.0  # ceil(9.5) - 1 = 9
    assert percentile(ordered, 99) == 10.0
    assert percentile([7.0], 50) == 7.0


def test_performance_statistics_by_hand() -> None:
    events = [  # newest first
        perf("backtest_timeframe", 3.0, 1_000, 900),
        perf("backtest_timeframe", 1.0, 900, 850),
        perf("backtest_signal", 10.0, 850, None),
    ]
    stats = performance_statistics("s", events)
    assert (stats.total_events, stats.total_duration) == (3, 14.0)
    assert list(stats.metric_stats) == ["backtest_timeframe", "backtest_signal"]
    frame = stats.metric_stats["backtest_timeframe"]
    assert (frame.count, frame.total_duration, frame.avg_duration) == (2, 4.0, 2.0)
    assert (frame.min_duration, frame.max_duration, frame.std_dev) == (1.0, 3.0, 1.0)
    assert (frame.median, frame.p95, frame.p99) == (1.0, 3.0, 3.0)
    assert (frame.avg_wait_time, frame.min_wait_time, frame.max_wait_time) == (75.0, 50.0, 100.0)
    signal = stats.metric_stats["backtest_signal"]
    assert (signal.avg_wait_time, signal.min_wait_time, signal.max_wait_time) == (0.0, 0.0, 0.0)


# --- risk (SPEC 9.7) --------------------------------------------------------------------------


def rejection(symbol: str, strategy: str, pending: object, comment: str = "N/A") -> RiskEvent:
    return RiskEvent(
        symbol=symbol,
        pending_signal=pending,
        strategy_name=strategy,
        exchange_name="ex",
        current_price=42.5,
        active_position_count=2,
        comment=comment,
        timestamp=T0,
    )


def test_risk_statistics_and_report() -> None:
    market = Signal("long", 50.0, 40.0, 60, note="dto note")  # no priceOpen: a market entry
    events = [
        rejection("ETHUSDT", "s", row("ETHUSDT", id="row-7", note="row note"), "Max 2"),
        rejection("BTCUSDT", "s", market),
        rejection("BTCUSDT", "t", None),
    ]
    stats = risk_statistics(events)
    assert stats.total_rejections == 3
    assert stats.by_symbol == {"ETHUSDT": 1, "BTCUSDT": 2}
    assert stats.by_strategy == {"s": 2, "t": 1}
    lines = risk_report("BTCUSDT", "s", stats).split("\n")
    assert lines[0] == "# Risk Rejection Report: BTCUSDT:s"
    assert lines[2] == (
        "| Symbol | Strategy | Signal ID | Position | Exchange | Open Price | Take Profit"
        " | Stop Loss | Current Price | Active Positions | Reason | Timestamp |"
    )
    assert lines[4:7] == [
        "| ETHUSDT | s | row-7 | LONG | ex | 100.00000000 USD | 110.00000000 USD"
        " | 95.00000000 USD | 42.50000000 USD | 2 | Max 2 | 2024-01-01T00:00:00.000Z |",
        "| BTCUSDT | s | N/A | LONG | ex | N/A | 50.00000000 USD | 40.00000000 USD"
        " | 42.50000000 USD | 2 | N/A | 2024-01-01T00:00:00.000Z |",
        "| BTCUSDT | t | N/A | N/A | ex | N/A | N/A | N/A | 42.50000000 USD | 2 | N/A"
        " | 2024-01-01T00:00:00.000Z |",
    ]
    assert lines[7:] == [
        "",
        "**Total rejections:** 3",
        "",
        "## Rejections by Symbol",
        "- ETHUSDT: 1",
        "- BTCUSDT: 2",
        "",
        "## Rejections by Strategy",
        "- s: 2",
        "- t: 1",
    ]
    set_config(CC_REPORT_SHOW_SIGNAL_NOTE=True)
    shown = risk_report("BTCUSDT", "s", stats)
    assert "| Position | Note | Exchange |" in shown and "| LONG | row note | ex |" in shown
    assert risk_report("X", "s", risk_statistics([])).endswith("No risk rejections recorded yet.")


# --- column configuration (SPEC 2) ------------------------------------------------------------


def test_backtest_report_uses_configured_columns() -> None:
    add_strategy("s", interval="1m", get_signal=lambda symbol, when: None)
    Backtest._instances.get("BTCUSDT", "s").record(closed(1.5))
    assert "| Signal ID | Symbol |" in Backtest.get_report("BTCUSDT", "s")
    set_columns(backtest_columns=[Column("pnl", "Result", lambda r, _i: f"{r.pnl.pnl_percentage}")])
    report = Backtest.get_report("BTCUSDT", "s")
    assert report.split("\n")[2:5] == ["| Result |", "| --- |", "| 1.5 |"]
    explicit = Backtest.get_report("BTCUSDT", "s", [Column("id", "ID", lambda r, _i: r.signal.id)])
    assert "| ID |" in explicit and "| Result |" not in explicit
    reset_engine()  # reset_engine restores the default columns
    assert get_columns()["backtest_columns"][0].label == "Signal ID"


def test_configured_columns_feed_every_facade_report() -> None:
    only = (Column("only", "Only", lambda r, _i: "x"),)
    set_columns(
        schedule_columns=only,
        heat_columns=only,
        performance_columns=only,
        partial_columns=only,
        risk_columns=only,
    )
    for table in ("schedule", "heat", "performance", "partial", "risk"):
        assert configured_columns(f"{table}_columns") == only
    report = risk_report("BTCUSDT", "s", risk_statistics([rejection("BTCUSDT", "s", None)]))
    assert report.split("\n")[2:5] == ["| Only |", "| --- |", "| x |"]
    with pytest.raises(ValueError, match="unknown column table"):
        configured_columns("nope")
    with pytest.raises(ValueError, match="unknown table"):
        set_columns(nope_columns=only)


def test_unsafe_set_columns_skips_validation() -> None:
    set_columns(unsafe=True, backtest_columns=[Column("", "", lambda r, _i: "")])
    assert get_columns()["backtest_columns"][0].key == ""
    with pytest.raises(ValueError, match=r"backtest_columns\[0\]\.key"):  # revalidated as a whole
        set_columns(risk_columns=[Column("k", "K", lambda r, _i: "")])


# --- bus wiring, names, dumps -----------------------------------------------------------------


def test_storages_attach_only_where_cheap() -> None:
    """Schedule / Heat (transition) and RiskRejections (risk) always record; Partial and
    Performance only when enabled, so a plain backtest never prices every candle nor times
    every frame."""
    assert topics.transition.has_listeners and topics.risk.has_listeners
    assert not topics.partial_profit.has_listeners and not topics.partial_loss.has_listeners
    assert not topics.performance.has_listeners
    assert not Partial.enabled and not Performance.enabled
    Partial.enable()
    Performance.enable()
    assert topics.partial_profit.has_listeners and topics.performance.has_listeners
    Partial.disable()
    Performance.disable()
    assert not topics.partial_loss.has_listeners and not topics.performance.has_listeners
    topics.clear()
    assert not topics.transition.has_listeners
    reset_engine()  # reattaches the always-on storages
    assert topics.transition.has_listeners and not topics.performance.has_listeners


def test_facades_validate_names() -> None:
    for call in (
        lambda: Schedule.get_data("BTCUSDT", "missing"),
        lambda: Heat.get_data("missing"),
        lambda: Performance.get_data("BTCUSDT", "missing"),
        lambda: Partial.get_data("BTCUSDT", "missing"),
        lambda: RiskRejections.get_report("BTCUSDT", "missing"),
    ):
        with pytest.raises(ValueError, match="strategy 'missing': not found"):
            call()


def test_default_dump_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    add_strategy("s", interval="1m", get_signal=lambda symbol, when: None)
    written = [
        Schedule.dump("BTCUSDT", "s"),
        Heat.dump("s"),
        Performance.dump("BTCUSDT", "s"),
        Partial.dump("BTCUSDT", "s"),
        RiskRejections.dump("BTCUSDT", "s"),
        RiskRejections.dump("BTCUSDT", "s", "custom/dir"),
        RiskRejections.dump("BTCUSDT", "s", "custom/file.md"),
    ]
    assert [str(path) for path in written] == [
        "dump/schedule/s.md",
        "dump/heatmap/s.md",
        "dump/performance/s.md",
        "dump/partial/BTCUSDT_s.md",
        "dump/risk/BTCUSDT_s.md",
        "custom/dir/BTCUSDT_s.md",
        "custom/file.md",
    ]
    assert (tmp_path / "dump/heatmap/s.md").read_text() == (
        "# Portfolio Heatmap: s\n\n*No data available*"
    )
