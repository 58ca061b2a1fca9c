"""Differential tests against the reference engine's golden fixtures (tests/golden/README.md).

Every yielded result, every non-idle signal event, the idle price series, validation errors,
risk rejections, partial levels, getSignal call times, statistics and the Markdown report must
equal what backtest-kit 1.5.25 produced on the same real candles, bit for bit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from backtestkit.actors import Backtest, Closed
from backtestkit.actors.core import registry
from backtestkit.actors.testing import reset_engine
from backtestkit.bus import PartialEvent, RiskEvent, TickResult, topics

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
sys.path.insert(0, str(GOLDEN))
from strategies import register  # noqa: E402

SCENARIOS = [
    "sma-cross",
    "scheduled-limit",
    "always-long",
    "risky-long",
    *(f"fuzz-{seed}" for seed in range(1, 7)),
]


@pytest.fixture(autouse=True)
def default_config() -> None:
    """The fixtures were made with the reference's default config, not the test harness's."""
    reset_engine()


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text())
    return data


def as_reference(result: TickResult) -> dict[str, Any]:
    """Our result in the reference's camelCase shape (only the fields it has)."""
    out: dict[str, Any] = {"action": result.action}
    signal = result.signal
    if signal is not None:
        out["signal"] = {
            "id": signal.id,
            "priceOpen": signal.price_open,
            "position": signal.position,
            "priceTakeProfit": signal.price_take_profit,
            "priceStopLoss": signal.price_stop_loss,
            "minuteEstimatedTime": signal.minute_estimated_time,
            "note": signal.note,
            "symbol": signal.symbol,
            "exchangeName": signal.exchange_name,
            "strategyName": signal.strategy_name,
            "scheduledAt": signal.scheduled_at,
            "pendingAt": signal.pending_at,
            "_isScheduled": signal.is_scheduled,
        }
    out["currentPrice"] = result.current_price
    if isinstance(result, Closed):
        out["closeReason"] = result.close_reason
        out["pnl"] = {
            "pnlPercentage": result.pnl.pnl_percentage,
            "priceOpen": result.pnl.price_open,
            "priceClose": result.pnl.price_close,
        }
    close_timestamp = getattr(result, "close_timestamp", None)
    if close_timestamp is not None:
        out["closeTimestamp"] = close_timestamp
    if result.action == "active":
        out["percentTp"] = getattr(result, "percent_tp", 0)
        out["percentSl"] = getattr(result, "percent_sl", 0)
    out.update(strategyName=result.strategy_name, exchangeName=result.exchange_name)
    out["symbol"] = result.symbol
    return out


def reference_event(result: TickResult) -> dict[str, Any]:
    shaped = as_reference(result)
    event: dict[str, Any] = {
        "strategyName": result.strategy_name,
        "action": result.action,
        "signalId": shaped["signal"]["id"],
        "currentPrice": result.current_price,
    }
    for key in ("closeReason", "closeTimestamp", "pnl", "percentTp", "percentSl"):
        if key in shaped:
            event[key] = shaped[key]
    event["scheduledAt"] = shaped["signal"]["scheduledAt"]
    event["pendingAt"] = shaped["signal"]["pendingAt"]
    return event


def canonical(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True))


class Recorder:
    """Subscribes to the bus like the fixture generator did."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.idle_prices: list[float] = []
        self.errors: list[str] = []
        self.risk: list[RiskEvent] = []
        self.partial: list[tuple[str, str, int, str, float, int]] = []
        topics.signal_backtest.subscribe(self.on_signal)
        topics.error.subscribe(lambda exc: self.errors.append(str(exc)))
        topics.risk.subscribe(self.risk.append)
        topics.partial_profit.subscribe(lambda e: self.on_partial(e, "profit"))
        topics.partial_loss.subscribe(lambda e: self.on_partial(e, "loss"))

    def on_signal(self, result: TickResult) -> None:
        if result.action == "idle":
            self.idle_prices.append(result.current_price)
        else:
            self.events.append(reference_event(result))

    def on_partial(self, event: PartialEvent, kind: str) -> None:
        self.partial.append(
            (
                event.strategy_name,
                event.data.id,
                event.level,
                kind,
                event.current_price,
                event.timestamp,
            )
        )


def counted_calls(name: str) -> list[int]:
    """Wrap the registered get_signal to record each call's time (ms)."""
    schema = registry.strategies[name]
    calls: list[int] = []
    inner = schema.get_signal

    def recording(symbol: str, when: Any) -> Any:
        calls.append(round(when.timestamp() * 1000))
        return inner(symbol, when)

    registry.strategies[name] = dataclasses.replace(schema, get_signal=recording)
    return calls


