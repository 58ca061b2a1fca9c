"""Walker supervisor and facade: ranking rules (SPEC 12.2, API.md metrics), event and callback
order, the error path, stop filtering by symbol AND walker name, background/cancel, get_data,
report ranking and dump. Expected values follow the SPEC rules, not the engine's output."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
import walker_strategies as ws
from blank_statistics import blank_statistics

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
from backtestkit.actors.core import WalkerCallbacks
from backtestkit.actors.core.schemas import WALKER_METRICS, WalkerSchema
from backtestkit.actors.reports import WalkerStrategyResult
from backtestkit.actors.reports.ranking import is_better, metric_value, reference_metric_name
from backtestkit.actors.reports.walker import walker_report
from backtestkit.actors.testing import reset_engine
from backtestkit.actors.walker.executor import StoredRun, StrategyJob, StrategyRun
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.bus import DoneEvent, WalkerStopEvent, topics

SYMBOL = "BTCUSDT"
pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


def stats(**values: Any) -> BacktestStatistics:
    return blank_statistics(**values)


class FakeExecutor:
    """Serves prepared statistics (or raises) per strategy, in order."""

    def __init__(self, outcomes: dict[str, BacktestStatistics | Exception]) -> None:
        self.outcomes = outcomes
        self.submitted: list[str] = []
        self.closed = 0

    @property
    def capacity(self) -> int:
        return 1

    def prepare(self, symbol: str, walker: WalkerSchema) -> None:
        return None

    async def submit(self, job: StrategyJob) -> StrategyRun:
        self.submitted.append(job.strategy)
        outcome = self.outcomes[job.strategy]
        return StoredRun(outcome)

    def close(self) -> None:
        self.closed += 1


def register(names: list[str], metric: str = "sharpe_ratio", **walker: Any) -> None:
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.make_candles(days=1)}))
    add_frame("day", start=ws.START, end=ws.START + 1440 * ws.MINUTE)
    for name in names:
        add_strategy(name, interval="1m", get_signal=ws.never)
    add_walker("w", strategies=names, exchange="mem", frame="day", metric=metric, **walker)


async def walk(executor: Any, symbol: str = SYMBOL) -> list[WalkerProgress]:
    with anyio.fail_after(20):
        return [c async for c in Walker.run(symbol, walker="w", executor=executor)]


# --- ranking -------------------------------------------------------------------------------


MAXIMISED = [m for m in WALKER_METRICS if m not in ("max_drawdown", "total_trades")]


@pytest.mark.parametrize("metric", MAXIMISED)
async def test_reference_metrics_are_maximised(metric: str) -> None:
    register(["a", "b", "c"], metric)
    values = {"a": -1.5, "b": 3.25, "c": 2.0}
    outcomes = {name: stats(**{metric: value}) for name, value in values.items()}
    contracts = await walk(FakeExecutor(dict(outcomes)))
    assert [c.current_metric for c in contracts] == [-1.5, 3.25, 2.0]
    assert [(c.best_strategy, c.best_metric) for c in contracts] == [
        ("a", -1.5),
        ("b", 3.25),
        ("b", 3.25),
    ]
    data = Walker.get_data(SYMBOL, "w")
    assert (data.best_strategy, data.best_metric, data.best_stats) == ("b", 3.25, outcomes["b"])


async def test_max_drawdown_lower_is_better() -> None:
    register(["a", "b", "c"], "max_drawdown")
    outcomes = {"a": 1.0, "b": 3.0, "c": 0.5}
    contracts = await walk(FakeExecutor({n: stats(max_drawdown=v) for n, v in outcomes.items()}))
    assert [(c.best_strategy, c.best_metric) for c in contracts] == [
        ("a", 1.0),
        ("a", 1.0),
        ("c", 0.5),
    ]


async def test_total_trades_more_is_better_ties_keep_the_first() -> None:
    register(["a", "b", "c"], "total_trades")
    outcomes = {"a": 5, "b": 9, "c": 9}
    contracts = await walk(FakeExecutor({n: stats(total_trades=v) for n, v in outcomes.items()}))
    assert [c.current_metric for c in contracts] == [5, 9, 9]
    assert [c.best_strategy for c in contracts] == ["a", "b", "b"]


@pytest.mark.parametrize("metric", WALKER_METRICS)
async def test_ties_keep_the_earlier_strategy(metric: str) -> None:
    register(["a", "b"], metric)
    value = 7 if metric == "total_trades" else 0.0
    contracts = await walk(FakeExecutor({n: stats(**{metric: value}) for n in ("a", "b")}))
    assert [c.best_strategy for c in contracts] == ["a", "a"]
    assert contracts[-1].best_metric == value


@pytest.mark.parametrize("metric", [m for m in WALKER_METRICS if m != "total_trades"])
async def test_null_metrics_never_become_best(metric: str) -> None:
    register(["a", "b", "c", "d"], metric)
    outcomes = {"a": None, "b": 1.0, "c": None, "d": 2.0 if metric != "max_drawdown" else 0.5}
    contracts = await walk(FakeExecutor({n: stats(**{metric: v}) for n, v in outcomes.items()}))
    assert [c.best_strategy for c in contracts] == [None, "b", "b", "d"]
    assert [c.current_metric for c in contracts][:3] == [None, 1.0, None]
    assert contracts[0].best_metric is None


async def test_all_null_leaves_no_best() -> None:
    register(["a", "b"])
    complete: list[Any] = []
    topics.walker_complete.subscribe(complete.append)
    contracts = await walk(FakeExecutor({"a": stats(), "b": stats()}))
    assert [c.best_strategy for c in contracts] == [None, None]
    [final] = complete
    assert (final.best_strategy, final.best_metric, final.best_stats) == (None, None, None)


def test_metric_value_is_finite_numbers_only() -> None:
    assert metric_value(stats(sharpe_ratio=0.0), "sharpe_ratio") == 0.0
    assert metric_value(stats(sharpe_ratio=math.nan), "sharpe_ratio") is None
    assert metric_value(stats(total_pnl=math.inf), "total_pnl") is None
    assert metric_value(stats(total_pnl=-math.inf), "total_pnl") is None
    assert metric_value(stats(total_trades=0), "total_trades") == 0
    assert is_better(1.0, None, "sharpe_ratio") and not is_better(None, 1.0, "sharpe_ratio")
    assert not is_better(1.0, 1.0, "sharpe_ratio") and not is_better(1.0, 1.0, "max_drawdown")
    assert is_better(0.2, 0.3, "max_drawdown") and not is_better(0.3, 0.2, "max_drawdown")
    assert reference_metric_name("expected_yearly_returns") == "expectedYearlyReturns"


def _result(name: str, value: float | None) -> WalkerStrategyResult:
    return WalkerStrategyResult(strategy_name=name, stats=stats(), metric_value=value)


def _ranking(metric: str, values: list[tuple[str, float | None]]) -> list[str]:
    data = WalkerResults(
        walker_name="w",
        symbol=SYMBOL,
        exchange_name="x",
        frame_name="f",
        metric=metric,
        total_strategies=len(values),
        best_strategy=None,
        best_metric=None,
        best_stats=None,
        strategy_results=tuple(_result(n, v) for n, v in values),
    )
    lines = walker_report(data).split("\n")
    start = lines.index("## Top Strategies Comparison") + 4
    rows = lines[start : lines.index("## All Signals (PNL Table)") - 1]
    return [line.split(" | ")[1] for line in rows]


def test_report_ranks_best_first_nulls_last_stable() -> None:
    values = [("n1", None), ("a", 1.0), ("b", 3.0), ("c", 1.0), ("n2", None)]
    assert _ranking("sharpe_ratio", values) == ["b", "a", "c", "n1", "n2"]
    assert _ranking("max_drawdown", values) == ["a", "c", "b", "n1", "n2"]
    many = [(f"s{i}", float(i)) for i in range(12)]
    assert len(_ranking("total_pnl", many)) == 10  # top 10 only


# --- order of events and callbacks, error path ------------------------------------------


async def test_event_and_callback_order_with_a_failing_strategy() -> None:
    log: list[Any] = []

    async def on_complete_strategy(name: str, symbol: str, st: Any, value: Any) -> None:
        await anyio.sleep(0)  # awaited before the walker event
        log.append(("complete", name, value))

    callbacks = WalkerCallbacks(
        on_strategy_start=lambda name, symbol: log.append(("start", name, symbol)),
        on_strategy_complete=on_complete_strategy,
        on_strategy_error=lambda name, symbol, exc: log.append(("error", name, str(exc))),
        on_complete=lambda final: log.append(("final", final.best_strategy)),
    )
    register(["a", "b", "c"], "total_pnl", callbacks=callbacks)
    topics.progress_walker.subscribe(
        lambda e: log.append(("progress", e.processed_strategies, e.total_strategies, e.progress))
    )
    topics.walker.subscribe(lambda c: log.append(("walker", c.strategy_name)))
    topics.error.subscribe(lambda exc: log.append(("error-topic", str(exc))))
    topics.walker_complete.subscribe(lambda e: log.append(("walker_complete", e.best_strategy)))
    executor = FakeExecutor(
        {"a": stats(total_pnl=1.0), "b": RuntimeError("boom"), "c": stats(total_pnl=2.0)}
    )
    contracts: list[WalkerProgress] = []
    with anyio.fail_after(10):
        async for c in Walker.run(SYMBOL, walker="w", executor=executor):
            log.append(("yield", c.strategy_name))
            contracts.append(c)
    assert log == [
        ("start", "a", SYMBOL),
        ("progress", 1, 3, 1 / 3),
        ("complete", "a", 1.0),
        ("walker", "a"),
        ("yield", "a"),
        ("start", "b", SYMBOL),
        ("error-topic", "boom"),
        ("error", "b", "boom"),
        ("start", "c", SYMBOL),
        ("progress", 2, 3, 2 / 3),
        ("complete", "c", 2.0),
        ("walker", "c"),
        ("yield", "c"),
        ("final", "c"),
        ("walker_complete", "c"),
    ]
    assert [(c.strategy_name, c.strategies_tested, c.total_strategies) for c in contracts] == [
        ("a", 1, 3),
        ("c", 2, 3),
    ]
    assert [r.strategy_name for r in Walker.get_data(SYMBOL, "w").strategy_results] == ["c", "a"]
    assert executor.closed == 1


async def test_a_real_backtest_failure_is_reported_not_raised() -> None:
    from backtestkit.adapters.candles import CsvCandles

    add_exchange("missing", candles=CsvCandles("no/such/file.csv"))
    add_frame("day", start=ws.START, end=ws.START + 60 * ws.MINUTE)
    add_strategy("a", interval="1m", get_signal=ws.never)
    errors: list[tuple[str, str]] = []
    add_walker(
        "w",
        strategies=["a"],
        exchange="missing",
        frame="day",
        callbacks=WalkerCallbacks(
            on_strategy_error=lambda name, symbol, exc: errors.append((name, type(exc).__name__))
        ),
    )
    published: list[BaseException] = []
    topics.error.subscribe(published.append)
    with anyio.fail_after(10):
        contracts = [c async for c in Walker.run(SYMBOL, walker="w")]
    assert contracts == []
    assert errors == [("a", "FileNotFoundError")]
    assert [type(e).__name__ for e in published] == ["FileNotFoundError"]
    with pytest.raises(ValueError, match=r"^No walker data available - no results added yet$"):
        Walker.get_data(SYMBOL, "w")


async def test_breaking_out_closes_the_executor_and_emits_no_completion() -> None:
    register(["a", "b"])
    complete: list[Any] = []
    topics.walker_complete.subscribe(complete.append)
    executor = FakeExecutor({"a": stats(), "b": stats()})
    results = Walker.run(SYMBOL, walker="w", executor=executor)
    async for _ in results:
        break
    await results.aclose()  # type: ignore[attr-defined]
    assert executor.submitted == ["a"] and executor.closed == 1 and complete == []


# --- stop filtering: symbol AND walker name --------------------------------------------------


async def test_stop_is_filtered_by_symbol_and_walker() -> None:
    """Walkers A and B on BTC, and A on ETH, at once: stopping (BTC, A) stops only that run."""

    async def yielding(symbol: str, when: Any) -> None:  # every tick yields: the runs interleave
        await anyio.sleep(0)

    candles = {symbol: ws.make_candles(days=1) for symbol in ("BTCUSDT", "ETHUSDT")}
    add_exchange("mem", candles=MemoryCandles(candles))
    add_frame("f", start=ws.START, end=ws.START + 180 * ws.MINUTE)
    started: list[tuple[str, str, str]] = []
    for name in ("a1", "a2", "a3", "b1", "b2", "b3"):
        add_strategy(name, interval="1m", get_signal=yielding)

    async def stop_btc_a(name: str, symbol: str, st: Any, value: Any) -> None:
        if symbol == "BTCUSDT" and name == "a1":
            await Walker.stop("BTCUSDT", "A")

    for walker, names in (("A", ["a1", "a2", "a3"]), ("B", ["b1", "b2", "b3"])):
        add_walker(
            walker,
            strategies=names,
            exchange="mem",
            frame="f",
            callbacks=WalkerCallbacks(
                on_strategy_start=lambda n, s, w=walker: started.append((w, s, n)),
                on_strategy_complete=stop_btc_a if walker == "A" else None,
            ),
        )
    stops: list[WalkerStopEvent] = []
    topics.walker_stop.subscribe(stops.append)
    done: list[DoneEvent] = []
    finished = anyio.Event()

    def on_done(event: DoneEvent) -> None:
        done.append(event)
        if len(done) == 3:
            finished.set()

    topics.done_walker.subscribe(on_done)
    with anyio.fail_after(30):
        for symbol, walker in (("BTCUSDT", "A"), ("BTCUSDT", "B"), ("ETHUSDT", "A")):
            Walker.background(symbol, walker=walker)
        await finished.wait()
    assert [(e.symbol, e.walker_name, e.strategy_name) for e in stops] == [
        ("BTCUSDT", "A", "a1"),
        ("BTCUSDT", "A", "a2"),
        ("BTCUSDT", "A", "a3"),
    ]
    assert {(w, s) for w, s, _ in started[:3]} == {  # the three runs went on at once
        ("A", "BTCUSDT"),
        ("B", "BTCUSDT"),
        ("A", "ETHUSDT"),
    }
    assert [n for w, s, n in started if (w, s) == ("A", "BTCUSDT")] == ["a1"]
    assert [n for w, s, n in started if (w, s) == ("B", "BTCUSDT")] == ["b1", "b2", "b3"]
    assert [n for w, s, n in started if (w, s) == ("A", "ETHUSDT")] == ["a1", "a2", "a3"]
    assert len(Walker.get_data("BTCUSDT", "A").strategy_results) == 1
    assert len(Walker.get_data("BTCUSDT", "B").strategy_results) == 3
    assert len(Walker.get_data("ETHUSDT", "A").strategy_results) == 3
    assert {item.status for item in Walker.list()} == {"fulfilled"}


async def test_cancel_publishes_stops_and_done_once() -> None:
    register(["a", "b"])
    stops: list[WalkerStopEvent] = []
    done: list[DoneEvent] = []
    topics.walker_stop.subscribe(stops.append)
    topics.done_walker.subscribe(done.append)
    cancel = Walker.background(SYMBOL, walker="w", executor=FakeExecutor({"a": stats()}))
    cancel()
    cancel()
    with anyio.fail_after(5):
        while Walker.list()[0].status == "pending":
            await anyio.sleep(0.01)
    assert [(s.symbol, s.walker_name) for s in stops] == [(SYMBOL, "w")] * 4
    assert [(d.strategy_name, d.exchange_name, d.backtest, d.symbol) for d in done] == [
        ("w", "mem", True, SYMBOL)
    ]


# --- facade ----------------------------------------------------------------------------------


async def test_get_data_report_and_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register(["a"], "win_rate")
    with pytest.raises(ValueError, match="No walker data available - no results added yet"):
        Walker.get_data(SYMBOL, "w")
    with pytest.raises(ValueError, match="walker 'nope'"):
        Walker.get_data(SYMBOL, "nope")
    await walk(FakeExecutor({"a": stats(win_rate=50.0, total_signals=2)}))
    data = Walker.get_data(SYMBOL, "w")
    assert data.to_dict()["strategy_results"][0]["metric_value"] == 50.0
    monkeypatch.chdir(tmp_path)
    path = Walker.dump(SYMBOL, "w")
    assert path == Path("dump", "walker", "w.md")
    assert path.read_text() == Walker.get_report(SYMBOL, "w")
    assert "**Optimization Metric:** winRate" in path.read_text()
    assert Walker.dump(SYMBOL, "w", "out").name == "w.md"


def test_run_validates_eagerly() -> None:
    register(["a"])
    with pytest.raises(ValueError, match="walker 'nope'"):
        Walker.run(SYMBOL, walker="nope")
    with pytest.raises(ValueError, match="workers"):
        Walker.run(SYMBOL, walker="w", workers=0)
    with pytest.raises(ValueError, match="not both"):
        Walker.run(SYMBOL, walker="w", workers=2, dask="tcp://127.0.0.1:1")


def test_storage_keeps_best_stats_of_the_best_contract() -> None:
    from backtestkit.actors.walker.storage import WalkerStorage

    storage = WalkerStorage()
    first = stats(total_pnl=1.0)
    base = dict(
        symbol=SYMBOL,
        walker_name="w",
        exchange_name="x",
        frame_name="f",
        metric="total_pnl",
        total_strategies=2,
    )
    a = WalkerProgress(
        **base,
        strategies_tested=1,
        best_strategy="a",
        best_metric=1.0,
        strategy_name="a",
        current_metric=1.0,
        stats=first,
    )
    storage.record(a)
    storage.record(
        replace(
            a,
            strategies_tested=2,
            strategy_name="b",
            current_metric=0.5,
            stats=stats(total_pnl=0.5),
        )
    )
    assert storage.best_stats is first and storage.best_strategy == "a"


REFERENCE_NULL_REPORT = "\n".join(  # backtest-kit 1.5.25, two strategies without any signal
    [
        "# Walker Comparison Report: w",
        "",
        "**Symbol:** BTC",
        "**Exchange:** mem",
        "**Frame:** day",
        "**Optimization Metric:** sharpeRatio",
        "**Strategies Tested:** 2",
        "",
        "## Best Strategy: null",
        "",
        "**Best sharpeRatio:** N/A",
        "**Total Signals:** 0",
        "",
        "## Top Strategies Comparison",
        "",
        "| Rank | Strategy | Metric | Total Signals | Win Rate | Avg PNL | Total PNL "
        "| Sharpe Ratio | Std Dev |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        "| 1 | n2 | N/A | 0 | N/A | N/A | N/A | N/A | N/A |",
        "| 2 | n1 | N/A | 0 | N/A | N/A | N/A | N/A | N/A |",
        "",
        "## All Signals (PNL Table)",
        "",
        "No closed signals available.",
        "",
        "**Note:** Higher values are better for all metrics except Standard Deviation "
        "(lower is better).",
    ]
)


async def test_report_without_signals_matches_the_reference() -> None:
    register(["n1", "n2"])
    await walk(FakeExecutor({"n1": stats(), "n2": stats()}), symbol="BTC")
    assert Walker.get_report("BTC", "w") == REFERENCE_NULL_REPORT


def test_report_without_results() -> None:
    data = WalkerResults(
        walker_name="w",
        symbol=SYMBOL,
        exchange_name="x",
        frame_name="f",
        metric="total_pnl",
        total_strategies=1,
        best_strategy=None,
        best_metric=None,
        best_stats=None,
        strategy_results=(),
    )
    report = walker_report(data)
    assert report.count("No strategy results available.") == 2  # SPEC 10.3: both tables
    assert not report.endswith("\n")


async def test_report_uses_the_configured_columns() -> None:
    from backtestkit.actors.reports import Column, set_columns

    register(["a"], "total_pnl")
    await walk(FakeExecutor({"a": stats(total_pnl=1.0)}))
    set_columns(
        walker_strategy_columns=[Column("strategy", "Strategy", lambda r, _i: r.strategy_name)]
    )
    report = Walker.get_report(SYMBOL, "w")
    assert "## Top Strategies Comparison\n\n| Strategy |\n| --- |\n| a |\n" in report
