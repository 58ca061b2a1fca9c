"""The backtest Markdown report: the exact text of SPEC 10.2 (joined by "\\n", no final newline)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .backtest_statistics import BacktestStatistics
from .columns import Column
from .formatting import signed, to_fixed
from .live_statistics import LiveStatistics
from .report_text import table_report

__all__ = ["backtest_report", "cap_note"]

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
    return table_report(
        f"# Backtest Report: {strategy_name}",
        stats.total_signals,
        "No signals closed yet.",
        "backtest_columns",
        stats.signal_list,
        columns,
        [
            f"**Total signals:** {stats.total_signals}",
            f"**Closed signals:** {stats.total_signals}",
            *metric_lines(stats),
            *cap_note(stats),
        ],
    )


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


_METRICS: tuple[tuple[str, str, Callable[[float, int], str], int, str, str], ...] = (
    ("Average PNL", "avg_pnl", signed, 2, "%", "higher"),
    ("Total PNL", "total_pnl", signed, 2, "%", "higher"),
    ("Standard Deviation", "std_dev", to_fixed, 3, "%", "lower"),
    ("Sharpe Ratio", "sharpe_ratio", to_fixed, 3, "", "higher"),
    ("Annualized Sharpe Ratio", "annualized_sharpe_ratio", to_fixed, 3, "", "higher"),
    ("Certainty Ratio", "certainty_ratio", to_fixed, 3, "", "higher"),
    ("Expected Yearly Returns", "expected_yearly_returns", signed, 2, "%", "higher"),
)
"""The metric lines after the win rate: label, field, number format, digits, unit, direction."""


def metric_lines(stats: BacktestStatistics | LiveStatistics) -> list[str]:
    """The eight metric lines shared by the backtest and live reports; None prints N/A."""
    win_rate = stats.win_rate
    lines = [
        "**Win rate:** "
        + (
            _NA
            if win_rate is None
            else f"{to_fixed(win_rate, 2)}% ({stats.win_count}W / {stats.loss_count}L)"
            " (higher is better)"
        )
    ]
    for label, name, number, digits, unit, better in _METRICS:
        value: float | None = getattr(stats, name)
        shown = _NA if value is None else f"{number(value, digits)}{unit} ({better} is better)"
        lines.append(f"**{label}:** {shown}")
    return lines
