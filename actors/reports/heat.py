"""The Heat facade (SPEC 9.4, 10, 14): a strategy's portfolio heatmap across symbols.

Per strategy, per symbol the newest 250 closed signals of both modes. Fed by the `closed`
results of the bus `transition` topic (one call per close). Every sum is a running float sum
over the stored list, newest first, as the reference's `reduce`; drawdown and streaks walk it
newest first too (Q23).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from backtestkit.bus import Bus, Closed, TickResult, current_bus

from ..core.engine import EngineLocal, engine_bound
from ..core.facade_support import write_report
from ..core.registry import registry
from .columns import Column
from .feed import BusFeed, RowBook, subscribed
from .formatting import to_fixed
from .models import HeatmapRow, HeatmapStatistics
from .report_text import configured_table, statistics_report
from .tables import sprintf_plus

__all__ = ["Heat", "HeatReports", "heat_report", "heat_row", "heat_statistics"]

STORED_SIGNALS = 250


def _safe(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _running_sum(values: Sequence[float]) -> float:
    total = 0.0
    for value in values:
        total = total + value
    return total


def heat_row(symbol: str, closed: Sequence[Closed]) -> HeatmapRow:
    """SPEC 9.4 for one symbol's stored closed signals (newest first, non-empty)."""
    pnls = [result.pnl.pnl_percentage for result in closed]
    n = len(pnls)
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    total = _running_sum(pnls)
    avg = total / n
    std: float | None = None
    if n > 1:
        squares = 0.0
        for p in pnls:
            squares = squares + (p - avg) * (p - avg)
        std = math.sqrt(squares / n)
    sharpe = avg / std if std is not None and std != 0 else None
    cumulative = drawdown = 0.0
    win_streak = loss_streak = max_win = max_loss = 0
    for p in pnls:
        cumulative = cumulative + p
        if cumulative <= 0 and abs(cumulative) > drawdown:
            drawdown = abs(cumulative)
        if p > 0:
            win_streak, loss_streak = win_streak + 1, 0
            max_win = max(max_win, win_streak)
        elif p < 0:
            win_streak, loss_streak = 0, loss_streak + 1
            max_loss = max(max_loss, loss_streak)
    profit_factor = None
    if wins and losses:
        lost = abs(_running_sum(losses))
        profit_factor = _running_sum(wins) / lost if lost > 0 else None
    avg_win = _running_sum(wins) / len(wins) if wins else None
    avg_loss = _running_sum(losses) / len(losses) if losses else None
    win_rate = len(wins) / n * 100
    expectancy = None
    if avg_win is not None and avg_loss is not None:
        expectancy = win_rate / 100 * avg_win + (100 - win_rate) / 100 * avg_loss
    return HeatmapRow(
        symbol=symbol,
        total_pnl=_safe(total),
        sharpe_ratio=_safe(sharpe),
        max_drawdown=_safe(drawdown),
        total_trades=n,
        win_count=len(wins),
        loss_count=len(losses),
        win_rate=_safe(win_rate),
        avg_pnl=_safe(avg),
        std_dev=_safe(std),
        profit_factor=_safe(profit_factor),
        avg_win=_safe(avg_win),
        avg_loss=_safe(avg_loss),
        max_win_streak=max_win,
        max_loss_streak=max_loss,
        expectancy=_safe(expectancy),
    )


def heat_statistics(by_symbol: dict[str, tuple[Closed, ...]]) -> HeatmapStatistics:
    """Rows sorted by Sharpe (descending, None last; ties keep first-seen order) and totals."""
    rows = [heat_row(symbol, closed) for symbol, closed in by_symbol.items() if closed]
    rows.sort(key=lambda row: (row.sharpe_ratio is None, -(row.sharpe_ratio or 0.0)))
    trades = 0
    for row in rows:
        trades += row.total_trades
    total_pnl = _running_sum([row.total_pnl or 0.0 for row in rows]) if rows else None
    sharpe = None
    with_sharpe = [row for row in rows if row.sharpe_ratio is not None]
    if with_sharpe and trades > 0:
        weighted = 0.0
        for row in with_sharpe:
            assert row.sharpe_ratio is not None
            weighted = weighted + row.sharpe_ratio * row.total_trades
        sharpe = weighted / trades
    return HeatmapStatistics(
        symbols=tuple(rows),
        total_symbols=len(rows),
        portfolio_total_pnl=_safe(total_pnl),
        portfolio_sharpe_ratio=_safe(sharpe),
        portfolio_total_trades=trades,
    )


def heat_report(
    strategy_name: str, stats: HeatmapStatistics, columns: Sequence[Column] | None = None
) -> str:
    """The heatmap text (SPEC 10): title, one portfolio line, the table; no final newline."""
    title = f"# Portfolio Heatmap: {strategy_name}"
    if not stats.symbols:
        return statistics_report(title, "*No data available*")
    pnl = stats.portfolio_total_pnl
    sharpe = stats.portfolio_sharpe_ratio
    line = (
        f"**Total Symbols:** {stats.total_symbols} | "
        f"**Portfolio PNL:** {'N/A' if pnl is None else sprintf_plus(pnl, 2) + '%'} | "
        f"**Portfolio Sharpe:** {'N/A' if sharpe is None else to_fixed(sharpe, 2)} | "
        f"**Total Trades:** {stats.portfolio_total_trades}"
    )
    return statistics_report(
        title, line, "", *configured_table("heat_columns", stats.symbols, columns)
    )


class HeatReports:
    """`Heat`: get_data / get_report / dump per strategy; clear / reset."""

    def __init__(self, bus: Bus | None = None) -> None:
        self._books: dict[str, RowBook[Closed]] = {}
        self._feed = BusFeed(
            bus or current_bus(), [(lambda b: b.transition, self._on_result, (Closed,))]
        )

    def _on_result(self, result: TickResult) -> None:
        if isinstance(result, Closed):
            book = self._books.get(result.strategy_name)
            if book is None:
                book = self._books[result.strategy_name] = RowBook(STORED_SIGNALS)
            book.add(result.symbol, result)

    def get_data(self, strategy: str) -> HeatmapStatistics:
        registry.strategy(strategy)
        book = self._books.get(strategy)
        if book is None:
            return heat_statistics({})
        return heat_statistics({symbol: book.rows(symbol) for symbol in book.names()})

    def get_report(self, strategy: str, columns: Sequence[Column] | None = None) -> str:
        return heat_report(strategy, self.get_data(strategy), columns)

    def dump(
        self,
        strategy: str,
        path: str | Path | None = None,
        columns: Sequence[Column] | None = None,
    ) -> Path:
        """Write the report to `path` (a file or directory; default
        ./dump/heatmap/<strategy>.md)."""
        return write_report(self.get_report(strategy, columns), "heatmap", strategy, path)

    def clear(self, strategy: str | None = None) -> None:
        """Forget one strategy's signals, or everything."""
        if strategy is None:
            self._books.clear()
        else:
            self._books.pop(strategy, None)

    def attach(self) -> None:
        """(Re)subscribe to the bus; done on import and by `reset()`."""
        self._feed.attach()

    def reset(self) -> None:
        """Forget everything and resubscribe (test isolation)."""
        self._books.clear()
        self._feed.attach()


Heat = engine_bound(EngineLocal("Heat", subscribed(HeatReports), always_on=True))
