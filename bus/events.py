"""Event payloads of the non-signal topics (SPEC section 13)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .results import SignalRow
from .serialize import Serializable

__all__ = [
    "BacktestProgress",
    "DoneEvent",
    "MetricType",
    "PartialEvent",
    "PerformanceEvent",
    "RiskEvent",
    "WalkerCompleteEvent",
    "WalkerProgressEvent",
    "WalkerStopEvent",
    "WalkerSummary",
]

MetricType = Literal["backtest_total", "backtest_timeframe", "backtest_signal", "live_tick"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DoneEvent(Serializable):
    """doneBacktest / doneLive / doneWalker (walker: strategy_name carries the walker name, Q19)."""

    exchange_name: str
    strategy_name: str
    backtest: bool
    symbol: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestProgress(Serializable):
    exchange_name: str
    strategy_name: str
    symbol: str
    total_frames: int
    processed_frames: int
    progress: float


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkerProgressEvent(Serializable):
    walker_name: str
    exchange_name: str
    frame_name: str
    symbol: str
    total_strategies: int
    processed_strategies: int
    progress: float


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkerStopEvent(Serializable):
    symbol: str
    strategy_name: str
    walker_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkerSummary(Serializable):
    """What a finished walk says (the walker_complete event, and `Walker.get_data`'s results)."""

    walker_name: str
    symbol: str
    exchange_name: str
    frame_name: str
    metric: str
    total_strategies: int
    best_strategy: str | None
    best_metric: float | None
    best_stats: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkerCompleteEvent(WalkerSummary):
    failed_strategies: tuple[str, ...] = ()  # raised, or lost their worker twice


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformanceEvent(Serializable):
    timestamp: int
    previous_timestamp: int | None
    metric_type: MetricType
    duration: float
    strategy_name: str
    exchange_name: str
    symbol: str
    backtest: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PartialEvent(Serializable):
    """partial_profit / partial_loss: a newly reached level (10, 20, ... 100)."""

    symbol: str
    strategy_name: str
    exchange_name: str
    data: SignalRow
    current_price: float
    level: int
    backtest: bool
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskEvent(Serializable):
    """A risk rejection. `pending_signal` is the raw Signal DTO or the SignalRow checked."""

    symbol: str
    pending_signal: Any
    strategy_name: str
    exchange_name: str
    current_price: float
    active_position_count: int
    comment: str
    timestamp: int
