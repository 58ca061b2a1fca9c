"""SCENARIOS B.7 e2e/markdown/parallel-services: two symbols in the background at once; each
has its own backtest statistics and Markdown report, and its own rows in the Schedule /
Performance / Partial / Heat facades (Performance and Partial enabled before the runs).

e2e/markdown/live-persist (Live) is in test_e2e_live.py.
"""

from __future__ import annotations

import pytest

from backtestkit.actors import Backtest, BacktestStatistics, Partial, Performance, Signal
from backtestkit.bus import PerformanceEvent, listen_performance

from .e2e_sources import (
    MIN,
    Market,
    add_recorded_strategy,
    band,
    plan,
    run_background,
    spec_pnl,
    watch,
)
from .harness import T0, add_minute_frame
from .test_e2e_facades import check_report_facades

FLAT = {"BTCUSDT": (95000, 95100, 94950, 95000, 100), "ETHUSDT": (4000, 4010, 3995, 4000, 100)}


@pytest.mark.anyio
async def test_markdown_parallel_services() -> None:
    """e2e/markdown/parallel-services (backtest statistics and report part)."""
    market = Market(
        initial=dict(FLAT),
        rebuilt={
            "BTCUSDT": plan(
                60,
                FLAT["BTCUSDT"],
                (10, 14, band(94500)),
                (15, 19, band(94600, 50)),
                (20, 24, band(95500)),
            ),
            "ETHUSDT": plan(
                60,
                FLAT["ETHUSDT"],
                (10, 14, band(3950, 10)),
                (15, 19, band(3960, 5)),
                (20, 24, band(4050, 10)),
            ),
        },
        signals={
            "BTCUSDT": Signal("long", 95500, 93500, 60, price_open=94500),
            "ETHUSDT": Signal("long", 4050, 3850, 60, price_open=3950),
        },
    )
    market.add_exchange("multi")
    add_minute_frame("60m", T0, T0 + 60 * MIN)
    add_recorded_strategy("markdown", market.get_signal())
    Performance.enable()
    Partial.enable()
    performance: list[PerformanceEvent] = []
    listen_performance(performance.append)
    seen = watch()
    await run_background(
        ("BTCUSDT", "markdown", "multi", "60m"), ("ETHUSDT", "markdown", "multi", "60m")
    )
    assert seen.errors == []
    for symbol, open_, tp in (("BTCUSDT", 94500, 95500), ("ETHUSDT", 3950, 4050)):
        data = Backtest.get_data(symbol, "markdown")
        assert isinstance(data, BacktestStatistics)
        report = Backtest.get_report(symbol, "markdown")
        assert report and symbol in report
        assert report.startswith("# Backtest Report: markdown\n")
        assert data.total_signals == 1
        [closed] = data.signal_list
        assert closed.symbol == symbol
        assert (closed.close_reason, closed.close_timestamp) == ("take_profit", T0 + 20 * MIN)
        assert closed.pnl.pnl_percentage == spec_pnl("long", open_, tp)
        other = "ETHUSDT" if symbol == "BTCUSDT" else "BTCUSDT"
        assert other not in report
    check_report_facades("markdown", seen, performance)
