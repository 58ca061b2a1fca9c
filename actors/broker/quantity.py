"""How much to trade: the sizing schema or a quote amount, rounded to the market's step and
checked against its minimums before anything is sent."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Decimal

from .errors import OrderRejected
from .orders import MarketRules

__all__ = ["DEFAULT_QUOTE_AMOUNT", "checked_amount", "round_down"]

DEFAULT_QUOTE_AMOUNT = 100.0  # CC_BROKER_QUOTE_AMOUNT: quote currency per entry without sizing


def round_down(amount: float, step: float) -> float:
    """The largest multiple of `step` not above `amount` (decimal, so 0.3/0.1 stays 3 steps)."""
    if step <= 0:
        return amount
    exact = Decimal(repr(amount)) / Decimal(repr(step))
    return float(exact.to_integral_value(rounding=ROUND_DOWN) * Decimal(repr(step)))


def checked_amount(amount: float, price: float, rules: MarketRules) -> float:
    """`amount` rounded down to the step; OrderRejected when it is below a market minimum."""
    if not (math.isfinite(amount) and amount > 0):
        raise OrderRejected("below_minimum", f"{rules.symbol}: order amount {amount!r} is not > 0")
    rounded = round_down(amount, rules.amount_step)
    if rounded <= 0 or rounded < rules.min_amount:
        raise OrderRejected(
            "below_minimum",
            f"{rules.symbol}: amount {amount} rounds to {rounded}, below the market's minimum "
            f"amount {rules.min_amount} (step {rules.amount_step})",
        )
    if rounded * price < rules.min_cost:
        raise OrderRejected(
            "below_minimum",
            f"{rules.symbol}: cost {rounded * price:.8g} {rules.quote} is below the market's "
            f"minimum cost {rules.min_cost}",
        )
    return rounded
