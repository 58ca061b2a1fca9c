"""The walker Markdown report: the exact text of SPEC 10.3 (joined by "\\n", no final newline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backtestkit.bus import Closed

from .column_config import configured_columns
from .columns import Column, markdown_table
from .formatting import to_fixed
from .ranking import rank_by_metric, reference_metric_name
from .walker_models import WalkerResults, WalkerStrategyResult

__all__ = ["WalkerSignalRow", "walker_report"]

_NA = "N/A"
_TOP = 10
_NOTE = (
    "**Note:** Higher values are better for all metrics except Standard Deviation "
    "(lower is better)."
)


@dataclass(frozen=True, slots=True)
class WalkerSignalRow:
    """One row of the PNL table: a closed signal and the strategy that produced it."""

    strategy_name: str
    result: Closed


def _comparison(
    results: Sequence[WalkerStrategyResult], metric: str, columns: Sequence[Column]
) -> list[str]:
    if not results:
        return ["No strategy results available."]
    ranked = rank_by_metric(results, [r.metric_value for r in results], metric)
    return markdown_table(ranked[:_TOP], columns)


def _pnl_table(results: Sequence[WalkerStrategyResult], columns: Sequence[Column]) -> list[str]:
    if not results:
        return ["No strategy results available."]
    rows = [
        WalkerSignalRow(result.strategy_name, closed)
        for result in results
        for closed in result.stats.signal_list
    ]
    if not rows:
        return ["No closed signals available."]
    return markdown_table(rows, columns)


def _failed(names: Sequence[str]) -> list[str]:
    """Only when some failed (the reference's text is unchanged otherwise)."""
    if not names:
        return []
    return [f"**Strategies Failed:** {len(names)} ({', '.join(names)})"]


def walker_report(
    data: WalkerResults,
    strategy_columns: Sequence[Column] | None = None,
    pnl_columns: Sequence[Column] | None = None,
) -> str:
    """Render `Walker.get_data` as the reference's walker comparison report.

    Columns default to the configured `walker_strategy_columns` / `walker_pnl_columns`
    (`set_columns`, initially WALKER_STRATEGY_COLUMNS / WALKER_PNL_COLUMNS). The metric is
    printed under the reference's name (`sharpeRatio`); a missing best strategy prints `null`,
    as the reference's template does.
    """
    if strategy_columns is None:
        strategy_columns = configured_columns("walker_strategy_columns")
    if pnl_columns is None:
        pnl_columns = configured_columns("walker_pnl_columns")
    metric = reference_metric_name(data.metric)
    best_signals = data.best_stats.total_signals if data.best_stats is not None else 0
    best_metric = _NA if data.best_metric is None else to_fixed(data.best_metric, 2)
    results = data.strategy_results
    lines = [
        f"# Walker Comparison Report: {data.walker_name}",
        "",
        f"**Symbol:** {data.symbol}",
        f"**Exchange:** {data.exchange_name}",
        f"**Frame:** {data.frame_name}",
        f"**Optimization Metric:** {metric}",
        f"**Strategies Tested:** {data.total_strategies}",
        *_failed(data.failed_strategies),
        "",
        f"## Best Strategy: {'null' if data.best_strategy is None else data.best_strategy}",
        "",
        f"**Best {metric}:** {best_metric}",
        f"**Total Signals:** {best_signals}",
        "",
        "## Top Strategies Comparison",
        "",
        *_comparison(results, data.metric, strategy_columns),
        "",
        "## All Signals (PNL Table)",
        "",
        *_pnl_table(results, pnl_columns),
        "",
        _NOTE,
    ]
    return "\n".join(lines)
