"""The research metrics as (label, value) rows for the HTML report and the notebook view."""

from __future__ import annotations

from datetime import timedelta

from backtestkit.actors.reports import ResearchMetrics
from backtestkit.actors.reports.formatting import to_fixed

__all__ = ["research_rows"]

_NA = "N/A"


def _num(value: float | None, digits: int = 3, unit: str = "") -> str:
    return _NA if value is None else f"{to_fixed(value, digits)}{unit}"


def _duration(ms: float | None) -> str:
    return _NA if ms is None else str(timedelta(milliseconds=round(ms)))


def research_rows(m: ResearchMetrics) -> list[tuple[str, str]]:
    return [
        ("Exposure time", _num(m.exposure_pct, 2, " %")),
        ("Equity final (from capital)", _num(m.equity_final, 2)),
        ("Return", _num(m.return_pct, 2, " %")),
        ("Return (annualised)", _num(m.return_ann_pct, 2, " %")),
        ("Volatility (annualised)", _num(m.volatility_ann_pct, 2, " %")),
        ("CAGR", _num(m.cagr_pct, 2, " %")),
        ("Sharpe ratio (annualised, daily equity)", _num(m.sharpe_ratio_ann)),
        ("Sortino ratio", _num(m.sortino_ratio)),
        ("Calmar ratio", _num(m.calmar_ratio)),
        ("Max drawdown (equity)", _num(m.max_drawdown_pct, 2, " %")),
        ("Profit factor", _num(m.profit_factor)),
        ("Expectancy", _num(m.expectancy_pct, 3, " %")),
        ("Average trade (geometric)", _num(m.avg_trade_pct, 3, " %")),
        ("SQN", _num(m.sqn)),
        ("Kelly criterion", _num(m.kelly_criterion)),
        (
            "Trade duration (median / mean / max)",
            " / ".join(
                _duration(v)
                for v in (
                    m.median_trade_duration_ms,
                    m.avg_trade_duration_ms,
                    m.max_trade_duration_ms,
                )
            ),
        ),
    ]
