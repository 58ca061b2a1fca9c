"""SCENARIOS A.6 spec/performance with STD-LONG on a 1d frame: listen_performance and the
Performance facade.

The Performance storage is opt-in (`Performance.enable()`, see actors/performance_report.py):
these ports enable it before the run, where the reference's storage records from the start.
Durations are wall-clock, so the checks are SPEC 9.5's relations between the samples.
"""

from __future__ import annotations

import anyio
import pytest

from backtestkit.actors import Backtest, Performance, add_strategy
from backtestkit.actors.reports import MetricStats
from backtestkit.bus import PerformanceEvent, listen_done_backtest, listen_performance

from .harness import add_day_frame, add_mock_exchange, std_long
from .spec_support import SYMBOL, run_background

pytestmark = pytest.mark.anyio


async def _performance_events() -> list[PerformanceEvent]:
    add_mock_exchange()
    add_day_frame()
    add_strategy("std", interval="1m", get_signal=std_long())
    events: list[PerformanceEvent] = []
    listen_performance(events.append)
    await run_background(strategy="std")
    return events


async def test_listen() -> None:
    """spec/performance/listen"""
    events = await _performance_events()
    assert len(events) >= 3
    # computed (SCENARIOS 0.6): the ff of Jan 1, its frame, the run total; Jan 2 is skipped
    assert [e.metric_type for e in events] == [
        "backtest_signal",
        "backtest_timeframe",
        "backtest_total",
    ]


async def test_event_fields() -> None:
    """spec/performance/event-fields"""
    first = (await _performance_events())[0]
    assert isinstance(first.timestamp, int)
    assert isinstance(first.metric_type, str)
    assert isinstance(first.duration, float) and first.duration >= 0
    assert first.strategy_name == "std"
    assert first.exchange_name == "mock"
    assert first.symbol == SYMBOL
    assert first.backtest is True
    assert first.metric_type == "backtest_signal"  # computed


# --- the Performance facade (opt-in: Performance.enable() before the run) --------------------


async def _started_run(strategy: str = "perf") -> tuple[anyio.Event, list[PerformanceEvent]]:
    """Register STD-LONG, enable the storage, start Backtest.background; the done event."""
    add_mock_exchange()
    add_day_frame()
    add_strategy(strategy, interval="1m", get_signal=std_long())
    Performance.enable()
    events: list[PerformanceEvent] = []
    listen_performance(events.append)
    done = anyio.Event()
    listen_done_backtest(lambda _event: done.set(), lambda e: e.strategy_name == strategy)
    Backtest.background(SYMBOL, strategy=strategy, exchange="mock", frame="1d")
    return done, events


def _assert_metric(stats: MetricStats, events: list[PerformanceEvent]) -> None:
    """SPEC 9.5 for a metric type seen once: every duration statistic is that one sample."""
    [event] = events
    assert stats.count == 1
    for value in (
        stats.total_duration,
        stats.avg_duration,
        stats.min_duration,
        stats.max_duration,
        stats.median,
        stats.p95,
        stats.p99,
    ):
        assert value == event.duration
    assert stats.std_dev == 0
    wait = 0.0 if event.previous_timestamp is None else event.timestamp - event.previous_timestamp
    assert stats.avg_wait_time == stats.min_wait_time == stats.max_wait_time == wait


async def test_getdata() -> None:
    """spec/performance/getdata"""
    done, events = await _started_run()
    data = Performance.get_data(SYMBOL, "perf")  # right after starting, as the reference
    assert isinstance(data.strategy_name, str) and data.strategy_name == "perf"
    assert isinstance(data.total_events, int)
    assert isinstance(data.total_duration, float)
    assert isinstance(data.metric_stats, dict)
    assert isinstance(data.events, tuple)
    with anyio.fail_after(10):
        await done.wait()
    data = Performance.get_data(SYMBOL, "perf")
    # computed (SCENARIOS 0.6): three samples; the storage keeps them newest first
    assert data.total_events == 3
    assert list(data.events) == events[::-1]
    total = 0.0
    for event in data.events:
        total = total + event.duration
    assert data.total_duration == total


async def test_metric_types() -> None:
    """spec/performance/metric-types"""
    done, events = await _started_run()
    with anyio.fail_after(10):
        await done.wait()
    assert "backtest_total" in [e.metric_type for e in events]
    stats = Performance.get_data(SYMBOL, "perf").metric_stats
    assert "backtest_total" in stats and "backtest_timeframe" in stats
    assert list(stats) == ["backtest_total", "backtest_timeframe", "backtest_signal"]  # computed
    for kind, metric in stats.items():
        assert metric.metric_type == kind
        _assert_metric(metric, [e for e in events if e.metric_type == kind])


async def test_report() -> None:
    """spec/performance/report"""
    done, _events = await _started_run()
    report = Performance.get_report(SYMBOL, "perf")  # right after starting, as the reference
    assert "# Performance Report" in report and "perf" in report
    with anyio.fail_after(10):
        await done.wait()
    lines = Performance.get_report(SYMBOL, "perf").split("\n")
    assert lines[:6] == [
        "# Performance Report: perf",
        "",
        "**Total events:** 3",
        lines[3],
        "**Number of metric types:** 3",
        "",
    ]
    assert lines[3].startswith("**Total execution time:** ") and lines[3].endswith("ms")
    assert lines[6:8] == ["## Time Distribution", ""]
    assert sorted(line.split("**")[1] for line in lines[8:11]) == [
        "backtest_signal",
        "backtest_timeframe",
        "backtest_total",
    ]
    assert lines[11:14] == ["", "## Detailed Metrics", ""]
    assert lines[14] == (
        "| Metric Type | Count | Total (ms) | Avg (ms) | Min (ms) | Max (ms) | Std Dev (ms)"
        " | Median (ms) | P95 (ms) | P99 (ms) | Avg Wait (ms) | Min Wait (ms) | Max Wait (ms) |"
    )
    assert lines[15] == "| --- |" + " --- |" * 12
    assert len(lines) == 21 and lines[19] == ""  # three metric rows, then the note
    assert lines[20].startswith("**Note:** All durations are in milliseconds.")
