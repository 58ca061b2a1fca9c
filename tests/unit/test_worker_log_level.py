"""Worker processes (walker pool, bias analyzer) log at the level of the process that starts
them, whatever the environment the worker processes were started with."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest
import walker_strategies as ws

from backtestkit.actors import (
    Backtest,
    Walker,
    add_exchange,
    add_frame,
    add_strategy,
    add_walker,
    configure_logging,
)
from backtestkit.actors.analysis import analyze_bias
from backtestkit.actors.core.logs import log_level
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import MemoryCandles

SYMBOL = "BTCUSDT"
DAY = 86_400_000


@pytest.fixture(autouse=True)
def quiet_caller() -> Iterator[None]:
    reset_engine()
    before = log_level()
    configure_logging("error", force=True)
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.make_candles(days=1)}))
    add_frame("day", start=ws.START, end=ws.START + DAY)
    add_strategy("probe", interval="5m", get_signal=ws.when_warnings_are_muted)
    yield
    configure_logging(before, force=True)
    reset_engine()


def test_walker_workers_log_at_the_callers_level() -> None:
    Backtest.run_sync(SYMBOL, strategy="probe", exchange="mem", frame="day")
    here = Backtest.get_data(SYMBOL, "probe").total_signals
    assert here > 0  # this process logs at error: the probe trades
    add_walker("w", strategies=["probe"], exchange="mem", frame="day")

    async def walk() -> None:
        async for _ in Walker.run(SYMBOL, walker="w", workers=2):
            pass

    anyio.run(walk)
    assert Walker.get_data(SYMBOL, "w").strategy_results[0].stats.total_signals == here


def test_bias_workers_log_at_the_callers_level() -> None:
    report = analyze_bias(SYMBOL, strategies="probe", exchange="mem", frame="day", workers=1,
                          warmups=(None,))  # fmt: skip
    (probe,) = report.strategies
    assert probe.signals_checked > 0
    assert probe.signals_changed == 0
