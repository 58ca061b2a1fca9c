"""The research metrics as (label, value) rows for the HTML report and the notebook view.

Annualised figures of a run shorter than MIN_ANNUALISED_DAYS read "n/a (run shorter than N
days)": raising two weeks of returns to the power of a year gives numbers such as a Sharpe
ratio of -60 000 or a -100 % annual return that say nothing about the strategy.
"""

from __future__ import annotations

from datetime import timedelta

from backtestkit.actors.reports import ResearchMetrics
from backtestkit.actors.reports.formatting import to_fixed

__all__ = ["MIN_ANNUALISED_DAYS", "research_rows"]

_NA = "N/A"
MIN_ANNUALISED_DAYS = 30
_DAY_MS = 86_400_000


def _num(value: float | None, digits: int = 3, unit: str = "") -> str:
    return _NA if value is None else f"{to_fixed(value, digits)}{unit}"


def _duration(ms: float | None) -> str:
    return _NA if ms is None else str(timedelta(seconds=round(ms / 1000)))


def research_rows(m: ResearchMetrics) -> list[tuple[str, str]]:
    if (m.end - m.start) / _DAY_MS < MIN_ANNUALISED_DAYS:
        short = f"n/a (run shorter than {MIN_ANNUALISED_DAYS} days)"
        ann: dict[str, str] = dict.fromkeys(
            ("return", "vol", "cagr", "sharpe", "sortino", "calmar"), short
        )
    else:
        ann = {
            "return": _num(m.return_ann_pct, 2, " %"),
            "vol": _num(m.volatility_ann_pct, 2, " %"),
            "cagr": _num(m.cagr_pct, 2, " %"),
            "sharpe": _num(m.sharpe_ratio_ann),
            "sortino": _num(m.sortino_ratio),
            "calmar": _num(m.calmar_ratio),
        }
    return [
        ("Exposure time", _num(m.exposure_pct, 2, " %")),
        ("Equity final (from capital)", _num(m.equity_final, 2)),
        ("Return", _num(m.return_pct, 2, " %")),
        ("Return (annualised)", ann["return"]),
        ("Volatility (annualised)", ann["vol"]),
        ("CAGR", ann["cagr"]),
        ("Sharpe ratio, daily equity returns, annualised", ann["sharpe"]),
        ("Sortino ratio (annualised)", ann["sortino"]),
        ("Calmar ratio (annualised return / max drawdown)", ann["calmar"]),
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
