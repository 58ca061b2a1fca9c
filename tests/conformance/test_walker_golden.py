"""Walker.run / get_data / get_report against the reference's walker fixture (tests/golden).

Three strategies (sma-cross, scheduled-limit, always-long) on the real candles, metric
sharpeRatio: every contract, every signal event of the three backtests, the walker progress and
complete events, `Walker.get_data` and the exact Markdown report must equal what
backtest-kit 1.5.25 produced. The pool and Dask executors must give the same contracts, data and
report (their per-signal events stay in the workers).
"""

from __future__ import annotations

import hashlib
import struct
import sys
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from backtestkit.actors import (
    BacktestStatistics,
    Walker,
    WalkerProgress,
    WalkerResults,
    add_exchange,
    add_frame,
    add_strategy,
    add_walker,
)
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import CsvCandles
from backtestkit.bus import WalkerCompleteEvent, WalkerProgressEvent, topics

from .test_reference_golden import GOLDEN, Recorder, counted_calls, load

sys.path.insert(0, str(GOLDEN))
import strategies

SYMBOL = "BTCUSD"
NAMES = ["sma-cross", "scheduled-limit", "always-long"]
STATS_FIELDS = (
    ("total_signals", "totalSignals"),
    ("win_count", "winCount"),
    ("loss_count", "lossCount"),
    ("win_rate", "winRate"),
    ("avg_pnl", "avgPnl"),
    ("total_pnl", "totalPnl"),
    ("std_dev", "stdDev"),
    ("sharpe_ratio", "sharpeRatio"),
    ("annualized_sharpe_ratio", "annualizedSharpeRatio"),
    ("certainty_ratio", "certaintyRatio"),
    ("expected_yearly_returns", "expectedYearlyReturns"),
)


@pytest.fixture(autouse=True)
def default_config(harness: None) -> Iterator[None]:
    """The fixture was made with the reference's default config, not the test harness's."""
    reset_engine()
    yield
    reset_engine()


def register_walker(*, importable: bool = False) -> None:
    """The fixture's walker "w"; `importable` registers no lambda, so workers can rebuild it."""
    if importable:
        add_exchange("kaggle", candles=CsvCandles(strategies.DATA))
        add_frame("f", start=strategies.FRAME_START, end=strategies.FRAME_END, interval="1m")
        for name in NAMES:
            interval, fn, _ = strategies.STRATEGIES[name]
            add_strategy(name, interval=interval, get_signal=fn)
    else:
        strategies.register(*NAMES)
    add_walker("w", strategies=NAMES, exchange="kaggle", frame="f", metric="sharpe_ratio")


def reduced(stats: BacktestStatistics | None) -> dict[str, Any] | None:
    """The fixture's reduced statistics: signalList as ids, camelCase fields."""
    if stats is None:
        return None
    out: dict[str, Any] = {"signalList": [r.signal.id for r in stats.signal_list]}
    out.update({theirs: getattr(stats, ours) for ours, theirs in STATS_FIELDS})
    return out


def contract(progress: WalkerProgress) -> dict[str, Any]:
    return {
        "walkerName": progress.walker_name,
        "exchangeName": progress.exchange_name,
        "frameName": progress.frame_name,
        "symbol": progress.symbol,
        "strategyName": progress.strategy_name,
        "stats": reduced(progress.stats),
        "metricValue": progress.current_metric,
        "metric": "sharpeRatio" if progress.metric == "sharpe_ratio" else progress.metric,
        "bestMetric": progress.best_metric,
        "bestStrategy": progress.best_strategy,
        "strategiesTested": progress.strategies_tested,
        "totalStrategies": progress.total_strategies,
    }


def complete(event: WalkerCompleteEvent) -> dict[str, Any]:
    return {
        "walkerName": event.walker_name,
        "symbol": event.symbol,
        "exchangeName": event.exchange_name,
        "frameName": event.frame_name,
        "metric": "sharpeRatio" if event.metric == "sharpe_ratio" else event.metric,
        "totalStrategies": event.total_strategies,
        "bestStrategy": event.best_strategy,
        "bestMetric": event.best_metric,
        "bestStats": reduced(event.best_stats),
    }


