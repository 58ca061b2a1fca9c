"""Engines are isolated: two in one process, run at once, each give what they give alone."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime
from typing import Any

import anyio
import pytest
from flat_market import MIN, SYMBOL, T0, flat_market

from backtestkit.actors import (
    Backtest,
    Engine,
    Signal,
    add_exchange,
    add_frame,
    add_strategy,
    get_config,
    set_config,
)
from backtestkit.actors.core import list_strategies
from backtestkit.bus import Closed, listen_done_backtest, listen_signal

# SPEC 8 on a flat market at 100 with the default 0.1 % slippage and 0.1 % fee per side
LONG_FLAT_DEFAULT = (100 * (1 - 0.1 / 100) - 100 * (1 + 0.1 / 100)) / (100 * (1 + 0.1 / 100)) * 100
LONG_FLAT_DEFAULT -= 0.1 * 2


def _setup(position: str, minutes: int, **config: Any) -> None:
    """The same names in every engine: exchange "x", frame "f", strategy "s"."""
    if config:
        set_config(**config)

    async def get_signal(symbol: str, when: datetime) -> Signal:
        await anyio.sleep(0)  # really suspends: the two engines' runs interleave here
        if position == "long":
            return Signal("long", 110.0, 90.0, minutes)
        return Signal("short", 90.0, 110.0, minutes)

    add_exchange("x", candles=flat_market(minutes=120))
    add_frame("f", start=T0, end=T0 + 59 * MIN)
    add_strategy("s", interval="1m", get_signal=get_signal)


async def _run(engine: Engine, seen: list[Any]) -> list[tuple[Any, ...]]:
    with engine:
        listen_signal(lambda result: seen.append(result) if result.action != "idle" else None)
        return [
            (r.action, r.signal.position, r.signal.pending_at, r.close_timestamp, r.pnl)
            for r in [r async for r in Backtest.run(SYMBOL, strategy="s", exchange="x", frame="f")]
            if isinstance(r, Closed)
        ]


def _engines() -> tuple[Engine, Engine]:
    first, second = Engine(), Engine()
    with first:
        _setup("long", 10)
    with second:
        _setup("short", 20, CC_PERCENT_SLIPPAGE=0, CC_PERCENT_FEE=0)
    return first, second


@pytest.mark.anyio
async def test_two_engines_at_once_give_what_each_gives_alone() -> None:
    alone_first, alone_second = _engines()
    expected_first = await _run(alone_first, [])
    expected_second = await _run(alone_second, [])

    first, second = _engines()
    seen_first: list[Any] = []
    seen_second: list[Any] = []
    results: dict[str, list[tuple[Any, ...]]] = {}

    async def run(name: str, engine: Engine, seen: list[Any]) -> None:
        results[name] = await _run(engine, seen)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(run, "first", first, seen_first)
        tasks.start_soon(run, "second", second, seen_second)

    assert results["first"] == expected_first
    assert results["second"] == expected_second
    # each engine's own config and strategy: long with default costs, short without any
    assert expected_first and {row[1] for row in expected_first} == {"long"}
    assert {row[4].pnl_percentage for row in expected_first} == {LONG_FLAT_DEFAULT}
    assert expected_second and {row[1] for row in expected_second} == {"short"}
    assert {row[4].pnl_percentage for row in expected_second} == {0.0}
    assert [r.strategy_name for r in seen_first] and all(
        r.signal.position == "long" for r in seen_first
    )
    assert all(r.signal.position == "short" for r in seen_second)
    # a signal held 10 minutes (long) against 20 (short): different trade lists
    assert len(expected_first) > len(expected_second)


def test_an_engine_leaves_the_default_engine_alone() -> None:
    engine = Engine()
    with engine:
        set_config(CC_PERCENT_FEE=0.15)
        _setup("long", 10)
        assert [s.name for s in list_strategies()] == ["s"]
    assert list_strategies() == []
    assert get_config().CC_PERCENT_FEE == 0.1
    with engine:  # entered again: still its own
        assert get_config().CC_PERCENT_FEE == 0.15


def test_an_engine_entered_in_a_run_keeps_that_run_on_its_engine() -> None:
    """A run started inside `with engine` stays on it while the caller iterates outside."""
    engine = Engine()
    with engine:
        _setup("long", 10, CC_PERCENT_SLIPPAGE=0, CC_PERCENT_FEE=0)
        run = Backtest.run(SYMBOL, strategy="s", exchange="x", frame="f")

    async def consume() -> list[Any]:
        return [r async for r in run]

    closed = anyio.run(consume)
    assert closed and all(r.signal.position == "long" for r in closed)
    assert {r.pnl.pnl_percentage for r in closed} == {0.0}  # the engine's costs, not the default's
    assert list_strategies() == []


def test_a_background_run_in_a_worker_thread_stays_on_its_engine() -> None:
    engine = Engine()
    done = threading.Event()
    with engine:
        _setup("long", 10, CC_PERCENT_SLIPPAGE=0, CC_PERCENT_FEE=0)
        listen_done_backtest(lambda _event: done.set())
        Backtest.background(SYMBOL, strategy="s", exchange="x", frame="f")  # no loop: a thread
    assert done.wait(10)
    with engine:
        closed = Backtest.get_data(SYMBOL, "s").signal_list
    assert closed and {r.pnl.pnl_percentage for r in closed} == {0.0}
    assert list_strategies() == []


def test_importing_backtestkit_configures_no_logging_and_subscribes_nothing() -> None:
    code = """
import logging, structlog
handlers = list(logging.getLogger().handlers)
level = logging.getLogger().level
import backtestkit, backtestkit.actors, backtestkit.adapters.cli
from backtestkit.actors.core import engine
assert logging.getLogger().handlers == handlers, logging.getLogger().handlers
assert logging.getLogger().level == level
assert not structlog.is_configured(), "structlog configured at import"
assert engine._default is None, "an engine (and its report subscriptions) made at import"
print("clean")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"