def as_coroutine_function(name: str, *, suspend: bool) -> None:
    """Re-register the strategy as reference users write it: `async def get_signal`, which
    either completes without waiting or really yields to the event loop first."""
    schema = registry.strategies[name]
    inner = schema.get_signal

    async def get_signal(symbol: str, when: Any) -> Any:
        if suspend:
            await anyio.sleep(0)
        return inner(symbol, when)

    registry.strategies[name] = dataclasses.replace(schema, get_signal=get_signal)


async def run(name: str) -> list[TickResult]:
    return [r async for r in Backtest.run("BTCUSD", strategy=name, exchange="kaggle", frame="f")]


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("style", ["sync", "async", "suspending"])
@pytest.mark.anyio
async def test_matches_reference_with_every_listener(name: str, style: str) -> None:
    """All events observed: idle results are built, nothing is skipped."""
    golden = load(name)
    register(name)
    calls = counted_calls(name)
    if style != "sync":
        as_coroutine_function(name, suspend=style == "suspending")
    recorder = Recorder()
    results = await run(name)

    assert [as_reference(r) for r in results] == golden["results"]
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
    assert [e.count("\n") for e in recorder.errors] == [e.count("\n") for e in golden["errors"]]
    assert [
        (r.symbol, r.strategy_name, r.exchange_name, r.current_price, r.comment)
        for r in recorder.risk
    ] == [
        (r["symbol"], r["strategyName"], r["exchangeName"], r["currentPrice"], r["comment"])
        for r in golden["risk"]
    ]
    assert [r.active_position_count for r in recorder.risk] == [
        r["activePositionCount"] for r in golden["risk"]
    ]
    assert len([p for p in recorder.partial if p[3] == "profit"]) == golden["partial"]["profit"]
    assert len([p for p in recorder.partial if p[3] == "loss"]) == golden["partial"]["loss"]
    assert recorder.partial == [
        (e["strategyName"], e["signalId"], e["level"], e["kind"], e["currentPrice"], e["timestamp"])
        for e in golden["partial"]["events"]
    ]
    assert calls == golden["get_signal_calls"]["timestamps"]
    assert Backtest.get_report("BTCUSD", name) == golden["report"]
    stats = Backtest.get_data("BTCUSD", name)
    expected = golden["stats"]
    assert [r.signal.id for r in stats.signal_list] == expected["signalList"]
    assert (stats.total_signals, stats.win_count, stats.loss_count) == (
        expected["totalSignals"],
        expected["winCount"],
        expected["lossCount"],
    )
    for ours, theirs in (
        ("win_rate", "winRate"),
        ("avg_pnl", "avgPnl"),
        ("total_pnl", "totalPnl"),
        ("std_dev", "stdDev"),
        ("sharpe_ratio", "sharpeRatio"),
        ("annualized_sharpe_ratio", "annualizedSharpeRatio"),
        ("certainty_ratio", "certaintyRatio"),
        ("expected_yearly_returns", "expectedYearlyReturns"),
    ):
        assert getattr(stats, ours) == expected[theirs], ours


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.parametrize("style", ["sync", "async", "suspending"])
@pytest.mark.anyio
async def test_matches_reference_on_the_fast_path(name: str, style: str) -> None:
    """Nobody listens: idle frames are jumped; yielded results and stats must not change."""
    golden = load(name)
    register(name)
    calls = counted_calls(name)
    if style != "sync":
        as_coroutine_function(name, suspend=style == "suspending")
    results = await run(name)
    assert [as_reference(r) for r in results] == golden["results"]
    assert calls == golden["get_signal_calls"]["timestamps"]
    assert Backtest.get_report("BTCUSD", name) == golden["report"]


def test_two_runs_are_byte_identical() -> None:
    register("fuzz-3")
    first = [
        json.dumps(r.to_dict())
        for r in Backtest.run_sync("BTCUSD", strategy="fuzz-3", exchange="kaggle", frame="f")
    ]
    second = [
        json.dumps(r.to_dict())
        for r in Backtest.run_sync("BTCUSD", strategy="fuzz-3", exchange="kaggle", frame="f")
    ]
    assert first == second
    assert len(first) == load("fuzz-3")["results_count"]


def test_two_backtests_can_run_concurrently() -> None:
    register("sma-cross", "scheduled-limit")

    async def both() -> tuple[list[TickResult], list[TickResult]]:
        out: dict[str, list[TickResult]] = {}

        async def one(name: str) -> None:
            out[name] = await run(name)

        async with anyio.create_task_group() as group:
            group.start_soon(one, "sma-cross")
            group.start_soon(one, "scheduled-limit")
        return out["sma-cross"], out["scheduled-limit"]

    sma, limit = anyio.run(both)
    assert [as_reference(r) for r in sma] == load("sma-cross")["results"]
    assert [as_reference(r) for r in limit] == load("scheduled-limit")["results"]
