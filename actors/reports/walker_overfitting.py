"""The overfitting check of a walk: deflated Sharpe of its best strategy and PBO of all of them.

Every tested strategy (a trial: a configuration tried) becomes a daily return series over the
walker frame's UTC days: the sum of `pnl_percentage / 100` of its closed signals by the day of
their close (0 on days without one), over every closed signal of its run (the statistics'
ledger, not only the newest 250 the reference's report keeps). Its Sharpe ratio is per day (mean
/ std, ddof=1; 0 for a strategy that never traded). The deflated Sharpe ratio is the best
strategy's by the walker metric (a tie goes to the smallest name, `ranking.research_best`, so
registration order does not matter) with trials = strategies tested and the variance of all
trials' Sharpe ratios; PBO is CSCV over the days x trials matrix with 16 blocks, fewer (even, >=
2 days each) on a short frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backtestkit.bus import Serializable

from .backtest_statistics import BacktestStatistics
from .formatting import to_fixed
from .overfitting import (
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probability_of_backtest_overfitting,
    sharpe_moments,
)
from .ranking import reference_metric_name, research_best
from .walker_models import WalkerResults

__all__ = [
    "WalkerOverfitting",
    "daily_returns",
    "overfitting_lines",
    "trials_overfitting",
    "walker_overfitting",
]

_MS_PER_DAY = 86_400_000
_MAX_BLOCKS = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkerOverfitting(Serializable):
    """None where a value is undefined (fewer than 2 trials or days, a flat best strategy)."""

    trials: int
    days: int
    best_strategy: str | None
    best_daily_sharpe: float | None
    expected_max_sharpe: float | None
    deflated_sharpe_ratio: float | None
    pbo: float | None
    pbo_blocks: int


def daily_returns(stats: BacktestStatistics, start_ms: int, end_ms: int) -> npt.NDArray[np.float64]:
    """Per UTC day of [start_ms, end_ms]: the sum of the day's closed pnl, as fractions."""
    first = start_ms // _MS_PER_DAY
    days = end_ms // _MS_PER_DAY - first + 1
    series = np.zeros(days, dtype=np.float64)
    trades = stats.trades
    index = np.clip(trades.close_ms // _MS_PER_DAY - first, 0, days - 1)
    np.add.at(series, index, trades.pnl_percentage / 100)
    return series


def _sharpe(series: npt.NDArray[np.float64]) -> float:
    std = float(series.std(ddof=1))
    return float(series.mean()) / std if std > 0 else 0.0


def walker_overfitting(data: WalkerResults, start_ms: int, end_ms: int) -> WalkerOverfitting:
    """The check over `Walker.get_data`, the walker frame spanning start_ms..end_ms."""
    results = data.strategy_results
    matrix = np.column_stack(
        [daily_returns(r.stats, start_ms, end_ms) for r in results]
        or [np.zeros(end_ms // _MS_PER_DAY - start_ms // _MS_PER_DAY + 1)]
    )
    names = [r.strategy_name for r in results]
    return trials_overfitting(names, [r.metric_value for r in results], matrix, data.metric)


def trials_overfitting(
    names: Sequence[str],
    values: Sequence[float | None],
    matrix: npt.NDArray[np.float64],
    metric: str,
) -> WalkerOverfitting:
    """The check over trials given as names, metric values and a days x trials matrix of
    daily returns (one column per name)."""
    trials, days = len(names), matrix.shape[0]
    blocks = min(_MAX_BLOCKS, days // 4 * 2)
    pbo = None
    if trials >= 2 and blocks >= 2:
        pbo = probability_of_backtest_overfitting(matrix, blocks=blocks).pbo
    best_sharpe = benchmark = deflated = None
    chosen = research_best(names, values, metric)
    if chosen is not None and trials >= 2 and days >= 2:
        sharpes = [_sharpe(matrix[:, k]) for k in range(trials)]
        variance = float(np.var(sharpes, ddof=1))
        benchmark = expected_max_sharpe(trials, variance)
        best = matrix[:, names.index(chosen)]
        if float(best.std()) > 0:
            moments = sharpe_moments(best)
            best_sharpe = moments.sharpe
            deflated = deflated_sharpe_ratio(
                moments.sharpe,
                observations=moments.observations,
                trials=trials,
                sharpe_variance=variance,
                skewness=moments.skewness,
                kurtosis=moments.kurtosis,
            )
    return WalkerOverfitting(
        trials=trials,
        days=days,
        best_strategy=chosen,
        best_daily_sharpe=best_sharpe,
        expected_max_sharpe=benchmark,
        deflated_sharpe_ratio=deflated,
        pbo=pbo,
        pbo_blocks=blocks if pbo is not None else 0,
    )


def _fixed(value: float | None, digits: int) -> str:
    return "N/A" if value is None or not math.isfinite(value) else to_fixed(value, digits)


def overfitting_lines(check: WalkerOverfitting, metric: str) -> list[str]:
    """The Markdown section appended to the walker report by `get_report(overfitting=True)`."""
    return [
        "## Overfitting Check",
        "",
        f"**Trials (configurations tried):** {check.trials}",
        f"**Days per trial:** {check.days}",
        f"**Best strategy (by {reference_metric_name(metric)}):** {check.best_strategy}",
        f"**Best daily Sharpe ratio:** {_fixed(check.best_daily_sharpe, 4)}",
        f"**Expected max Sharpe of {check.trials} skill-less trials:** "
        f"{_fixed(check.expected_max_sharpe, 4)}",
        f"**Deflated Sharpe ratio:** {_fixed(check.deflated_sharpe_ratio, 4)} "
        "(probability that the best strategy's true Sharpe ratio beats the best of as many "
        "skill-less trials; above 0.95 the edge survives the search)",
        f"**Probability of backtest overfitting (CSCV, {check.pbo_blocks} blocks):** "
        f"{_fixed(check.pbo, 4)} (share of in-sample / out-of-sample splits where the in-sample "
        "winner ranks at or below the median out of sample; near 0.5 the ranking is noise)",
    ]
