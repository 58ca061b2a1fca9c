"""The live Markdown report: the exact text of SPEC 10 "live" (joined by "\\n", no final newline).

Same conventions as `reports.backtest`: a title, an empty line, the table over the stored
rows (newest first; default columns in `live_columns`) and, after an empty line,
`**Total events:**`, `**Closed signals:**` and the backtest report's eight metric lines. A
`None` metric prints `N/A` in place of its whole value.
"""

from __future__ import annotations

from collections.abc import Sequence

from .backtest import metric_lines, statistics_report
from .column_config import configured_columns
from .columns import Column, markdown_table
from .live_statistics import LiveStatistics

__all__ = ["live_report"]


def live_report(
    strategy_name: str,
    stats: LiveStatistics,
    columns: Sequence[Column] | None = None,
) -> str:
    """Render `stats` (SPEC 9.2) as the reference's live trading report.

    `columns` defaults to the configured live columns (`set_columns`, initially
    `LIVE_COLUMNS`); only visible columns are rendered.
    """
    title = f"# Live Trading Report: {strategy_name}"
    if stats.total_events == 0:
        return statistics_report(title, "No events recorded yet.")
    table = markdown_table(
        stats.event_list, columns if columns is not None else configured_columns("live_columns")
    )
    summary = [
        f"**Total events:** {stats.total_events}",
        f"**Closed signals:** {stats.total_closed}",
        *metric_lines(stats),
    ]
    return statistics_report(title, *table, "", *summary)
