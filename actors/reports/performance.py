"""The Performance facade (SPEC 9.5, 10, 14): timing samples of the engine per symbol:strategy.

Opt-in: the storage subscribes to the `performance` topic only between `Performance.enable()`
and `Performance.disable()` (off by default, and after `reset()`). A performance listener makes
the backtest clock time every frame it ticks and stop jumping over throttled idle frames, which
costs ~25 % on a throttled strategy; so an ordinary backtest does not pay for a report nobody
asked for. Results are identical either way (SPEC 15 lets per-frame samples be skipped when
nobody listens). Keeps the newest 10 000 samples per "<symbol>:<strategy>".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from backtestkit.bus import PerformanceEvent

from ..core.engine import EngineLocal, engine_bound
from .columns import Column
from .feed import Handler, OptInReports
from .formatting import to_fixed
from .models import MetricStats, PerformanceStatistics
from .report_text import configured_table, statistics_report

__all__ = [
    "Performance",
    "PerformanceReports",
    "percentile",
    "performance_report",
    "performance_statistics",
]

STORED_EVENTS = 10_000
_NOTE = (
    "**Note:** All durations are in milliseconds. P95/P99 represent 95th and 99th percentile "
    "response times. Wait times show the interval between consecutive events of the same type."
)


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest rank on an ascending list: `ordered[max(0, ceil(n * p / 100) - 1)]` (SPEC 9.5)."""
    return ordered[max(0, math.ceil(len(ordered) * p / 100) - 1)]


def _running_sum(values: Sequence[float]) -> float:
    total = 0.0
    for value in values:
        total = total + value
    return total


def _metric(events: Sequence[PerformanceEvent]) -> MetricStats:
    durations = sorted(event.duration for event in events)
    total = _running_sum(durations)
    avg = total / len(durations)
    squares = 0.0
    for duration in durations:
        squares = squares + (duration - avg) * (duration - avg)
    waits = sorted(
        float(event.timestamp - event.previous_timestamp)
        for event in events
        if event.previous_timestamp is not None
    )
    return MetricStats(
        metric_type=events[0].metric_type,
        count=len(events),
        total_duration=total,
        avg_duration=avg,
        min_duration=durations[0],
        max_duration=durations[-1],
        std_dev=math.sqrt(squares / len(durations)),
        median=percentile(durations, 50),
        p95=percentile(durations, 95),
        p99=percentile(durations, 99),
        avg_wait_time=_running_sum(waits) / len(waits) if waits else 0.0,
        min_wait_time=waits[0] if waits else 0.0,
        max_wait_time=waits[-1] if waits else 0.0,
    )


def performance_statistics(
    strategy_name: str, events: Sequence[PerformanceEvent]
) -> PerformanceStatistics:
    """SPEC 9.5 over the stored samples (newest first)."""
    by_type: dict[str, list[PerformanceEvent]] = {}
    for event in events:
        by_type.setdefault(event.metric_type, []).append(event)
    return PerformanceStatistics(
        strategy_name=strategy_name,
        total_events=len(events),
        total_duration=_running_sum([event.duration for event in events]),
        metric_stats={kind: _metric(group) for kind, group in by_type.items()},
        events=tuple(events),
    )


def performance_report(
    strategy_name: str, stats: PerformanceStatistics, columns: Sequence[Column] | None = None
) -> str:
    """The performance text (SPEC 10): totals, time distribution, metrics table, note."""
    title = f"# Performance Report: {strategy_name}"
    if stats.total_events == 0:
        return statistics_report(title, "No performance metrics recorded yet.")
    metrics = sorted(stats.metric_stats.values(), key=lambda m: m.total_duration, reverse=True)
    shares = []
    for metric in metrics:
        share = metric.total_duration / stats.total_duration * 100 if stats.total_duration else 0.0
        shares.append(
            f"- **{metric.metric_type}**: {to_fixed(share if math.isfinite(share) else 0.0, 1)}% "
            f"({to_fixed(metric.total_duration, 2)}ms total)"
        )
    return statistics_report(
        title,
        f"**Total events:** {stats.total_events}",
        f"**Total execution time:** {to_fixed(stats.total_duration, 2)}ms",
        f"**Number of metric types:** {len(stats.metric_stats)}",
        "",
        "## Time Distribution",
        "",
        *shares,
        "",
        "## Detailed Metrics",
        "",
        *configured_table("performance_columns", metrics, columns),
        "",
        _NOTE,
    )


class PerformanceReports(OptInReports[PerformanceEvent, PerformanceStatistics]):
    """`Performance`: enable / disable; get_data / get_report / dump per (symbol, strategy)."""

    folder = "performance"
    stored_rows = STORED_EVENTS

    def _handlers(self) -> list[Handler]:
        return [(lambda b: b.performance, self._on_event)]

    def _on_event(self, event: PerformanceEvent) -> None:
        symbol = event.symbol or "global"
        strategy = event.strategy_name or "global"
        self._book.add(f"{symbol}:{strategy}", event)

    def _statistics(
        self, strategy: str, rows: tuple[PerformanceEvent, ...]
    ) -> PerformanceStatistics:
        return performance_statistics(strategy, rows)

    _report = staticmethod(performance_report)


Performance = engine_bound(
    EngineLocal("Performance", lambda engine: PerformanceReports(engine.bus))
)
