"""The signal state machine asks the exchange only through `MarketPort` and the risk gate only
through `RiskPort` (issue 30): any object with those methods drives it, and its intake answers
with a decision from the ports it was given, without a state machine behind it."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from backtestkit.actors import Signal
from backtestkit.actors.core import ExecutionContext, StrategySchema
from backtestkit.actors.signal import SignalStateMachine
from backtestkit.actors.signal.outbox import SignalOutbox
from backtestkit.actors.signal.pricing import Pricing
from backtestkit.actors.signal.rejections import RejectionTally
from backtestkit.actors.signal.signal_intake import SignalIntake
from backtestkit.bus import Bus

pytestmark = pytest.mark.anyio

T0 = 1_767_225_600_000  # 2026-01-01T00:00Z
MINUTE = 60_000


class FlatMarket:
    """A MarketPort without a candle table: one VWAP for every minute, set by the test."""

    name = "flat"
    is_table_backed = False

    def __init__(self, price: float) -> None:
        self.price = price
        self.priced_at: list[int] = []

    def has_candles_at(self, symbol: str, when: int) -> bool:
        return False

    def priced_span(self, symbol: str) -> tuple[int, int]:
        return 1, 0  # no regular table: every minute is priced on demand

    def average_price(self, symbol: str, when: int, safe: bool | None = None) -> float:
        self.priced_at.append(when)
        return self.price

    def forward(self, symbol: str, since: int, limit: int) -> Any:
        raise AssertionError("a live machine asks no forward window")


class Gate:
    """A RiskPort that answers as told and counts the positions it was told about."""

    def __init__(self, allow: bool) -> None:
        self.allow = allow
        self.asked: list[tuple[Any, float, int]] = []
        self.open = 0

    async def allows(self, pending_signal: Any, current_price: float, when: int) -> bool:
        self.asked.append((pending_signal, current_price, when))
        return self.allow

    def opened(self) -> None:
        self.open += 1

    def closed(self) -> None:
        self.open -= 1


LONG = Signal(
    position="long", price_take_profit=110.0, price_stop_loss=95.0, minute_estimated_time=60
)


def _intake(market: FlatMarket, gate: Gate, get_signal: Any, watch: Any) -> SignalIntake:
    schema = StrategySchema(name="s", interval="1m", get_signal=get_signal)
    context = ExecutionContext("BTCUSDT", T0, False, market)
    outbox = SignalOutbox(
        schema=schema, symbol="BTCUSDT", exchange_name=market.name, bus=Bus(), backtest=False
    )
    return SignalIntake(
        schema,
        context,
        watch=watch,
        pricing=Pricing(market, "BTCUSDT", context),
        risk=gate,
        outbox=outbox,
        rejections=RejectionTally(),
    )


async def test_the_intake_decides_from_its_ports_alone() -> None:
    market, gate = FlatMarket(100.0), Gate(allow=False)
    intake = _intake(
        market, gate, lambda symbol, when: LONG, SimpleNamespace(stopped=False, refusal=None)
    )

    assert await intake.next_row(T0) is None  # the risk port refused
    assert gate.asked == [(LONG, 100.0, T0)]
    assert market.priced_at == [T0]  # SPEC 5: priced once, before get_signal

    gate.allow = True
    row = await intake.next_row(T0 + MINUTE)
    assert row is not None
    assert (row.position, row.price_open, row.pending_at, row.scheduled_at) == (
        "long",
        100.0,
        T0 + MINUTE,
        T0 + MINUTE,
    )
    assert (row.symbol, row.exchange_name, row.strategy_name) == ("BTCUSDT", "flat", "s")
    assert gate.open == 0  # a decision only: opening is the machine's


async def test_a_stop_from_inside_get_signal_is_seen_before_the_risk_port() -> None:
    market, gate = FlatMarket(100.0), Gate(allow=True)
    watch = SimpleNamespace(stopped=False, refusal=None)

    def stopping(symbol: str, when: datetime) -> Signal:
        watch.stopped = True
        return LONG

    intake = _intake(market, gate, stopping, watch)
    assert await intake.next_row(T0) is None
    assert gate.asked == []


async def test_a_refused_machine_asks_nothing() -> None:
    market, gate = FlatMarket(100.0), Gate(allow=True)
    asked: list[datetime] = []
    intake = _intake(
        market,
        gate,
        lambda symbol, when: asked.append(when),
        SimpleNamespace(stopped=False, refusal="quarantined state"),
    )
    assert await intake.next_row(T0) is None
    assert (asked, market.priced_at, gate.asked) == ([], [], [])


async def test_the_machine_runs_on_any_market_port() -> None:
    market = FlatMarket(100.0)
    schema = StrategySchema(name="s", interval="1m", get_signal=lambda symbol, when: LONG)
    context = ExecutionContext("BTCUSDT", T0, False, market)
    machine = SignalStateMachine(
        schema=schema, symbol="BTCUSDT", exchange=market, bus=Bus(), backtest=False, context=context
    )

    opened = await machine.tick(T0)
    assert opened is not None and opened.action == "opened"
    assert opened.current_price == 100.0

    market.price = 111.0  # the VWAP passes the take-profit
    closed = await machine.tick(T0 + MINUTE)
    assert closed is not None and closed.action == "closed"
    assert (closed.close_reason, closed.current_price, closed.close_timestamp) == (
        "take_profit",
        110.0,
        T0 + MINUTE,
    )
    # SPEC 8: (110 * 0.999 - 100 * 1.001) / (100 * 1.001) * 100 - 2 * 0.1
    assert closed.pnl.pnl_percentage == pytest.approx(9.79 / 100.1 * 100 - 0.2, rel=1e-12)
    assert machine.pending is None
