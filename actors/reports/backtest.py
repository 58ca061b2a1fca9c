"""The backtest Markdown report: the exact text of SPEC 10.2 (joined by "\\n", no final newline)."""

from __future__ import annotations

from collections.abc import Sequence

from .backtest_statistics import BacktestStatistics
from .column_config import configured_columns
from .columns import Column, markdown_table
from .formatting import signed, to_fixed
from .live_statistics import LiveStatistics

__all__ = ["backtest_report", "cap_note", "statistics_report"]

_NA = "N/A"


def backtest_report(
    strategy_name: str,
    stats: BacktestStatistics,
    columns: Sequence[Column] | None = None,
) -> str:
    """Render `stats` (SPEC 9.1) as the reference's backtest report.

    `columns` defaults to the configured backtest columns (`set_columns`, initially
    `BACKTEST_COLUMNS`); only visible columns are rendered. A `None`
    metric prints `N/A` in place of the whole value (including `%`, W/L part and suffix).
    """
    if stats.total_signals == 0:
        return statistics_report(f"# Backtest Report: {strategy_name}", "No signals closed yet.")
    summary = [
        f"**Total signals:** {stats.total_signals}",
        f"**Closed signals:** {stats.total_signals}",
        *metric_lines(stats),
        *cap_note(stats),
    ]
    table = markdown_table(
        stats.signal_list,
        columns if columns is not None else configured_columns("backtest_columns"),
    )
    return statistics_report(f"# Backtest Report: {strategy_name}", *table, "", *summary)


def statistics_report(title: str, *lines: str) -> str:
    """A report's text: its title, an empty line, then `lines` (SPEC 10, no final newline)."""
    return "\n".join([title, "", *lines])


def cap_note(stats: BacktestStatistics) -> list[str]:
    """A closing line when the run closed more signals than the report keeps (the reference's
    newest 250, SPEC 9.1); nothing otherwise, so the text stays the reference's."""
    closed = len(stats.ledger) if stats.ledger is not None else 0
    if closed <= stats.total_signals:
        return []
    return [
        "",
        f"*This report lists and counts the newest {stats.total_signals} of {closed} closed "
        f"signals (the reference's cap); research metrics count all {closed}.*",
    ]


def metric_lines(stats: BacktestStatistics | LiveStatistics) -> list[str]:
    """The eight metric lines shared by the backtest and live reports; None prints N/A."""
    win_rate = stats.win_rate
    avg_pnl = stats.avg_pnl
    total_pnl = stats.total_pnl
    std_dev = stats.std_dev
    sharpe = stats.sharpe_ratio
    annualized = stats.annualized_sharpe_ratio
    certainty = stats.certainty_ratio
    yearly = stats.expected_yearly_returns
    return [
        "**Win rate:** "
        + (
            _NA
            if win_rate is None
            else f"{to_fixed(win_rate, 2)}% ({stats.win_count}W / {stats.loss_count}L)"
            " (higher is better)"
        ),
        "**Average PNL:** "
        + (_NA if avg_pnl is None else f"{signed(avg_pnl, 2)}% (higher is better)"),
        "**Total PNL:** "
        + (_NA if total_pnl is None else f"{signed(total_pnl, 2)}% (higher is better)"),
        "**Standard Deviation:** "
        + (_NA if std_dev is None else f"{to_fixed(std_dev, 3)}% (lower is better)"),
        "**Sharpe Ratio:** "
        + (_NA if sharpe is None else f"{to_fixed(sharpe, 3)} (higher is better)"),
        "**Annualized Sharpe Ratio:** "
        + (_NA if annualized is None else f"{to_fixed(annualized, 3)} (higher is better)"),
        "**Certainty Ratio:** "
        + (_NA if certainty is None else f"{to_fixed(certainty, 3)} (higher is better)"),
        "**Expected Yearly Returns:** "
        + (_NA if yearly is None else f"{signed(yearly, 2)}% (higher is better)"),
    ]