def data(results: WalkerResults) -> dict[str, Any]:
    return {
        "walkerName": results.walker_name,
        "symbol": results.symbol,
        "exchangeName": results.exchange_name,
        "frameName": results.frame_name,
        "metric": "sharpeRatio" if results.metric == "sharpe_ratio" else results.metric,
        "totalStrategies": results.total_strategies,
        "bestStrategy": results.best_strategy,
        "bestMetric": results.best_metric,
        "bestStats": reduced(results.best_stats),
        "strategyResults": [
            {
                "strategyName": r.strategy_name,
                "stats": reduced(r.stats),
                "metricValue": r.metric_value,
            }
            for r in results.strategy_results
        ],
    }


def progress_event(event: WalkerProgressEvent) -> dict[str, Any]:
    return {
        "walkerName": event.walker_name,
        "exchangeName": event.exchange_name,
        "frameName": event.frame_name,
        "symbol": event.symbol,
        "totalStrategies": event.total_strategies,
        "processedStrategies": event.processed_strategies,
        "progress": event.progress,
    }


class WalkerRecorder:
    def __init__(self) -> None:
        self.progress: list[dict[str, Any]] = []
        self.complete: list[dict[str, Any]] = []
        topics.progress_walker.subscribe(lambda e: self.progress.append(progress_event(e)))
        topics.walker_complete.subscribe(lambda e: self.complete.append(complete(e)))


async def walk(**executor: Any) -> list[WalkerProgress]:
    with anyio.fail_after(240):
        return [c async for c in Walker.run(SYMBOL, walker="w", **executor)]


def assert_walker_outputs(contracts: list[WalkerProgress], seen: WalkerRecorder) -> None:
    golden = load("walker")
    assert [contract(c) for c in contracts] == golden["results"]
    assert seen.progress == golden["walker_progress"]
    assert seen.complete == [golden["walker_complete"]]
    assert data(Walker.get_data(SYMBOL, "w")) == golden["walker_data"]
    assert Walker.get_report(SYMBOL, "w") == golden["walker_report"]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.anyio
async def test_walker_matches_reference() -> None:
    """In process: contracts, every backtest event, progress, complete, data and report."""
    golden = load("walker")
    register_walker()
    calls = {name: counted_calls(name) for name in NAMES}
    recorder = Recorder()
    seen = WalkerRecorder()
    contracts = await walk()
    assert_walker_outputs(contracts, seen)
    assert recorder.events == golden["events"]
    assert len(recorder.idle_prices) == golden["idle_count"]
    total = 0.0
    for price in recorder.idle_prices:
        total = total + price
    assert total == golden["idle_price_sum"]
    digest = hashlib.sha256(b"".join(struct.pack(">d", p) for p in recorder.idle_prices))
    assert digest.hexdigest() == golden["idle_price_sha256"]
    assert [e.split("\n")[0] for e in recorder.errors] == [
        e.split("\n")[0] for e in golden["errors"]
    ]
    assert len([p for p in recorder.partial if p[3] == "profit"]) == golden["partial"]["profit"]
    assert len([p for p in recorder.partial if p[3] == "loss"]) == golden["partial"]["loss"]
    assert recorder.partial == [
        (e["strategyName"], e["signalId"], e["level"], e["kind"], e["currentPrice"], e["timestamp"])
        for e in golden["partial"]["events"]
    ]
    assert {name: calls[name] for name in NAMES} == {
        name: golden["get_signal_calls"][name]["timestamps"] for name in NAMES
    }


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_walker_matches_reference_without_listeners() -> None:
    """Nobody listens to the signal topics (idle frames are jumped): same walker outputs."""
    register_walker()
    seen = WalkerRecorder()
    assert_walker_outputs(await walk(), seen)


@pytest.mark.slow
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_walker_matches_reference_in_a_process_pool() -> None:
    register_walker(importable=True)
    seen = WalkerRecorder()
    assert_walker_outputs(await walk(workers=2), seen)


@pytest.mark.slow
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_walker_matches_reference_on_dask(dask_cluster: Any) -> None:
    register_walker(importable=True)
    seen = WalkerRecorder()
    assert_walker_outputs(await walk(dask=dask_cluster), seen)
