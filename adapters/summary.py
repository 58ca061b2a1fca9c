"""Terminal summaries: rich tables of a backtest's statistics and of a walker's ranking."""

from __future__ import annotations

from rich.console import Group, JustifyMethod, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from backtestkit.actors import BacktestStatistics, WalkerResults
from backtestkit.actors.reports.ranking import rank_by_metric
from backtestkit.actors.signal import SignalRejections

__all__ = ["backtest_summary", "walker_summary"]


def _fmt(value: float | None, suffix: str = "", sign: str = "+", digits: int = 2) -> str:
    return "N/A" if value is None else f"{value:{sign}.{digits}f}{suffix}"


def backtest_summary(
    stats: BacktestStatistics,
    *,
    title: str | None = None,
    results: int | None = None,
    rejections: SignalRejections | None = None,
) -> RenderableType:
    """Closed-signal statistics; PnL figures are net of fees and slippage. `results` is the
    number of results the run yielded (closed + cancelled), shown when given; `rejections`
    (`Backtest.get_rejections`) adds "signals rejected: N" and the first reasons below."""
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    if results is not None:
        table.add_row("results (closed + cancelled)", str(results))
    table.add_row("closed signals counted", str(stats.total_signals))
    table.add_row("wins / losses", f"{stats.win_count} / {stats.loss_count}")
    table.add_row("win rate", _fmt(stats.win_rate, " %", ""))
    table.add_row("total PnL (net of fees, slippage)", _fmt(stats.total_pnl, " %"))
    table.add_row("average PnL", _fmt(stats.avg_pnl, " %"))
    table.add_row("sharpe ratio", _fmt(stats.sharpe_ratio))
    table.add_row("max drawdown", _fmt(stats.max_drawdown, " pp", ""))
    if rejections is None:
        return table
    reasons = Text(rejections.summary(), style="yellow" if rejections else "")
    return Group(table, reasons)  # print with soft_wrap=True: one reason a line


def walker_summary(results: WalkerResults) -> Table:
    """The walker's strategies, best first by its metric."""
    table = Table(title=f"{results.walker_name} on {results.symbol}, ranked by {results.metric}")
    if results.failed_strategies:
        failed = results.failed_strategies
        names = escape(", ".join(failed))  # a sweep's name holds [...]: not rich markup
        table.caption = f"FAILED ({len(failed)} of {results.total_strategies}): {names}"
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("rank", "right"),
        ("strategy", "left"),
        (results.metric, "right"),
        ("trades", "right"),
        ("win rate", "right"),
        ("total PnL", "right"),
        ("max drawdown", "right"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)
    tested = list(reversed(results.strategy_results))  # stored newest first
    ranked = rank_by_metric(tested, [r.metric_value for r in tested], results.metric)
    for rank, row in enumerate(ranked, 1):
        stats = row.stats
        table.add_row(
            str(rank),
            row.strategy_name,
            _fmt(row.metric_value, "", "", 4),
            str(stats.total_trades),
            _fmt(stats.win_rate, " %", ""),
            _fmt(stats.total_pnl, " %"),
            _fmt(stats.max_drawdown, " pp", ""),
        )
    return table
