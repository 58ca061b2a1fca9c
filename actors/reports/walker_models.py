"""What a walker produces (SPEC 12.2, 12.3): the per-strategy contract and the stored results."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from backtestkit.bus import Serializable, WalkerSummary

from .backtest_statistics import BacktestStatistics
from .tabular import rows_frame

__all__ = ["WalkerProgress", "WalkerResults", "WalkerStrategyResult"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkerProgress(Serializable):
    """The contract yielded (and published on the `walker` topic) after each tested strategy.

    `current_metric` is this strategy's metric value (the reference's `metricValue`);
    `best_strategy` / `best_metric` are the best so far, this strategy included.
    """

    symbol: str
    walker_name: str
    exchange_name: str
    frame_name: str
    metric: str
    total_strategies: int
    strategies_tested: int
    best_strategy: str | None
    best_metric: float | None
    strategy_name: str
    current_metric: float | None
    stats: BacktestStatistics


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkerStrategyResult(Serializable):
    """One stored strategy result of the walker report storage (SPEC 12.3)."""

    strategy_name: str
    stats: BacktestStatistics
    metric_value: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkerResults(WalkerSummary):
    """`Walker.get_data`: the walker report storage; `strategy_results` is newest first."""

    best_stats: BacktestStatistics | None
    strategy_results: tuple[WalkerStrategyResult, ...]
    failed_strategies: tuple[str, ...] = ()  # in walker order: raised or lost their worker

    def to_frame(self) -> Any:
        """One row per tested strategy, in test order, with its metric value and statistics
        (without the signal list), as a pandas DataFrame (extra `pandas`)."""
        rows = [
            {
                "strategy_name": r.strategy_name,
                "metric_value": r.metric_value,
                **{
                    f.name: getattr(r.stats, f.name)
                    for f in fields(r.stats)
                    if f.name not in ("signal_list", "ledger")
                },
            }
            for r in reversed(self.strategy_results)
        ]
        return rows_frame(rows)
