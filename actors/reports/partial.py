"""The Partial facade (SPEC 9.6, 10, 14): partial profit / loss levels per symbol:strategy.

Opt-in: the storage subscribes to `partial_profit` / `partial_loss` only between
`Partial.enable()` and `Partial.disable()` (off by default, and after `reset()`). Anyone
listening to those topics makes the fast-forward price every candle of every open signal to
find the levels it crosses (about 3x the time of a plain backtest), so an ordinary backtest does
not pay for a report nobody asked for. Results are identical either way; the levels themselves
(and `on_partial_*` callbacks) do not depend on the storage. Keeps the newest 250 rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from backtestkit.bus import PartialEvent

from ..core.engine import EngineLocal, engine_bound
from .columns import Column
from .feed import Handler, OptInReports
from .models import PartialRow, PartialStatistics
from .report_text import table_report

__all__ = ["Partial", "PartialReports", "partial_report", "partial_statistics"]


def partial_statistics(rows: Sequence[PartialRow]) -> PartialStatistics:
    profit = sum(1 for row in rows if row.action == "profit")
    return PartialStatistics(
        event_list=tuple(rows),
        total_events=len(rows),
        total_profit=profit,
        total_loss=len(rows) - profit,
    )


def partial_report(
    symbol: str,
    strategy_name: str,
    stats: PartialStatistics,
    columns: Sequence[Column] | None = None,
) -> str:
    """The partial text (SPEC 10): title, table, three totals; no final newline."""
    return table_report(
        f"# Partial Profit/Loss Report: {symbol}:{strategy_name}",
        stats.total_events,
        "No partial profit/loss events recorded yet.",
        "partial_columns",
        stats.event_list,
        columns,
        [
            f"**Total events:** {stats.total_events}",
            f"**Profit events:** {stats.total_profit}",
            f"**Loss events:** {stats.total_loss}",
        ],
    )


class PartialReports(OptInReports[PartialRow, PartialStatistics]):
    """`Partial`: enable / disable; get_data / get_report / dump per (symbol, strategy)."""

    folder = "partial"
    file_per_symbol = True

    def _handlers(self) -> list[Handler]:
        return [
            (lambda b: b.partial_profit, self._on_profit),
            (lambda b: b.partial_loss, self._on_loss),
        ]

    def _record(self, event: PartialEvent, profit: bool) -> None:
        row = PartialRow(
            timestamp=event.timestamp,
            action="profit" if profit else "loss",
            symbol=event.symbol,
            strategy_name=event.strategy_name,
            signal_id=event.data.id,
            position=event.data.position,
            current_price=event.current_price,
            level=event.level,
            backtest=event.backtest,
        )
        self._book.add(f"{event.symbol}:{event.strategy_name}", row)

    def _on_profit(self, event: PartialEvent) -> None:
        self._record(event, True)

    def _on_loss(self, event: PartialEvent) -> None:
        self._record(event, False)

    _summary = staticmethod(partial_statistics)
    _render = staticmethod(partial_report)


Partial = engine_bound(EngineLocal("Partial", lambda engine: PartialReports(engine.bus)))
