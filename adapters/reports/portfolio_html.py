"""The portfolio HTML report: one self-contained file (inline CSS, the chart as a base64 PNG).

Sections: the portfolio summary, the equity curve (return on capital, %) and its drawdown,
per-symbol contribution, the equity at each close, the refused entries and the reference's
heatmap (per-symbol statistics) of each strategy."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

import structlog

from backtestkit.actors import Portfolio
from backtestkit.actors.portfolio import PortfolioMode, PortfolioStatistics
from backtestkit.actors.portfolio.report import REPORT_REJECTIONS, money_places, summary_rows
from backtestkit.actors.reports.formatting import iso_ms, to_fixed

from .equity import EquityCurve
from .page import page, table_html
from .plotly_charts import equity_chart_plotly, plotly_head, plotly_installed

__all__ = ["portfolio_curve", "render_portfolio_html", "write_portfolio_html"]

_log = structlog.get_logger("backtestkit.reports")
_NA = "N/A"


def _fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return _NA if value is None else to_fixed(value, digits) + suffix


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return table_html(header, rows, "summary" if len(header) == 2 else "trades", labelled=True)


def portfolio_curve(stats: PortfolioStatistics) -> EquityCurve:
    """The equity as a return on the starting capital (%), with its drawdown (pp)."""
    if stats.capital is None or not stats.equity:
        return EquityCurve((), (), ())
    returns = [(p.equity / stats.capital - 1) * 100 for p in stats.equity]
    peak = float("-inf")
    drawdown = []
    for value in returns:
        peak = max(peak, value)
        drawdown.append(value - peak)
    return EquityCurve(tuple(p.timestamp for p in stats.equity), tuple(returns), tuple(drawdown))


def _chart(stats: PortfolioStatistics, title: str) -> str:
    curve = portfolio_curve(stats)
    if len(curve) < 2:
        return "<p>No equity curve: the portfolio ran without capital.</p>"
    if not plotly_installed():
        return "<p class=\"note\">The interactive chart needs extra 'plot' (plotly).</p>"
    return equity_chart_plotly(curve, title) + (
        "<p>Equity (cash + open positions marked at their last one-minute close) as a return "
        "on the starting capital, at every entry, close and end of day, and its drawdown from "
        "the running peak.</p>"
    )


def render_portfolio_html(stats: PortfolioStatistics) -> str:
    title = f"Portfolio report: {', '.join(stats.strategies)} on {', '.join(stats.symbols)}"
    parts = [
        '<section id="summary"><h2>Summary</h2>',
        _table(["", "value"], summary_rows(stats)),
        "</section>",
        f'<section id="equity"><h2>Equity and drawdown</h2>{_chart(stats, title)}</section>',
    ]
    if stats.capital is not None:
        places = money_places(stats.capital)
        contributions = [
            [
                c.symbol,
                str(c.trades),
                _fmt(c.pnl, places),
                _fmt(c.fees, places),
                _fmt(c.share_pct, 2, " %"),
            ]
            for c in stats.contributions
        ]
        trades = [
            [
                iso_ms(t.opened_at),
                iso_ms(t.closed_at),
                t.symbol,
                t.strategy_name,
                t.position,
                to_fixed(t.quantity, 6),
                _fmt(t.cost, places),
                _fmt(t.fee_open + t.fee_close, places),
                _fmt(t.pnl, places),
            ]
            for t in stats.trades
        ]
        parts += [
            '<section id="contribution"><h2>Per-symbol contribution</h2>',
            _table(["Symbol", "Trades", "PnL", "Fees", "Share"], contributions),
            "</section>",
            '<section id="trades"><h2>Positions (in close order)</h2>',
            _table(
                [
                    "Opened",
                    "Closed",
                    "Symbol",
                    "Strategy",
                    "Side",
                    "Quantity",
                    "Cost",
                    "Fees",
                    "PnL",
                ],
                trades,
            ),
            "</section>",
        ]
    if stats.rejections:
        rows = [
            [iso_ms(r.timestamp), r.symbol, r.strategy_name, r.comment, ", ".join(r.held_by)]
            for r in stats.rejections[:REPORT_REJECTIONS]
        ]
        parts += [
            f'<section id="rejections"><h2>Refused entries ({len(stats.rejections)}, first '
            f"{REPORT_REJECTIONS})</h2>",
            _table(["Time", "Symbol", "Strategy", "Reason", "Held by"], rows),
            "</section>",
        ]
    for strategy, heat in stats.heat.items():
        rows = [
            [
                r.symbol,
                _fmt(r.total_pnl, 2, " %"),
                _fmt(r.sharpe_ratio, 3),
                _fmt(r.max_drawdown, 2, " pp"),
                str(r.total_trades),
                _fmt(r.win_rate, 2, " %"),
                _fmt(r.profit_factor, 3),
            ]
            for r in heat.symbols
        ]
        parts += [
            f'<section class="heatmap"><h2>Heatmap: {escape(strategy)}</h2>',
            _table(["Symbol", "Total PnL", "Sharpe", "Max DD", "Trades", "Win rate", "PF"], rows),
            "</section>",
        ]
    head = plotly_head() if stats.capital is not None and plotly_installed() else ""
    return page(title, parts, head=head)


def write_portfolio_html(
    symbols: Sequence[str],
    strategy: str | Sequence[str],
    path: str | Path | None = None,
    *,
    portfolio: PortfolioMode = Portfolio,
) -> Path:
    """Write the HTML report of a finished portfolio run (default
    ./dump/portfolio/<strategies>.html); needs matplotlib when it has an equity curve."""
    stats = portfolio.get_data(symbols, strategy)
    name = "+".join(stats.strategies)
    target = Path(path) if path is not None else Path("dump", "portfolio", f"{name}.html")
    if target.suffix != ".html":
        target = target / f"{name}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_portfolio_html(stats), encoding="utf-8")
    _log.info("report_saved", path=str(target))
    return target
