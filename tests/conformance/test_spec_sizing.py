"""SCENARIOS A.9 spec/sizing: PositionSize, the position-size calculator (no engine run).

Every case: symbol BTCUSDT, balance 10 000, priceOpen 50 000. Expected quantities are the
SPEC 1.5 formulas evaluated here in SPEC's order (then the caps in SPEC order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from backtestkit.actors import PositionSize, add_sizing
from backtestkit.actors.core import SizingParams

SYMBOL = "BTCUSDT"
BALANCE = 10_000.0
OPEN = 50_000.0


def spec_fixed(risk: float, stop_loss: float) -> float:
    """SPEC 1.5 fixed-percentage: balance * risk% / 100 / |priceOpen - priceStopLoss|."""
    return BALANCE * risk / 100 / abs(OPEN - stop_loss)


def spec_kelly(win_rate: float, ratio: float, multiplier: float) -> float:
    """SPEC 1.5 kelly-criterion: k = (W*R - (1-W)) / R; balance * max(0, k) * mult / open."""
    k = (win_rate * ratio - (1 - win_rate)) / ratio
    return BALANCE * max(0.0, k) * multiplier / OPEN


def test_fixed() -> None:
    """spec/sizing/fixed"""
    add_sizing("fixed", method="fixed_percentage", risk_percentage=2)
    quantity = PositionSize.fixed_percentage(SYMBOL, BALANCE, OPEN, 49_000, sizing="fixed")
    assert quantity > 0
    assert quantity == spec_fixed(2, 49_000) == 0.2  # computed: 200 / 1000


def test_kelly() -> None:
    """spec/sizing/kelly"""
    add_sizing("kelly", method="kelly_criterion", kelly_multiplier=0.25)
    quantity = PositionSize.kelly_criterion(SYMBOL, BALANCE, OPEN, 0.55, 1.5, sizing="kelly")
    assert quantity > 0
    assert quantity == spec_kelly(0.55, 1.5, 0.25)
    assert quantity == pytest.approx(0.0125, rel=1e-12)  # computed: k = 0.25


def test_atr() -> None:
    """spec/sizing/atr"""
    add_sizing("atr", method="atr_based", risk_percentage=2, atr_multiplier=2)
    quantity = PositionSize.atr_based(SYMBOL, BALANCE, OPEN, 500, sizing="atr")
    assert quantity > 0
    assert quantity == BALANCE * 2 / 100 / (500 * 2) == 0.2  # computed: 200 / 1000


def test_method_mismatch() -> None:
    """spec/sizing/method-mismatch"""
    add_sizing("kelly-only", method="kelly_criterion", kelly_multiplier=0.25)
    with pytest.raises(ValueError) as info:
        PositionSize.fixed_percentage(SYMBOL, BALANCE, OPEN, 49_000, sizing="kelly-only")
    message = str(info.value)
    assert "method mismatch" in message
    assert '"kelly-only"' in message
    assert '"kelly_criterion"' in message and '"fixed_percentage"' in message


def test_missing() -> None:
    """spec/sizing/missing"""
    add_sizing("registered", method="fixed_percentage", risk_percentage=2)
    with pytest.raises(ValueError) as info:
        PositionSize.fixed_percentage(SYMBOL, BALANCE, OPEN, 49_000, sizing="no-such-sizing")
    message = str(info.value)
    assert "not found" in message
    assert "sizing" in message and "no-such-sizing" in message and "registered" in message


def test_max_position_percentage() -> None:
    """spec/sizing/max-position-percentage"""
    add_sizing("capped", method="fixed_percentage", risk_percentage=50, max_position_percentage=10)
    quantity = PositionSize.fixed_percentage(SYMBOL, BALANCE, OPEN, 49_000, sizing="capped")
    cap = BALANCE * 10 / 100 / OPEN
    assert quantity <= cap
    assert spec_fixed(50, 49_000) == 5.0  # computed: the raw quantity
    assert quantity == cap == 0.02


def test_min_position_size() -> None:
    """spec/sizing/min-position-size"""
    add_sizing("floor", method="fixed_percentage", risk_percentage=0.01, min_position_size=0.001)
    quantity = PositionSize.fixed_percentage(SYMBOL, BALANCE, OPEN, 49_900, sizing="floor")
    assert quantity >= 0.001
    assert quantity == spec_fixed(0.01, 49_900) == 0.01  # computed: the minimum does not bind


def test_max_position_size() -> None:
    """spec/sizing/max-position-size"""
    add_sizing("ceiling", method="fixed_percentage", risk_percentage=50, max_position_size=0.01)
    quantity = PositionSize.fixed_percentage(SYMBOL, BALANCE, OPEN, 49_000, sizing="ceiling")
    assert quantity <= 0.01
    assert quantity == 0.01  # computed: 5.0 capped


def test_kelly_zero_multiplier() -> None:
    """spec/sizing/kelly-zero-multiplier"""
    add_sizing("kelly-zero", method="kelly_criterion", kelly_multiplier=0)
    quantity = PositionSize.kelly_criterion(SYMBOL, BALANCE, OPEN, 0.55, 1.5, sizing="kelly-zero")
    assert quantity == 0


def test_duplicate_name() -> None:
    """spec/sizing/duplicate-name"""
    add_sizing("twice", method="fixed_percentage", risk_percentage=2)
    with pytest.raises(ValueError) as info:
        add_sizing("twice", method="kelly_criterion", kelly_multiplier=0.25)
    message = str(info.value)
    assert "already exist" in message
    assert "sizing" in message and "twice" in message


def test_on_calculate() -> None:
    """spec/sizing/on-calculate"""
    calls: list[tuple[float, SizingParams]] = []
    add_sizing(
        "observed",
        method="fixed_percentage",
        risk_percentage=2,
        callbacks={"on_calculate": lambda quantity, params: calls.append((quantity, params))},
    )
    quantity = PositionSize.fixed_percentage(SYMBOL, BALANCE, OPEN, 49_000, sizing="observed")
    assert len(calls) == 1
    called_quantity, params = calls[0]
    assert called_quantity == quantity == 0.2  # computed
    assert params.sizing_name == "observed" and params.method == "fixed_percentage"
    assert (params.symbol, params.balance, params.price_open) == (SYMBOL, BALANCE, OPEN)
    assert params.price_stop_loss == 49_000


@dataclass
class FakeBroker:
    """The reference test's mock exchange client: balances and market orders."""

    balances: dict[str, float] = field(default_factory=lambda: {"USDT": 10_000.0, "BTC": 0.2})
    orders: list[dict[str, Any]] = field(default_factory=list)

    def market_order(self, side: str, quantity: float) -> dict[str, Any]:
        order = {
            "id": "mock-buy-123" if side == "buy" else "mock-sell-456",
            "side": side,
            "quantity": quantity,
        }
        self.orders.append(order)
        return order


def test_broker_workflow() -> None:
    """spec/sizing/broker-workflow"""
    add_sizing("broker", method="fixed_percentage", risk_percentage=2)
    broker = FakeBroker()
    balance = broker.balances["USDT"]
    quantity = PositionSize.fixed_percentage(SYMBOL, balance, OPEN, 49_000, sizing="broker")
    assert isinstance(quantity, float) and quantity > 0
    assert quantity == 0.2  # computed
    buy = broker.market_order("buy", quantity)
    sell = broker.market_order("sell", min(quantity, broker.balances["BTC"]))
    assert (buy["id"], buy["side"], buy["quantity"]) == ("mock-buy-123", "buy", 0.2)
    assert (sell["id"], sell["side"], sell["quantity"]) == ("mock-sell-456", "sell", 0.2)
