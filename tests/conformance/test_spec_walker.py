"""SCENARIOS A.16 spec/walker and the walker part of B.10 e2e/shutdown.

A.16: MOCK exchange, 1d frame; S1 = STD-LONG (TP P*+1000), S2 = the same with TP P*+2000. Each
strategy closes one trade (n = 1), so std 0, sharpe 0 (not null), win rate 100, certainty 0,
and the SPEC 12.2 rule (strict >, first wins ties) picks the best (values from SCENARIOS A.16).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import anyio
import pytest

from backtestkit.actors import (
    Signal,
    Walker,
    WalkerProgress,
    add_strategy,
    add_walker,
    get_average_price,
)
from backtestkit.actors.core import WalkerCallbacks
from backtestkit.bus import (
    DoneEvent,
    WalkerCompleteEvent,
    listen_done_walker,
    listen_walker,
    listen_walker_complete,
    listen_walker_once,
)

from .e2e_sources import MIN, AsyncSource, band
from .harness import P_STAR, T0, PhaseCandles, add_day_frame, add_minute_frame, add_mock_exchange
from .spec_support import SYMBOL, collect_errors, spec_pnl

pytestmark = pytest.mark.anyio

PNL_S1 = spec_pnl("long", P_STAR, P_STAR + 1000)  # SCENARIOS 0.5: +1.950634 %
PNL_S2 = spec_pnl("long", P_STAR, P_STAR + 2000)  # SCENARIOS A.16: +4.301067 %


def std_long_tp(take_profit: float) -> Callable[[str, datetime], Signal]:
    """STD-LONG with TP P* + take_profit."""

    def get_signal(symbol: str, when: datetime) -> Signal:
        price: Any = get_average_price(symbol)
        return Signal("long", price + take_profit, price - 1000, 60, price_open=price)

    return get_signal


def setup(metric: str, *names: str, callbacks: WalkerCallbacks | None = None) -> None:
    add_mock_exchange()
    add_day_frame()
    take_profits = {"S1": 1000, "S2": 2000}
    for name in names:
        add_strategy(name, interval="1m", get_signal=std_long_tp(take_profits[name]))
    add_walker(
        "w", strategies=list(names), exchange="mock", frame="1d", metric=metric, callbacks=callbacks
    )


async def consume(walker: str = "w", symbol: str = SYMBOL) -> list[WalkerProgress]:
    with anyio.fail_after(10):
        return [c async for c in Walker.run(symbol, walker=walker)]


async def background(*runs: tuple[str, str], timeout: float = 10) -> list[DoneEvent]:
    """Walker.background for every (symbol, walker); wait for all their done_walker events."""
    done: list[DoneEvent] = []
    all_done = anyio.Event()

    def on_done(event: DoneEvent) -> None:
        done.append(event)
        if len(done) >= len(runs):
            all_done.set()

    unsubscribe = listen_done_walker(on_done)
    try:
        with anyio.fail_after(timeout):
            for symbol, walker in runs:
                Walker.background(symbol, walker=walker)
            await all_done.wait()
    finally:
        unsubscribe()
    return done


async def test_listen_walker() -> None:
    """spec/walker/listen-walker"""
    setup("sharpe_ratio", "S1", "S2")
    events: list[WalkerProgress] = []
    listen_walker(events.append)
    await background((SYMBOL, "w"))
    assert len(events) == 2
    assert [e.strategies_tested for e in events] == [1, 2]
    assert all(e.total_strategies == 2 for e in events)
    assert [e.best_strategy for e in events] == ["S1", "S1"]


async def test_listen_walker_once() -> None:
    """spec/walker/listen-walker-once"""
    setup("sharpe_ratio", "S1", "S2")
    fired: list[WalkerProgress] = []
    listen_walker_once(lambda e: e.strategy_name == "S2", fired.append)
    await background((SYMBOL, "w"))
    assert [e.strategy_name for e in fired] == ["S2"]


async def test_walker_complete() -> None:
    """spec/walker/walker-complete"""
    setup("win_rate", "S1", "S2")
    final: list[WalkerCompleteEvent] = []
    listen_walker_complete(final.append)
    await consume()
    [event] = final
    assert event.walker_name == "w"
    assert event.total_strategies == 2
    assert event.best_strategy == "S1"  # win rate 100 for both: the first keeps the lead
    assert event.best_metric == 100
    assert event.best_stats is not None


async def test_contract_stats() -> None:
    """spec/walker/contract-stats"""
    setup("total_pnl", "S1")
    events: list[WalkerProgress] = []
    listen_walker(events.append)
    await consume()
    [last] = [e for e in events if e.strategies_tested == e.total_strategies]
    assert {"sharpe_ratio", "win_rate", "total_pnl"} <= set(last.stats.to_dict())
    assert last.current_metric == PNL_S1
    assert last.current_metric == pytest.approx(1.950634, abs=5e-7)


async def test_callback_order() -> None:
    """spec/walker/callback-order"""
    order: list[tuple[Any, ...]] = []
    callbacks = WalkerCallbacks(
        on_strategy_start=lambda name, symbol: order.append(("start", name, symbol)),
        on_strategy_complete=lambda name, symbol, stats, value: order.append(
            ("complete", name, value)
        ),
        on_complete=lambda final: order.append(("final", final.best_strategy)),
    )
    setup("sharpe_ratio", "S1", "S2", callbacks=callbacks)
    await consume()
    assert [entry[0] for entry in order] == ["start", "complete", "start", "complete", "final"]
    assert order == [
        ("start", "S1", SYMBOL),
        ("complete", "S1", 0.0),
        ("start", "S2", SYMBOL),
        ("complete", "S2", 0.0),
        ("final", "S1"),
    ]


async def test_getdata() -> None:
    """spec/walker/getdata"""
    seen: list[Any] = []
    setup(
        "avg_pnl",
        "S1",
        "S2",
        callbacks=WalkerCallbacks(on_complete=lambda _: seen.append(Walker.get_data(SYMBOL, "w"))),
    )
    await consume()
    [data] = seen
    assert (data.walker_name, data.symbol, data.metric) == ("w", SYMBOL, "avg_pnl")
    assert data.total_strategies == 2
    assert data.best_strategy == "S2"
    assert data.best_metric == PNL_S2
    assert data.best_metric == pytest.approx(4.301067, abs=5e-7)
    assert [r.strategy_name for r in data.strategy_results] == ["S2", "S1"]  # newest first


async def test_best_tracking() -> None:
    """spec/walker/best-tracking"""
    setup("sharpe_ratio", "S1", "S2")
    records: list[tuple[Any, ...]] = []
    listen_walker(
        lambda e: records.append(
            (e.strategy_name, e.current_metric, e.best_strategy, e.best_metric)
        )
    )
    await consume()
    assert records == [("S1", 0.0, "S1", 0.0), ("S2", 0.0, "S1", 0.0)]


async def test_report() -> None:
    """spec/walker/report"""
    reports: list[str] = []
    setup(
        "certainty_ratio",
        "S1",
        callbacks=WalkerCallbacks(
            on_complete=lambda _: reports.append(Walker.get_report(SYMBOL, "w"))
        ),
    )
    await consume()
    [report] = reports
    assert "Walker Comparison Report" in report
    assert "w" in report
    assert "Best Strategy" in report
    assert "## Best Strategy: S1" in report
    assert "**Best certaintyRatio:** 0.00" in report


async def test_done_walker() -> None:
    """spec/walker/done-walker"""
    setup("sharpe_ratio", "S1")
    [event] = await background((SYMBOL, "w"))
    assert event.strategy_name == "w"  # Q19
    assert event.symbol == SYMBOL
    assert event.exchange_name == "mock"
    assert event.backtest is True


# --- B.10 e2e/shutdown, walker part -------------------------------------------------------


def flat_exchange(name: str = "flat") -> None:
    """A PHASE-style exchange whose every candle is the 95000 band (o/c 95000, h/l +-100)."""
    from backtestkit.actors import add_exchange

    add_exchange(name, candles=AsyncSource(PhaseCandles(lambda _i: band(95000))))


def long_95000(symbol: str, when: datetime) -> Signal:
    return Signal("long", 96000, 94000, 60, price_open=95000)


def add_walker_of(
    name: str, strategies: list[str], get_signal: Callable[..., Any], started: list[str]
) -> None:
    for strategy in strategies:
        add_strategy(strategy, interval="1m", get_signal=get_signal)

    async def stop_after_first(strategy: str, symbol: str, stats: Any, value: Any) -> None:
        if strategy == strategies[0]:
            await Walker.stop(symbol, name)

    add_walker(
        name,
        strategies=strategies,
        exchange="flat",
        frame="frame",
        callbacks=WalkerCallbacks(
            on_strategy_start=lambda strategy, _symbol: started.append(strategy),
            on_strategy_complete=stop_after_first,
        ),
    )


async def test_shutdown_walker_stop() -> None:
    """e2e/shutdown/walker-stop: stop after the first strategy; the others never start."""
    flat_exchange()
    add_minute_frame("frame", T0, T0 + 30 * MIN)
    started: list[str] = []
    add_walker_of("w", ["a", "b", "c"], long_95000, started)
    errors = collect_errors()
    contracts = await consume()
    assert errors == []
    assert len(started) < 3
    assert started == ["a"]  # SPEC 12.2: break before the next strategy
    assert [c.strategy_name for c in contracts] == ["a"]


async def test_shutdown_two_walkers() -> None:
    """e2e/shutdown/two-walkers: stopping walker A leaves walker B running to completion."""
    flat_exchange()
    add_minute_frame("frame", T0, T0 + 30 * MIN)
    started_a: list[str] = []
    started_b: list[str] = []
    add_walker_of("A", ["a1", "a2"], long_95000, started_a)
    for strategy in ("b1", "b2"):
        add_strategy(strategy, interval="1m", get_signal=long_95000)
    add_walker(
        "B",
        strategies=["b1", "b2"],
        exchange="flat",
        frame="frame",
        callbacks=WalkerCallbacks(on_strategy_start=lambda s, _symbol: started_b.append(s)),
    )
    done = await background((SYMBOL, "A"), (SYMBOL, "B"))
    assert sorted(e.strategy_name for e in done) == ["A", "B"]
    assert len(started_a) < 2 and started_a == ["a1"]
    assert len(started_b) >= 1 and started_b == ["b1", "b2"]
    assert len(Walker.get_data(SYMBOL, "B").strategy_results) == 2


async def null_walker(frame_minutes: int) -> tuple[list[str], list[int]]:
    flat_exchange()
    add_minute_frame("frame", T0, T0 + frame_minutes * MIN)
    calls: list[int] = []

    def null(symbol: str, when: datetime) -> None:
        calls.append(1)

    started: list[str] = []
    add_walker_of("w", ["n1", "n2", "n3"], null, started)
    errors = collect_errors()
    await consume()
    assert errors == []
    return started, calls


async def test_shutdown_walker_null_stop() -> None:
    """e2e/shutdown/walker-null-stop: 3 null strategies, 10-minute frame, stop after the first."""
    started, calls = await null_walker(10)
    assert len(started) < 3
    assert 1 <= len(calls) < 90
    assert started == ["n1"] and len(calls) == 11  # one strategy: 11 one-minute frames


async def test_shutdown_walker_null_stop_fast() -> None:
    """e2e/shutdown/walker-null-stop-fast: same with a 5-minute frame."""
    started, calls = await null_walker(5)
    assert len(started) < 3
    assert 1 <= len(calls) < 15
    assert started == ["n1"] and len(calls) == 6


async def test_shutdown_walker_list_pending() -> None:
    """e2e/shutdown/walker-list-pending: three running walkers are listed as pending."""
    flat_exchange()
    add_minute_frame("frame", T0, T0 + 10 * MIN)
    add_strategy("s", interval="1m", get_signal=long_95000)
    add_walker("w", strategies=["s"], exchange="flat", frame="frame")
    symbols = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    done: list[DoneEvent] = []
    all_done = anyio.Event()

    def on_done(event: DoneEvent) -> None:
        done.append(event)
        if len(done) == 3:
            all_done.set()

    listen_done_walker(on_done)
    with anyio.fail_after(10):
        for symbol in symbols:
            Walker.background(symbol, walker="w")
        listed = Walker.list()
        await all_done.wait()
    assert len(listed) == 3
    assert all(item.status == "pending" for item in listed)
    assert {item.symbol for item in listed} == set(symbols)
    assert all(item.name == "w" for item in listed)
    assert all(item.status == "fulfilled" for item in Walker.list())
