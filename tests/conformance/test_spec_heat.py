"""SCENARIOS A.11 spec/heat: the portfolio heatmap (MOCK, STD-LONG mET 60, 1d frame, Backtest.run
consumed per symbol).

Every symbol gets one trade: take_profit at P*+1000, pnl = SPEC 8 (+1.950634 %). SPEC 9.4 then
gives per row: totalPnl = avgPnl = avgWin = pnl, winRate 100, stdDev / sharpe / profitFactor /
avgLoss / expectancy None (n = 1, no loss), maxDrawdown 0, streaks 1 / 0.
"""

from __future__ import annotations

import pytest

from backtestkit.actors import Heat, add_strategy
from backtestkit.actors.reports import HeatmapRow

from .harness import P_STAR, add_day_frame, add_mock_exchange, std_long
from .spec_support import collect_run, spec_pnl, to_fixed

pytestmark = pytest.mark.anyio

PNL = spec_pnl("long", P_STAR, P_STAR + 1000)


async def _run_symbols(*symbols: str) -> None:
    add_mock_exchange()
    add_day_frame()
    add_strategy("heat", interval="1m", get_signal=std_long())
    for symbol in symbols:
        [closed] = await collect_run(strategy="heat", symbol=symbol)
        assert closed.action == "closed" and closed.pnl.pnl_percentage == PNL


def _assert_one_trade_row(row: HeatmapRow, symbol: str) -> None:
    assert row.symbol == symbol
    assert (row.total_trades, row.win_count, row.loss_count) == (1, 1, 0)
    assert row.total_pnl == row.avg_pnl == row.avg_win == PNL
    assert row.win_rate == 100
    assert row.std_dev is None and row.sharpe_ratio is None
    assert row.profit_factor is None and row.avg_loss is None and row.expectancy is None
    assert row.max_drawdown == 0
    assert (row.max_win_streak, row.max_loss_streak) == (1, 0)


async def test_getdata() -> None:
    """spec/heat/getdata"""
    await _run_symbols("BTCUSDT", "ETHUSDT")
    data = Heat.get_data("heat")
    assert data.total_symbols == 2
    assert len(data.symbols) == 2
    assert data.portfolio_total_trades == 2
    # computed: the sum over the (equal-sharpe, first-seen) rows; no row has a sharpe
    assert data.portfolio_total_pnl == (0.0 + PNL) + PNL
    assert round(data.portfolio_total_pnl, 6) == 3.901267
    assert data.portfolio_sharpe_ratio is None


async def test_per_symbol() -> None:
    """spec/heat/per-symbol"""
    await _run_symbols("BTCUSDT", "ETHUSDT")
    rows = {row.symbol: row for row in Heat.get_data("heat").symbols}
    assert set(rows) == {"BTCUSDT", "ETHUSDT"}
    for symbol, row in rows.items():
        assert row.total_trades == 1 and row.total_pnl is not None
        _assert_one_trade_row(row, symbol)


async def test_report() -> None:
    """spec/heat/report"""
    await _run_symbols("BTCUSDT")
    report = Heat.get_report("heat")
    assert "# Portfolio Heatmap: heat" in report
    for header in (
        "| Symbol |",
        "| Total PNL |",
        "| Sharpe |",
        "| PF |",
        "| Expect |",
        "| WR |",
        "| Avg Win |",
        "| Avg Loss |",
        "| Max DD |",
        "| W Streak |",
        "| L Streak |",
        "| Trades |",
    ):
        assert header in report
    assert "BTCUSDT" in report
    pnl = "+" + to_fixed(PNL, 2) + "%"  # sprintf %+.2f
    assert report.split("\n") == [
        "# Portfolio Heatmap: heat",
        "",
        f"**Total Symbols:** 1 | **Portfolio PNL:** {pnl} | **Portfolio Sharpe:** N/A"
        " | **Total Trades:** 1",
        "",
        "| Symbol | Total PNL | Sharpe | PF | Expect | WR | Avg Win | Avg Loss | Max DD"
        " | W Streak | L Streak | Trades |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| BTCUSDT | {pnl} | N/A | N/A | N/A | 100.0% | {pnl} | N/A | 0.00% | 1 | 0 | 1 |",
    ]


async def test_portfolio() -> None:
    """spec/heat/portfolio"""
    await _run_symbols("BTCUSDT", "ETHUSDT", "SOLUSDT")
    data = Heat.get_data("heat")
    assert data.total_symbols == 3
    assert data.portfolio_total_trades == 3
    assert data.portfolio_total_pnl is not None
    assert data.portfolio_total_pnl == ((0.0 + PNL) + PNL) + PNL
    assert round(data.portfolio_total_pnl, 6) == 5.851901  # computed
    assert data.portfolio_sharpe_ratio is None
    assert [row.symbol for row in data.symbols] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


async def test_extended_metrics() -> None:
    """spec/heat/extended-metrics"""
    await _run_symbols("BTCUSDT")
    [row] = Heat.get_data("heat").symbols
    for key in (
        "profit_factor",
        "avg_win",
        "avg_loss",
        "max_win_streak",
        "max_loss_streak",
        "expectancy",
    ):
        assert key in row.to_dict()
    _assert_one_trade_row(row, "BTCUSDT")


async def test_sorted_by_sharpe() -> None:
    """spec/heat/sorted-by-sharpe"""
    await _run_symbols("BTCUSDT", "ETHUSDT")
    rows = Heat.get_data("heat").symbols
    assert len(rows) >= 2
    sharpes = [row.sharpe_ratio for row in rows]
    known = [s for s in sharpes if s is not None]
    assert known == sorted(known, reverse=True)
    assert sharpes == known + [None] * (len(sharpes) - len(known))  # None last
    assert sharpes == [None, None]  # computed: n = 1 per symbol
