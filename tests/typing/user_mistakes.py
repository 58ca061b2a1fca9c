"""Wrong uses `mypy --strict` must report (tests/test_typing.py checks each line it names)."""

from __future__ import annotations

from datetime import datetime

from backtestkit.actors import Signal, get_average_price, get_candles


def typo(symbol: str, when: datetime) -> Signal | None:
    closes = get_candles(symbol, "1m", 30).closes  # MISTAKE attr-defined
    return Signal("long", closes, 1.0, 60)


def wrong_arguments(symbol: str, when: datetime) -> None:
    get_candles(symbol, 30, "1m")  # MISTAKE arg-type
    get_average_price()  # MISTAKE call-arg


def price_as_text(symbol: str, when: datetime) -> str:
    label: str = get_average_price(symbol)  # MISTAKE assignment
    return label


async def awaited_twice_wrong(symbol: str, when: datetime) -> str:
    return await get_average_price(symbol)  # MISTAKE return-value
