"""The walker report storage (SPEC 12.3): what `Walker.get_data` / `get_report` read."""

from __future__ import annotations

from ..core.schemas import WalkerSchema
from ..reports.backtest_statistics import BacktestStatistics
from ..reports.walker_models import WalkerProgress, WalkerResults, WalkerStrategyResult
from .identity import walker_header

__all__ = ["NO_WALKER_DATA", "WalkerStorage"]

NO_WALKER_DATA = "No walker data available - no results added yet"


class WalkerStorage:
    """Fed with every contract: last totals and best, results newest first."""

    __slots__ = (
        "best_metric",
        "best_stats",
        "best_strategy",
        "failed",
        "results",
        "total_strategies",
    )

    def __init__(self) -> None:
        self.total_strategies = 0
        self.best_metric: float | None = None
        self.best_strategy: str | None = None
        self.best_stats: BacktestStatistics | None = None
        self.results: list[WalkerStrategyResult] = []
        self.failed: list[str] = []

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]

    def record(self, contract: WalkerProgress) -> None:
        self.total_strategies = contract.total_strategies
        self.best_metric = contract.best_metric
        self.best_strategy = contract.best_strategy
        if contract.strategy_name == contract.best_strategy:
            self.best_stats = contract.stats
        self.results.insert(
            0,
            WalkerStrategyResult(
                strategy_name=contract.strategy_name,
                stats=contract.stats,
                metric_value=contract.current_metric,
            ),
        )

    def record_failure(self, strategy: str, total_strategies: int) -> None:
        self.total_strategies = total_strategies
        self.failed.append(strategy)

    def data(self, symbol: str, walker: WalkerSchema) -> WalkerResults:
        """SPEC 12.3 `getData`; raises ValueError before the first result."""
        if not self.results:
            raise ValueError(NO_WALKER_DATA)
        return WalkerResults(
            **walker_header(symbol, walker.name, walker.exchange, walker.frame, walker.metric),
            total_strategies=self.total_strategies,
            best_strategy=self.best_strategy,
            best_metric=self.best_metric,
            best_stats=self.best_stats,
            strategy_results=tuple(self.results),
            failed_strategies=tuple(self.failed),
        )
