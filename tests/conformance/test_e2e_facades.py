"""SCENARIOS B.2 e2e/facades: two symbols run in the background at once stay isolated.

No error, both doneBacktest events, every signal and performance event belongs to its own run,
and so does every row of the Schedule / Performance / Heat / Partial report facades (the
Performance and Partial storages are opt-in: enabled before the runs).
"""

from __future__ import annotations

from typing import Any

import pytest

from backtestkit.actors import Backtest, Heat, Partial, Performance, Schedule, Signal
from backtestkit.bus import PerformanceEvent, listen_performance

from .e2e_sources import MIN, Market, Watch, add_recorded_strategy, plan, run_background, watch
from .harness import T0, add_minute_frame

FLAT = {"BTCUSDT": (95000, 95100, 94950, 95000, 100), "ETHUSDT": (4000, 4010, 3995, 4000, 100)}


@pytest.mark.anyio
async def test_facades_parallel_isolation() -> None:
    """e2e/facades/parallel-isolation (engine part)."""
    market = Market(
        initial=dict(FLAT),
        rebuilt={
            "BTCUSDT": plan(
                60,
                FLAT["BTCUSDT"],
                (10, 14, (94500, 94600, 94400, 94500, 100)),
                (15, 19, (95500, 95600, 95400, 95500, 100)),
            ),
            "ETHUSDT": plan(
                60,
                FLAT["ETHUSDT"],
                (10, 14, (3950, 3960, 3940, 3950, 100)),
                (15, 19, (3850, 3860, 3840, 3850, 100)),
            ),
        },
        signals={
            "BTCUSDT": Signal("long", 95500, 93500, 60, price_open=94500),
            "ETHUSDT": Signal("long", 4050, 3850, 60, price_open=3950),
        },
    )
    market.add_exchange("multi")
    add_minute_frame("60m", T0, T0 + 60 * MIN)
    add_recorded_strategy("isolation", market.get_signal())
    Performance.enable()
    Partial.enable()
    performance: list[PerformanceEvent] = []
    listen_performance(performance.append)
    seen = watch()
    done = await run_background(
        ("BTCUSDT", "isolation", "multi", "60m"), ("ETHUSDT", "isolation", "multi", "60m")
    )
    assert sorted(d.symbol for d in done) == ["BTCUSDT", "ETHUSDT"]
    assert all(d.strategy_name == "isolation" and d.backtest for d in done)
    assert seen.errors == []
    for symbol in ("BTCUSDT", "ETHUSDT"):
        own = [e for e in seen.events if e.symbol == symbol]
        assert "scheduled" in [e.action for e in own]  # totalScheduled > 0
        assert all(e.signal is None or e.signal.symbol == symbol for e in own)
        assert [e for e in performance if e.symbol == symbol]  # totalEvents > 0
    assert {e.symbol for e in performance} == {"BTCUSDT", "ETHUSDT"}
    # BTC: activated in the tick at T0+14m, TP on T0+15m; ETH: SL on T0+15m
    btc, eth = seen.closed("BTCUSDT"), seen.closed("ETHUSDT")
    assert [(c.close_reason, c.close_timestamp) for c in btc] == [("take_profit", T0 + 15 * MIN)]
    assert [(c.close_reason, c.close_timestamp) for c in eth] == [("stop_loss", T0 + 15 * MIN)]
    assert Backtest.get_data("BTCUSDT", "isolation").signal_list == tuple(btc)
    assert Backtest.get_data("ETHUSDT", "isolation").signal_list == tuple(eth)
    check_report_facades("isolation", seen, performance)


def expected_schedule_rows(seen: Watch, symbol: str) -> list[tuple[Any, ...]]:
    """SPEC 9.3 over the run's signal stream: a row per scheduled / cancelled result and per
    opened result whose scheduledAt != pendingAt, newest first."""
    rows = []
    for event in seen.events:
        if event.symbol != symbol or event.signal is None:
            continue
        signal = event.signal
        if event.action == "scheduled":
            rows.append(("scheduled", signal.scheduled_at, None))
        elif event.action == "opened" and signal.scheduled_at != signal.pending_at:
            waited = (signal.pending_at - signal.scheduled_at) / MIN
            rows.append(("opened", signal.pending_at, waited))
        elif event.action == "cancelled":
            waited = (event.close_timestamp - signal.scheduled_at) / MIN
            rows.append(("cancelled", event.close_timestamp, waited))
    return rows[::-1]


def check_report_facades(strategy: str, seen: Watch, performance: list[PerformanceEvent]) -> None:
    """The Schedule / Performance / Heat / Partial parts of B.2 and B.7: per-symbol isolation."""
    for symbol in ("BTCUSDT", "ETHUSDT"):
        schedule = Schedule.get_data(symbol, strategy)
        assert schedule.total_scheduled > 0
        assert all(row.symbol == symbol for row in schedule.event_list)
        assert [
            (row.action, row.timestamp, row.duration) for row in schedule.event_list
        ] == expected_schedule_rows(seen, symbol)
        report = Schedule.get_report(symbol, strategy)
        assert report and symbol in report
        assert report.startswith(f"# Scheduled Signals Report: {strategy}\n")
        timing = Performance.get_data(symbol, strategy)
        assert timing.total_events > 0
        assert all(event.symbol == symbol for event in timing.events)
        assert list(timing.events) == [e for e in performance if e.symbol == symbol][::-1]
        partial = Partial.get_data(symbol, strategy)
        assert all(row.symbol == symbol for row in partial.event_list)
        assert Performance.get_report(symbol, strategy)
        assert Partial.get_report(symbol, strategy)
    heat = Heat.get_data(strategy)
    assert heat.total_symbols == 2
    closed = {c.symbol: c for c in seen.closed()}
    assert {row.symbol: (row.total_trades, row.total_pnl) for row in heat.symbols} == {
        symbol: (1, c.pnl.pnl_percentage) for symbol, c in closed.items()
    }
    assert Heat.get_report(strategy)
