"""Walker executors (in process, process pool, Dask) give identical results in schema order;
strategies that cannot be rebuilt by reference are refused; resume skips finished strategies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import walker_strategies as ws

from backtestkit.actors import (
    Backtest,
    Walker,
    WalkerProgress,
    add_exchange,
    add_frame,
    add_risk,
    add_strategy,
    add_walker,
    set_config,
)
from backtestkit.actors.core import WalkerCallbacks
from backtestkit.actors.core.schemas import WalkerSchema
from backtestkit.actors.testing import reset_engine
from backtestkit.actors.walker.executor import InProcessExecutor, StrategyJob, StrategyRun
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.bus import topics

SYMBOL = "BTCUSDT"
NAMES = ["sma-5-20", "sma-8-30", "never", "sma-3-12"]
FUNCTIONS = [ws.sma_5_20, ws.sma_8_30, ws.never, ws.sma_3_12]


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


def register(*, days: int = 2, seed: int = 7, functions: list[Any] | None = None) -> None:
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.make_candles(days=days, seed=seed)}))
    add_frame("frame", start=ws.START, end=ws.START + days * 1440 * ws.MINUTE)
    for name, fn in zip(NAMES, functions or FUNCTIONS, strict=True):
        add_strategy(name, interval="1m", get_signal=fn)
    add_walker("w", strategies=NAMES, exchange="mem", frame="frame", metric="total_pnl")


def walk(**options: Any) -> list[WalkerProgress]:
    async def collect() -> list[WalkerProgress]:
        with anyio.fail_after(120):
            return [c async for c in Walker.run(SYMBOL, walker="w", **options)]

    return anyio.run(collect)


def outputs(contracts: list[WalkerProgress]) -> tuple[Any, ...]:
    return (contracts, Walker.get_data(SYMBOL, "w"), Walker.get_report(SYMBOL, "w"))


@pytest.mark.slow
def test_three_executors_give_identical_results(dask_cluster: str) -> None:
    register()
    sequential = outputs(walk())
    assert [c.strategy_name for c in sequential[0]] == NAMES
    assert sum(c.stats.total_signals for c in sequential[0]) > 20  # the strategies do trade
    pooled = outputs(walk(workers=2))
    distributed = outputs(walk(dask=dask_cluster))
    assert pooled == sequential
    assert distributed == sequential
    assert [c.strategies_tested for c in pooled[0]] == [1, 2, 3, 4]


@pytest.mark.slow
def test_pool_keeps_schema_order_and_callbacks_in_the_parent() -> None:
    register()
    log: list[tuple[str, str]] = []
    topics.walker.subscribe(lambda c: log.append(("walker", c.strategy_name)))
    contracts = walk(workers=2)
    assert [c.strategy_name for c in contracts] == NAMES
    assert log == [("walker", name) for name in NAMES]
    assert Backtest.list() == []  # the backtests ran in the workers


@pytest.mark.parametrize(
    ("fn", "what"),
    [
        (lambda symbol, when: None, "lambda"),
        (ws.make_scaled(2.0), "closure"),
    ],
)
@pytest.mark.parametrize("executor", [{"workers": 2}, {"dask": "tcp://127.0.0.1:1"}])
def test_unimportable_strategies_are_refused(fn: Any, what: str, executor: Any) -> None:
    register(functions=[ws.sma_5_20, fn, ws.never, ws.sma_3_12])
    refused = r"strategy 'sma-8-30' get_signal.*importable by reference"
    with pytest.raises(ValueError, match=refused):
        Walker.run(SYMBOL, walker="w", **executor)
    walk()  # the in-process executor takes anything


def test_main_module_functions_are_refused() -> None:
    def main_fn(symbol: str, when: Any) -> None:
        return None

    main_fn.__module__ = "__main__"
    main_fn.__qualname__ = "main_fn"
    register(functions=[ws.sma_5_20, ws.sma_8_30, main_fn, ws.sma_3_12])
    with pytest.raises(ValueError, match="strategy 'never' get_signal"):
        Walker.run(SYMBOL, walker="w", workers=2)


def test_risk_validations_and_candle_sources_must_travel() -> None:
    register()
    add_risk("r", validations=[lambda check: None])
    add_strategy("risky", interval="1m", get_signal=ws.never, risk="r")
    add_walker("wr", strategies=["risky"], exchange="mem", frame="frame")
    with pytest.raises(ValueError, match=r"risk 'r' validations\[0\]"):
        Walker.run(SYMBOL, walker="wr", workers=2)

    class Locked:
        def __init__(self) -> None:
            self.lock = threading.Lock()

        def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Any]:
            return []

    add_exchange("locked", candles=Locked())
    add_walker("wl", strategies=["never"], exchange="locked", frame="frame")
    with pytest.raises(ValueError, match=r"exchange 'locked'.*not picklable"):
        Walker.run(SYMBOL, walker="wl", workers=2)


# --- resume ----------------------------------------------------------------------------------


class Counting:
    """The in-process executor, counting the backtest sub-graphs it actually runs."""

    def __init__(self) -> None:
        self.inner = InProcessExecutor(Backtest)
        self.ran: list[str] = []

    @property
    def capacity(self) -> int:
        return 1

    def prepare(self, symbol: str, walker: WalkerSchema) -> None:
        self.inner.prepare(symbol, walker)

    async def submit(self, job: StrategyJob) -> StrategyRun:
        self.ran.append(job.strategy)
        return await self.inner.submit(job)

    def close(self) -> None:
        self.inner.close()


def test_resume_skips_finished_strategies(tmp_path: Path) -> None:
    register()
    first = Counting()
    expected = outputs(walk(resume_dir=tmp_path, executor=first))
    assert first.ran == NAMES
    assert len(list(tmp_path.glob("*.json"))) == 4
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temp file

    reset_engine()
    register()
    again = Counting()
    assert outputs(walk(resume_dir=tmp_path, executor=again)) == expected
    assert again.ran == []


def test_resume_reruns_what_changed(tmp_path: Path) -> None:
    register()
    walk(resume_dir=tmp_path)
    reset_engine()
    register(functions=[ws.sma_5_20, ws.sma_8_30, ws.never, ws.make_scaled(1.0)])
    scaled = Counting()
    walk(resume_dir=tmp_path, executor=scaled)
    assert scaled.ran == ["sma-3-12"]  # another function (reference and source)
    rerun = Counting()
    reset_engine()
    register(functions=[ws.sma_5_20, ws.sma_8_30, ws.never, ws.make_scaled(2.0)])
    walk(resume_dir=tmp_path, executor=rerun)
    assert rerun.ran == ["sma-3-12"]  # same source, another closure value
    for change in ({"seed": 8}, {"config": True}):
        reset_engine()
        register(seed=change.get("seed", 7))
        if "config" in change:
            set_config(CC_PERCENT_FEE=0.05)
        counted = Counting()
        walk(resume_dir=tmp_path, executor=counted)
        assert counted.ran == NAMES, change  # other candles, other config: everything re-runs
    reset_engine()
    register()
    set_config(
        CC_PERCENT_FEE=0.05,
        CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES=3,
        CC_BROKER_QUOTE_AMOUNT=250,
        CC_BROKER_RETRY_COUNT=5,
        CC_BROKER_RETRY_DELAY_MS=1000,
    )
    live_only = Counting()
    walk(resume_dir=tmp_path, executor=live_only)
    assert live_only.ran == []  # a live-only key changes no backtest: nothing re-runs


@pytest.mark.slow
def test_resume_with_a_process_pool(tmp_path: Path) -> None:
    register()
    expected = outputs(walk(workers=2, resume_dir=tmp_path))
    reset_engine()
    register()
    counted = Counting()
    assert outputs(walk(resume_dir=tmp_path, executor=counted)) == expected
    assert counted.ran == []


@pytest.mark.slow
@pytest.mark.parametrize("where", ["spawn", "forkserver", "dask"])
def test_stop_out_of_process_reports_a_prefix_and_drops_the_rest(where: str, request: Any) -> None:
    from backtestkit.adapters.executors import DaskWalkerExecutor, ProcessPoolWalkerExecutor

    register(days=1)
    names = [f"s{i}" for i in range(8)]
    for name in names:  # s0 ends long before the others: the stop comes while they run
        get_signal = ws.sma_5_20 if name == "s0" else ws.sma_5_20_slowly
        add_strategy(name, interval="1m", get_signal=get_signal)

    async def stop_after_first(name: str, symbol: str, stats: Any, value: Any) -> None:
        if name == "s0":
            await Walker.stop(symbol, "w8")

    add_walker(
        "w8",
        strategies=names,
        exchange="mem",
        frame="frame",
        callbacks=WalkerCallbacks(on_strategy_complete=stop_after_first),
    )
    complete: list[Any] = []
    topics.walker_complete.subscribe(complete.append)
    executor: Any = (
        DaskWalkerExecutor(request.getfixturevalue("dask_cluster"))
        if where == "dask"
        else ProcessPoolWalkerExecutor(2, context=where)
    )

    async def collect() -> list[WalkerProgress]:
        with anyio.fail_after(120):
            return [c async for c in Walker.run(SYMBOL, walker="w8", executor=executor)]

    contracts = anyio.run(collect)
    reported = [c.strategy_name for c in contracts]
    assert 1 <= len(reported) <= 3  # s0, and what ran beside it; the rest never started
    assert reported == names[: len(reported)]
    assert len(complete) == 1
