"""Rows and statistics of the Schedule, Heat, Performance, Partial and Risk reports (SPEC 9.3-9.7).

Frozen, slotted and JSON-ready (`to_dict()`); `None` wherever the reference gives `null`.
Every list is newest first, as the reference's report storages keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backtestkit.bus import MetricType, PerformanceEvent, RiskEvent, Serializable

__all__ = [
    "HeatmapRow",
    "HeatmapStatistics",
    "MetricStats",
    "PartialRow",
    "PartialStatistics",
    "PerformanceStatistics",
    "RiskStatistics",
    "ScheduleEvent",
    "ScheduleStatistics",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleEvent(Serializable):
    """One row of the schedule report: a signal scheduled, opened from scheduled, or cancelled.

    `duration` is whole minutes (JS `Math.round`): activation wait for `opened`
    (`pending_at - scheduled_at`), wait until cancellation for `cancelled`; None for `scheduled`.
    """

    timestamp: int
    action: Literal["scheduled", "opened", "cancelled"]
    symbol: str
    strategy_name: str
    signal_id: str
    position: str
    note: str
    current_price: float
    price_open: float
    price_take_profit: float
    price_stop_loss: float
    close_timestamp: int | None = None
    duration: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleStatistics(Serializable):
    """SPEC 9.3: rates in percent, times in minutes; None when undefined."""

    event_list: tuple[ScheduleEvent, ...]
    total_events: int
    total_scheduled: int
    total_opened: int
    total_cancelled: int
    cancellation_rate: float | None
    activation_rate: float | None
    avg_wait_time: float | None
    avg_activation_time: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HeatmapRow(Serializable):
    """SPEC 9.4: one symbol's closed signals (newest 250) of one strategy."""

    symbol: str
    total_pnl: float | None
    sharpe_ratio: float | None
    max_drawdown: float | None
    total_trades: int
    win_count: int
    loss_count: int
    win_rate: float | None
    avg_pnl: float | None
    std_dev: float | None
    profit_factor: float | None
    avg_win: float | None
    avg_loss: float | None
    max_win_streak: int
    max_loss_streak: int
    expectancy: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HeatmapStatistics(Serializable):
    """SPEC 9.4: rows sorted by Sharpe ratio (descending, None last) and portfolio totals."""

    symbols: tuple[HeatmapRow, ...]
    total_symbols: int
    portfolio_total_pnl: float | None
    portfolio_sharpe_ratio: float | None
    portfolio_total_trades: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricStats(Serializable):
    """SPEC 9.5: durations of one metric type in milliseconds; wait times 0 when none."""

    metric_type: MetricType
    count: int
    total_duration: float
    avg_duration: float
    min_duration: float
    max_duration: float
    std_dev: float
    median: float
    p95: float
    p99: float
    avg_wait_time: float
    min_wait_time: float
    max_wait_time: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformanceStatistics(Serializable):
    """SPEC 9.5: `metric_stats` by metric type, in first-seen order (newest event first)."""

    strategy_name: str
    total_events: int
    total_duration: float
    metric_stats: dict[str, MetricStats]
    events: tuple[PerformanceEvent, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartialRow(Serializable):
    """SPEC 9.6: one newly reached partial profit / loss level."""

    timestamp: int
    action: Literal["profit", "loss"]
    symbol: str
    strategy_name: str
    signal_id: str
    position: str
    current_price: float
    level: int
    backtest: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PartialStatistics(Serializable):
    event_list: tuple[PartialRow, ...]
    total_events: int
    total_profit: int
    total_loss: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskStatistics(Serializable):
    """SPEC 9.7: the rejections (risk events) and their counts by symbol and by strategy."""

    event_list: tuple[RiskEvent, ...]
    total_rejections: int
    by_symbol: dict[str, int]
    by_strategy: dict[str, int]
