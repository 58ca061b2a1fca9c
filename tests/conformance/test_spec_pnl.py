"""SCENARIOS A.8 spec/pnl: PnL and Backtest.get_data (SPEC 8, 9.1).

Strategy: market long (no price_open), TP P*+100, SL P*-10000, mET 60. It opens at P*, and the
first checked ff candle (k=4, stamped at the open, high 42780.2) already reaches the TP, so every
frame point yields one take_profit close at its own time with pnl -0.164757 %.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest

from backtestkit.actors import (
    Backtest,
    BacktestStatistics,
    Closed,
    Signal,
    add_strategy,
    get_average_price,
)
from backtestkit.bus import listen_signal_backtest

from .harness import DAY_MS, P_STAR, T0, add_day_frame, add_mock_exchange
from .spec_support import SYMBOL, run_background, spec_pnl, spec_statistics

pytestmark = pytest.mark.anyio

PNL = spec_pnl("long", P_STAR, P_STAR + 100)


def _small_tp(symbol: str, when: datetime) -> Signal:
    price: Any = get_average_price(symbol)
    return Signal("long", price + 100, price - 10000, 60)


def _setup(days: int = 1, get_signal: Any = _small_tp) -> list[Closed]:
    """Register MOCK, a 1d frame of days + 1 points and the strategy; collect closed events."""
    add_mock_exchange()
    add_day_frame(days=days)
    add_strategy("pnl", interval="1m", get_signal=get_signal)
    closed: list[Closed] = []
    listen_signal_backtest(lambda r: closed.append(r) if isinstance(r, Closed) else None)
    return closed


def _assert_trade(result: Closed, day: int) -> None:
    assert result.close_reason == "take_profit"
    assert result.close_timestamp == result.signal.pending_at == T0 + day * DAY_MS
    assert result.pnl.pnl_percentage == PNL


async def test_pnl_computed() -> None:
    """spec/pnl/pnl-computed"""
    closed = _setup()
    await run_background(strategy="pnl")
    first = closed[0]
    assert first.pnl is not None
    assert first.pnl.price_open == P_STAR
    assert first.pnl.price_close == P_STAR + 100
    assert first.current_price == P_STAR + 100
    assert first.pnl.pnl_percentage == PNL
    assert first.pnl.pnl_percentage == pytest.approx(-0.164757, abs=5e-7)
    _assert_trade(first, 0)


async def test_getdata_structure() -> None:
    """spec/pnl/getdata-structure"""
    closed = _setup()
    at_first_close: list[BacktestStatistics] = []

    def on_closed(result: Closed) -> None:
        if not at_first_close:
            at_first_close.append(Backtest.get_data(SYMBOL, "pnl"))

    listen_signal_backtest(on_closed, lambda r: isinstance(r, Closed))
    await run_background(strategy="pnl")
    stats = at_first_close[0]
    assert isinstance(stats.total_signals, int)
    assert isinstance(stats.signal_list, tuple | list)
    assert stats.total_signals == len(stats.signal_list)
    # computed: the 1d frame has 2 points, each yields one trade
    final = Backtest.get_data(SYMBOL, "pnl")
    assert final.total_signals == len(final.signal_list) == len(closed) == 2


async def test_getdata_fields() -> None:
    """spec/pnl/getdata-fields"""
    _setup()
    await run_background(strategy="pnl")
    stats = Backtest.get_data(SYMBOL, "pnl")
    names = {field.name for field in dataclasses.fields(stats)}
    expected = {
        "signal_list",
        "total_signals",
        "win_count",
        "loss_count",
        "win_rate",
        "avg_pnl",
        "total_pnl",
        "std_dev",
        "sharpe_ratio",
        "annualized_sharpe_ratio",
        "certainty_ratio",
        "expected_yearly_returns",
    }
    assert expected <= names
    assert expected <= set(stats.to_dict())
    # computed: two identical losing trades of zero duration
    want = spec_statistics([PNL, PNL], [0, 0])
    assert (stats.total_signals, stats.win_count, stats.loss_count) == (2, 0, 2)
    for key, value in want.items():
        assert getattr(stats, key) == value, key


async def test_empty_nulls() -> None:
    """spec/pnl/empty-nulls"""
    _setup(get_signal=lambda symbol, when: None)
    await run_background(strategy="pnl")
    stats = Backtest.get_data(SYMBOL, "pnl")
    assert stats.total_signals == 0
    assert stats.win_rate is None
    assert stats.avg_pnl is None
    # SPEC 9.1: empty list => counts 0, every metric None, empty signal list
    assert (stats.win_count, stats.loss_count, len(stats.signal_list)) == (0, 0, 0)
    for key in (
        "total_pnl",
        "std_dev",
        "sharpe_ratio",
        "annualized_sharpe_ratio",
        "certainty_ratio",
        "expected_yearly_returns",
    ):
        assert getattr(stats, key) is None, key


async def test_signal_list() -> None:
    """spec/pnl/signal-list"""
    closed = _setup(days=2)  # Jan 1 -> Jan 3: 3 points
    await run_background(strategy="pnl")
    assert len(closed) >= 2
    stats = Backtest.get_data(SYMBOL, "pnl")
    assert stats.signal_list
    for result in stats.signal_list:
        assert result.action == "closed"
        assert result.pnl is not None
    # computed: 3 trades (Jan 1, 2, 3), stored newest first
    assert len(stats.signal_list) == 3
    for day, result in zip((2, 1, 0), stats.signal_list, strict=True):
        _assert_trade(result, day)


async def test_metrics() -> None:
    """spec/pnl/metrics"""
    closed = _setup(days=4)  # Jan 1 -> Jan 5: 5 points
    await run_background(strategy="pnl")
    assert len(closed) >= 3
    stats = Backtest.get_data(SYMBOL, "pnl")
    assert stats.total_signals >= 3
    assert stats.win_rate is not None and 0 <= stats.win_rate <= 100
    assert stats.std_dev is not None and stats.std_dev >= 0
    for value in (stats.sharpe_ratio, stats.annualized_sharpe_ratio, stats.certainty_ratio):
        assert value is None or isinstance(value, float)
    # computed: 5 identical losing trades => no win, win rate 0, std ~0, certainty 0
    assert (stats.total_signals, stats.win_count, stats.loss_count) == (5, 0, 5)
    assert stats.win_rate == 0
    assert stats.std_dev == pytest.approx(0, abs=1e-12)
    assert stats.certainty_ratio == 0
    want = spec_statistics([PNL] * 5, [0] * 5)
    for key, value in want.items():
        assert getattr(stats, key) == value, key
