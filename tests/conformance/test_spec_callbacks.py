"""SCENARIOS A.13 spec/callbacks (backtest part): MOCK, STD-LONG, 1d frame, background run.

spec/callbacks/on-active-live and on-idle-live (Live mode) are in test_spec_live.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from backtestkit.actors import Closed, add_frame, add_strategy

from .harness import DAY_MS, P_STAR, T0, add_day_frame, add_mock_exchange, minutes, std_long
from .spec_support import SYMBOL, epoch_ms, run_background, spec_pnl

pytestmark = pytest.mark.anyio

TP = P_STAR + 1000


async def _calls(callback: str, note: str = "std-long") -> list[tuple[Any, ...]]:
    """Arguments of every call of one strategy callback during a STD-LONG background run."""
    add_mock_exchange()
    add_day_frame()
    calls: list[tuple[Any, ...]] = []
    add_strategy(
        "cb",
        interval="1m",
        get_signal=std_long(note=note),
        callbacks={callback: lambda *args: calls.append(args)},
    )
    await run_background(strategy="cb")
    return calls


async def test_on_open() -> None:
    """spec/callbacks/on-open"""
    calls = await _calls("on_open")
    assert calls  # asserted: called
    # computed: once (Jan 2 is skipped), at priceOpen = P*, backtest true
    assert len(calls) == 1
    symbol, signal, price, backtest = calls[0]
    assert symbol == SYMBOL
    assert price == P_STAR == signal.price_open
    assert backtest is True
    assert isinstance(signal.id, str) and signal.id
    assert signal.pending_at == signal.scheduled_at == T0


async def test_on_close() -> None:
    """spec/callbacks/on-close"""
    calls = await _calls("on_close")
    assert calls  # asserted: called
    # computed: the TP close of SCENARIOS 0.5
    assert len(calls) == 1
    symbol, signal, price_close, backtest = calls[0]
    assert symbol == SYMBOL
    assert price_close == TP
    assert backtest is True
    assert signal.price_open == P_STAR


async def test_on_timeframe() -> None:
    """spec/callbacks/on-timeframe"""
    add_mock_exchange()
    calls: list[tuple[Any, ...]] = []
    add_frame(
        "1d",
        start=T0,
        end=T0 + DAY_MS,
        interval="1d",
        callbacks={"on_timeframe": lambda *args: calls.append(args)},
    )
    add_strategy("cb", interval="1m", get_signal=lambda symbol, when: None)
    await run_background(strategy="cb")
    assert calls  # asserted: called
    # computed: once, a 2-point timeline from 2024-01-01 to 2024-01-02, interval "1d"
    assert len(calls) == 1
    timeline, start, end, interval = calls[0]
    assert [epoch_ms(t) for t in timeline] == [T0, T0 + DAY_MS]
    assert epoch_ms(start) == T0  # 2024-01-01T00:00:00.000Z
    assert epoch_ms(end) == T0 + DAY_MS  # 2024-01-02T00:00:00.000Z
    assert interval == "1d"


async def test_backtest_flag() -> None:
    """spec/callbacks/backtest-flag"""
    calls = await _calls("on_open")
    assert calls[0][3] is True


async def test_signal_object() -> None:
    """spec/callbacks/signal-object"""
    calls = await _calls("on_open", note="signal object test")
    signal = calls[0][1]
    assert signal is not None  # asserted: received
    assert signal.position == "long"
    assert signal.note == "signal object test"
    assert signal.price_open == P_STAR
    assert signal.price_take_profit == P_STAR + 1000
    assert signal.price_stop_loss == P_STAR - 1000
    assert signal.minute_estimated_time == 60
    assert signal.symbol == SYMBOL
    assert signal.strategy_name == "cb"
    assert signal.exchange_name == "mock"


async def test_on_tick_closed() -> None:
    """spec/callbacks/on-tick-closed"""
    calls = await _calls("on_tick")
    closed = [(symbol, result, flag) for symbol, result, flag in calls if result.action == "closed"]
    assert closed  # asserted: the ff close goes through on_tick
    symbol, result, backtest = closed[0]
    assert result.action == "closed"
    assert backtest is True
    # computed: exactly one close, the TP of SCENARIOS 0.5
    assert len(closed) == 1
    assert symbol == SYMBOL
    assert isinstance(result, Closed)
    assert result.close_reason == "take_profit"
    assert result.current_price == TP
    assert result.close_timestamp == T0 + minutes(7)
    assert result.pnl.pnl_percentage == spec_pnl("long", P_STAR, TP)
