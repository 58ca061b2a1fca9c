"""The live Markdown report: the exact text of SPEC 10 "live" (joined by "\\n", no final newline).

Same conventions as `reports.backtest`: a title, an empty line, the table over the stored
rows (newest first; default columns in `live_columns`) and, after an empty line,
`**Total events:**`, `**Closed signals:**` and the backtest report's eight metric lines. A
`None` metric prints `N/A` in place of its whole value.
"""

from __future__ import annotations

from collections.abc import Sequence

from .backtest import metric_lines
from .columns import Column
from .live_statistics import LiveStatistics
from .report_text import table_report

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
    return table_report(
        f"# Live Trading Report: {strategy_name}",
        stats.total_events,
        "No events recorded yet.",
        "live_columns",
        stats.event_list,
        columns,
        [
            f"**Total events:** {stats.total_events}",
            f"**Closed signals:** {stats.total_closed}",
            *metric_lines(stats),
        ],
    )
