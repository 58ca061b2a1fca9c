"""The RiskRejections report facade (SPEC 9.7, 10, 14; the reference's `Risk`): risk
rejections per symbol:strategy (the risk actor itself is core.risk.RiskGate).

Fed by the bus `risk` topic (one event per rejection; allowed signals cost nothing). Keeps the
newest 250 rejections per "<symbol>:<strategy>".
"""

from __future__ import annotations

from collections.abc import Sequence

from backtestkit.bus import RiskEvent

from ..core.engine import EngineLocal, engine_bound
from .columns import Column
from .feed import AlwaysOnReports, Handler, subscribed
from .models import RiskStatistics
from .report_text import table_report

__all__ = ["RiskRejections", "RiskReports", "risk_report", "risk_statistics"]


def risk_statistics(events: Sequence[RiskEvent]) -> RiskStatistics:
    """Counts by symbol and by strategy, in first-seen order of the newest-first list."""
    by_symbol: dict[str, int] = {}
    by_strategy: dict[str, int] = {}
    for event in events:
        by_symbol[event.symbol] = by_symbol.get(event.symbol, 0) + 1
        by_strategy[event.strategy_name] = by_strategy.get(event.strategy_name, 0) + 1
    return RiskStatistics(
        event_list=tuple(events),
        total_rejections=len(events),
        by_symbol=by_symbol,
        by_strategy=by_strategy,
    )


def risk_report(
    symbol: str,
    strategy_name: str,
    stats: RiskStatistics,
    columns: Sequence[Column] | None = None,
) -> str:
    """The risk text (SPEC 10): title, table, total, counts by symbol and by strategy."""
    return table_report(
        f"# Risk Rejection Report: {symbol}:{strategy_name}",
        stats.total_rejections,
        "No risk rejections recorded yet.",
        "risk_columns",
        stats.event_list,
        columns,
        [
            f"**Total rejections:** {stats.total_rejections}",
            "",
            "## Rejections by Symbol",
            *(f"- {name}: {count}" for name, count in stats.by_symbol.items()),
            "",
            "## Rejections by Strategy",
            *(f"- {name}: {count}" for name, count in stats.by_strategy.items()),
        ],
    )


class RiskReports(AlwaysOnReports[RiskEvent, RiskStatistics]):
    """`RiskRejections`: get_data / get_report / dump per (symbol, strategy); clear / reset."""

    folder = "risk"
    file_per_symbol = True

    def _handlers(self) -> list[Handler]:
        return [(lambda b: b.risk, self._on_rejection)]

    def _on_rejection(self, event: RiskEvent) -> None:
        self._book.add(f"{event.symbol}:{event.strategy_name}", event)

    _summary = staticmethod(risk_statistics)
    _render = staticmethod(risk_report)


RiskRejections = engine_bound(
    EngineLocal("RiskRejections", subscribed(RiskReports), always_on=True)
)
