"""SCENARIOS A.4 spec/report (backtest part): the Markdown report after one STD-LONG trade.

spec/report/live-markdown (Live mode) is in test_spec_live.py.
"""

from __future__ import annotations

import pytest

from backtestkit.actors import Backtest, add_strategy

from .harness import P_STAR, add_day_frame, add_mock_exchange, minutes, std_long
from .spec_support import SYMBOL, run_background, signed, spec_pnl, spec_statistics, to_fixed

pytestmark = pytest.mark.anyio

PNL = spec_pnl("long", P_STAR, P_STAR + 1000)  # SCENARIOS 0.5: +1.950634 %
STATS = spec_statistics([PNL], [minutes(7)])


async def _report_after_one_trade() -> str:
    add_mock_exchange()
    add_day_frame()
    add_strategy("std", interval="1m", get_signal=std_long())
    await run_background(strategy="std")
    return Backtest.get_report(SYMBOL, "std")


def _expected_report(signal_id: str) -> str:
    """SPEC 10.2 for the single computed trade (Note column hidden by default)."""

    def usd(price: float) -> str:
        return to_fixed(price, 8) + " USD"

    header = [
        "Signal ID",
        "Symbol",
        "Position",
        "Open Price",
        "Close Price",
        "Take Profit",
        "Stop Loss",
        "PNL (net)",
        "Close Reason",
        "Duration (min)",
        "Open Time",
        "Close Time",
    ]
    row = [
        signal_id,
        SYMBOL,
        "LONG",
        usd(P_STAR),
        usd(P_STAR + 1000),
        usd(P_STAR + 1000),
        usd(P_STAR - 1000),
        signed(PNL, 2) + "%",
        "take_profit",
        "7",
        "2024-01-01T00:00:00.000Z",
        "2024-01-01T00:07:00.000Z",
    ]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    s = STATS
    return "\n".join(
        [
            "# Backtest Report: std",
            "",
            line(header),
            line(["---"] * len(header)),
            line(row),
            "",
            "**Total signals:** 1",
            "**Closed signals:** 1",
            f"**Win rate:** {to_fixed(s['win_rate'], 2)}% (1W / 0L) (higher is better)",
            f"**Average PNL:** {signed(s['avg_pnl'], 2)}% (higher is better)",
            f"**Total PNL:** {signed(s['total_pnl'], 2)}% (higher is better)",
            f"**Standard Deviation:** {to_fixed(s['std_dev'], 3)}% (lower is better)",
            f"**Sharpe Ratio:** {to_fixed(s['sharpe_ratio'], 3)} (higher is better)",
            "**Annualized Sharpe Ratio:** "
            f"{to_fixed(s['annualized_sharpe_ratio'], 3)} (higher is better)",
            f"**Certainty Ratio:** {to_fixed(s['certainty_ratio'], 3)} (higher is better)",
            "**Expected Yearly Returns:** "
            f"{signed(s['expected_yearly_returns'], 2)}% (higher is better)",
        ]
    )


async def test_backtest_markdown() -> None:
    """spec/report/backtest-markdown"""
    report = await _report_after_one_trade()
    assert "# Backtest Report:" in report
    # computed: the whole text of SPEC 10.2 (no trailing newline)
    signal_id = Backtest.get_data(SYMBOL, "std").signal_list[0].signal.id
    assert report == _expected_report(signal_id)


async def test_backtest_stats_lines() -> None:
    """spec/report/backtest-stats-lines"""
    report = await _report_after_one_trade()
    for text in ("Win rate:", "Average PNL:", "Total PNL:", "Closed signals:"):
        assert text in report
    lines = report.split("\n")
    # computed: 1 closed, 100 % (1W / 0L), avg and total +1.95 %
    assert "**Closed signals:** 1" in lines
    assert "**Win rate:** 100.00% (1W / 0L) (higher is better)" in lines
    assert "**Average PNL:** +1.95% (higher is better)" in lines
    assert "**Total PNL:** +1.95% (higher is better)" in lines
    # n = 1: std 0 -> sharpe 0 (not N/A), no loss -> certainty 0
    assert "**Standard Deviation:** 0.000% (lower is better)" in lines
    assert "**Sharpe Ratio:** 0.000 (higher is better)" in lines
    assert "**Certainty Ratio:** 0.000 (higher is better)" in lines


async def test_backtest_table() -> None:
    """spec/report/backtest-table"""
    report = await _report_after_one_trade()
    assert " | " in report
    rows = [line for line in report.split("\n") if line.startswith("| ")]
    assert len(rows) == 3  # header, separator, one trade (computed)
    cells = rows[2].strip("| ").split(" | ")
    assert cells[1:] == [
        SYMBOL,
        "LONG",
        "42460.33333333 USD",
        "43460.33333333 USD",
        "43460.33333333 USD",
        "41460.33333333 USD",
        "+1.95%",
        "take_profit",
        "7",
        "2024-01-01T00:00:00.000Z",
        "2024-01-01T00:07:00.000Z",
    ]
