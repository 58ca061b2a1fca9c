"""SCENARIOS A.6 spec/performance, the bus part (listen_performance) with STD-LONG on a 1d frame.

The Performance facade scenarios (getdata, metric-types, report) are pending, see
PENDING_SPEC.md.
"""

from __future__ import annotations

import pytest

from backtestkit.actors import add_strategy
from backtestkit.bus import PerformanceEvent, listen_performance

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
