"""A symbol's price at a minute, for marking open positions to market."""

from __future__ import annotations

from ..exchange.exchange import ExchangeActor

__all__ = ["last_close"]


def last_close(exchange: ExchangeActor, symbol: str, when: int) -> float:
    """The close of the symbol's latest one-minute candle stamped at or before `when`."""
    table = exchange.table(symbol, "1m")
    row = table.first_after(when) - 1
    if row < 0:
        raise ValueError(f"portfolio: no one-minute candle of {symbol} at or before {when}")
    return float(table.close[row])
