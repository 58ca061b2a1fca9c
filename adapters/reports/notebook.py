"""Inline display in Jupyter: `show("BTCUSD", "breakout", frame="aug")` as a cell's last line
renders the summary, the research metrics (with `frame`) and the equity + drawdown chart
(`_repr_html_`; the chart is a PNG, extra `png`)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from backtestkit.actors import Backtest, BacktestStatistics
from backtestkit.actors.backtest import BacktestMode
from backtestkit.actors.reports import ResearchMetrics

from .html import equity_chart_html, research_table_html, summary_table_html

__all__ = ["BacktestView", "show"]

_STYLE = (
    "<style>.btk table{border-collapse:collapse}.btk th,.btk td{border:1px solid #d0d7de;"
    "padding:.2rem .5rem;text-align:left}.btk img{max-width:100%}</style>"
)


@dataclass(frozen=True, slots=True)
class BacktestView:
    """A finished backtest as notebooks display it."""

    stats: BacktestStatistics
    strategy: str
    symbol: str | None = None
    research: ResearchMetrics | None = None

    def _repr_html_(self) -> str:
        title = self.strategy + (f" on {self.symbol}" if self.symbol else "")
        parts = [
            _STYLE,
            '<div class="btk">',
            f"<h3>Backtest: {escape(title)}</h3>",
            summary_table_html(self.stats),
        ]
        if self.research is not None:
            parts += ["<h4>Research metrics</h4>", research_table_html(self.research)]
        parts += [equity_chart_html(self.stats, self.strategy, interactive=False), "</div>"]
        return "\n".join(parts)


def show(
    symbol: str, strategy: str, *, frame: str | None = None, backtest: BacktestMode = Backtest
) -> BacktestView:
    """The view of a finished backtest; with its `frame` name it includes research metrics."""
    research = None if frame is None else backtest.research(symbol, strategy, frame=frame)
    return BacktestView(backtest.get_data(symbol, strategy), strategy, symbol, research)
