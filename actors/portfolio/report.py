"""The portfolio's Markdown report: summary, per-symbol contribution, equity at each close,
rejections, and the reference's heatmap (per-symbol statistics) of each strategy."""

from __future__ import annotations

import math

from ..reports.formatting import iso_ms, signed, to_fixed
from ..reports.heat import heat_report
from .models import PortfolioStatistics

__all__ = ["REPORT_REJECTIONS", "money_places", "portfolio_report", "summary_rows"]

REPORT_REJECTIONS = 20
NA = "N/A"


def money_places(capital: float | None) -> int:
    """Decimal places for the portfolio's money: a ten-thousandth of the starting capital, at
    least cents (10 000 USD: 2 places; 1 BTC: 4, so a quote currency worth more keeps its
    detail)."""
    if capital is None or not capital > 0 or not math.isfinite(capital):
        return 2
    return max(2, 4 - math.floor(math.log10(capital)))


def _money(value: float | None, places: int) -> str:
    return NA if value is None else to_fixed(value, places)


def _pct(value: float | None) -> str:
    return NA if value is None else signed(value, 2) + "%"


def _plain_pct(value: float | None) -> str:
    return NA if value is None else to_fixed(value, 2) + "%"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def summary_rows(stats: PortfolioStatistics) -> list[tuple[str, str]]:
    """The portfolio summary, label and value (Markdown, HTML and the terminal share it)."""
    closed = sum(h.portfolio_total_trades for h in stats.heat.values())
    rows = [
        ("Symbols", ", ".join(stats.symbols)),
        ("Strategies", ", ".join(stats.strategies)),
        ("Closed signals", str(closed)),
        ("Rejected entries", str(len(stats.rejections))),
    ]
    if stats.capital is None:
        return rows
    research = stats.research
    places = money_places(stats.capital)
    return [
        *rows,
        ("Starting capital", _money(stats.capital, places)),
        ("Final equity", _money(stats.final_equity, places)),
        ("Return", _pct(stats.total_return_pct)),
        ("Max drawdown", _plain_pct(stats.max_drawdown_pct)),
        ("Time with a position", _plain_pct(stats.exposure_time_pct)),
        ("Average exposure", _plain_pct(stats.average_exposure_pct)),
        ("Fees paid", _money(stats.fees, places)),
        ("Slippage paid", _money(stats.slippage, places)),
        ("Annualised Sharpe", NA if research is None else _num(research.sharpe_ratio_ann)),
        ("Sortino", NA if research is None else _num(research.sortino_ratio)),
        ("CAGR", NA if research is None else _pct(research.cagr_pct)),
    ]


def _num(value: float | None) -> str:
    return NA if value is None else to_fixed(value, 3)


def portfolio_report(stats: PortfolioStatistics) -> str:
    lines = [f"# Portfolio: {', '.join(stats.strategies)} on {', '.join(stats.symbols)}", ""]
    lines += _table(["", "value"], [[label, value] for label, value in summary_rows(stats)])
    if stats.capital is not None:
        places = money_places(stats.capital)
        lines += ["", "## Per-symbol contribution", ""]
        lines += _table(
            ["Symbol", "Trades", "PnL", "Fees", "Share"],
            [
                [
                    c.symbol,
                    str(c.trades),
                    _money(c.pnl, places),
                    _money(c.fees, places),
                    _plain_pct(c.share_pct),
                ]
                for c in stats.contributions
            ],
        )
        lines += ["", "## Equity at each close", ""]
        peak = stats.capital
        rows = []
        closes = {t.closed_at: t for t in stats.trades}
        for point in stats.equity:
            peak = max(peak, point.equity)
            trade = closes.get(point.timestamp)
            if trade is None:
                continue
            rows.append(
                [
                    iso_ms(point.timestamp),
                    trade.symbol,
                    _money(trade.pnl, places),
                    _money(point.cash, places),
                    _money(point.positions_value, places),
                    _money(point.equity, places),
                    _plain_pct((1 - point.equity / peak) * 100),
                ]
            )
        lines += _table(["Time", "Closed", "PnL", "Cash", "Positions", "Equity", "Drawdown"], rows)
    if stats.rejections:
        lines += [
            "",
            f"## Rejected entries ({len(stats.rejections)}, first {REPORT_REJECTIONS})",
            "",
        ]
        lines += _table(
            ["Time", "Symbol", "Strategy", "Reason", "Held by"],
            [
                [iso_ms(r.timestamp), r.symbol, r.strategy_name, r.comment, ", ".join(r.held_by)]
                for r in stats.rejections[:REPORT_REJECTIONS]
            ],
        )
    for strategy, heat in stats.heat.items():
        lines += ["", heat_report(strategy, heat).replace("# Portfolio Heatmap", "## Heatmap", 1)]
    return "\n".join(lines) + "\n"
