"""PositionSize (SPEC 1.5): position quantity from a registered sizing schema.

A calculator apart from the engine loop. Each helper checks that the sizing exists and that its
method is the helper's, applies the method's formula, then the caps in SPEC order
(`max_position_percentage`, `min_position_size`, `max_position_size`), then calls
`on_calculate(quantity, params)`. Problems raise `ValueError` naming the sizing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .eager import settle_callback
from .registry import registry
from .schemas import SizingMethod, SizingSchema

__all__ = ["PositionSize", "PositionSizeCalculator", "SizingParams"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SizingParams:
    """What `on_calculate(quantity, params)` receives: the helper's inputs."""

    sizing_name: str
    method: SizingMethod
    symbol: str
    balance: float
    price_open: float
    price_stop_loss: float | None = None
    win_rate: float | None = None
    win_loss_ratio: float | None = None
    atr: float | None = None


def _number(name: str, value: float, *, positive: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


class PositionSizeCalculator:
    """`PositionSize.fixed_percentage / kelly_criterion / atr_based`."""

    @staticmethod
    def _schema(sizing: str, method: SizingMethod) -> SizingSchema:
        schema = registry.sizing(sizing)
        if schema.method != method:
            raise ValueError(
                f'Sizing method mismatch: sizing "{sizing}" is configured as "{schema.method}" '
                f'but "{method}" was requested'
            )
        return schema

    @staticmethod
    def _finish(schema: SizingSchema, quantity: float, params: SizingParams) -> float:
        balance, price_open = params.balance, params.price_open
        if schema.max_position_percentage is not None:
            quantity = min(quantity, balance * schema.max_position_percentage / 100 / price_open)
        if schema.min_position_size is not None:
            quantity = max(quantity, schema.min_position_size)
        if schema.max_position_size is not None:
            quantity = min(quantity, schema.max_position_size)
        callbacks = schema.callbacks
        if callbacks is not None and callbacks.on_calculate is not None:
            settle_callback(callbacks.on_calculate(quantity, params))
        return quantity

    @staticmethod
    def _params(
        schema: SizingSchema, symbol: str, balance: float, price_open: float, **inputs: Any
    ) -> SizingParams:
        """What on_calculate receives; balance and price_open are checked here for all methods."""
        return SizingParams(
            sizing_name=schema.name,
            method=schema.method,
            symbol=symbol,
            balance=_number("balance", balance),
            price_open=_number("price_open", price_open, positive=True),
            **inputs,
        )

    def fixed_percentage(
        self,
        symbol: str,
        balance: float,
        price_open: float,
        price_stop_loss: float,
        *,
        sizing: str,
    ) -> float:
        """`balance * risk% / 100 / |price_open - price_stop_loss|`."""
        schema = self._schema(sizing, "fixed_percentage")
        params = self._params(
            schema,
            symbol,
            balance,
            price_open,
            price_stop_loss=_number("price_stop_loss", price_stop_loss),
        )
        distance = abs(price_open - price_stop_loss)
        if distance == 0:
            raise ValueError(f"sizing {sizing!r}: Stop-loss distance cannot be zero")
        assert schema.risk_percentage is not None  # required by add_sizing for this method
        quantity = balance * schema.risk_percentage / 100 / distance
        return self._finish(schema, quantity, params)

    def kelly_criterion(
        self,
        symbol: str,
        balance: float,
        price_open: float,
        win_rate: float,
        win_loss_ratio: float,
        *,
        sizing: str,
    ) -> float:
        """Kelly `k = (W * R - (1 - W)) / R`; `balance * max(0, k) * multiplier / price_open`."""
        schema = self._schema(sizing, "kelly_criterion")
        params = self._params(
            schema, symbol, balance, price_open, win_rate=win_rate, win_loss_ratio=win_loss_ratio
        )
        if not (isinstance(win_rate, int | float) and 0 < win_rate < 1):
            raise ValueError(
                f"sizing {sizing!r}: win_rate must be between 0 and 1, got {win_rate!r}"
            )
        if not (
            isinstance(win_loss_ratio, int | float)
            and math.isfinite(win_loss_ratio)
            and win_loss_ratio > 0
        ):
            raise ValueError(
                f"sizing {sizing!r}: win_loss_ratio must be positive, got {win_loss_ratio!r}"
            )
        kelly = (win_rate * win_loss_ratio - (1 - win_rate)) / win_loss_ratio
        quantity = balance * max(0.0, kelly) * schema.kelly_multiplier / price_open
        return self._finish(schema, quantity, params)

    def atr_based(
        self,
        symbol: str,
        balance: float,
        price_open: float,
        atr: float,
        *,
        sizing: str,
    ) -> float:
        """`balance * risk% / 100 / (atr * atr_multiplier)`."""
        schema = self._schema(sizing, "atr_based")
        params = self._params(schema, symbol, balance, price_open, atr=atr)
        if not (isinstance(atr, int | float) and math.isfinite(atr) and atr > 0):
            raise ValueError(f"sizing {sizing!r}: ATR must be positive, got {atr!r}")
        assert schema.risk_percentage is not None  # required by add_sizing for this method
        quantity = balance * schema.risk_percentage / 100 / (atr * schema.atr_multiplier)
        return self._finish(schema, quantity, params)


PositionSize = PositionSizeCalculator()
"""The position-size calculator of SPEC 1.5."""
