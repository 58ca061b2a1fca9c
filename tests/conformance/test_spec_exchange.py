"""SCENARIOS A.5 spec/exchange: the exchange helpers inside get_signal (returns None; 1d frame)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from backtestkit.actors import (
    add_exchange,
    add_strategy,
    format_price,
    format_quantity,
    get_average_price,
    get_candles,
    get_date,
    get_mode,
)

from .harness import P_STAR, T0, MockCandles, add_day_frame, minutes
from .spec_support import SYMBOL, run_background

pytestmark = pytest.mark.anyio

HOUR_MS = minutes(60)


async def _first_value(
    probe: Callable[[], Any],
    *,
    format_price_fn: Callable[[str, float], str] | None = None,
    format_quantity_fn: Callable[[str, float], str] | None = None,
) -> tuple[Any, MockCandles]:
    """Background run whose get_signal records probe() on its first call and returns None."""
    source = MockCandles()
    add_exchange(
        "mock",
        candles=source,
        format_price=format_price_fn,
        format_quantity=format_quantity_fn,
    )
    add_day_frame()
    seen: list[Any] = []

    def get_signal(symbol: str, when: datetime) -> None:
        if not seen:
            seen.append(probe())
        return None

    add_strategy("probe", interval="1m", get_signal=get_signal)
    await run_background(strategy="probe")
    assert seen, "get_signal was never called"
    return seen[0], source


async def test_get_candles() -> None:
    """spec/exchange/get-candles"""
    candles, source = await _first_value(lambda: get_candles(SYMBOL, "1h", 5))
    assert candles is not None
    # computed: 5 hourly candles from when - 4 h, the last stamped at `when` (T0)
    assert len(candles) == 5
    assert [int(t) for t in candles.timestamp] == [T0 - 4 * HOUR_MS + k * HOUR_MS for k in range(5)]
    assert [float(c) for c in candles.close] == [42000 + 100 * k + 250.8 for k in range(5)]
    assert (SYMBOL, "1h", T0 - 4 * HOUR_MS, 5) in source.calls


async def test_average_price() -> None:
    """spec/exchange/average-price"""
    price, _ = await _first_value(lambda: get_average_price(SYMBOL))
    assert isinstance(price, float) and price > 0
    assert price == P_STAR  # computed: 42460.3333


async def test_get_date() -> None:
    """spec/exchange/get-date"""
    date, _ = await _first_value(get_date)
    assert date == datetime(2024, 1, 1, tzinfo=UTC)
    assert date.tzinfo is not None


async def test_get_mode() -> None:
    """spec/exchange/get-mode"""
    mode, _ = await _first_value(get_mode)
    assert mode == "backtest"


async def test_format_price() -> None:
    """spec/exchange/format-price"""
    text, _ = await _first_value(
        lambda: format_price(SYMBOL, 42685.3456789),
        format_price_fn=lambda _symbol, price: f"{price:.2f}",
    )
    assert text == "42685.35"


async def test_format_quantity() -> None:
    """spec/exchange/format-quantity"""
    text, _ = await _first_value(
        lambda: format_quantity(SYMBOL, 0.123456789),
        format_quantity_fn=lambda _symbol, quantity: f"{quantity:.5f}",
    )
    assert text == "0.12346"
