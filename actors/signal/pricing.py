"""The price one machine reads at a minute (SPEC 7.3: the VWAP of the last candles), and where
reading it costs nothing because the candle table prices every minute."""

from __future__ import annotations

from ..core.context import ExecutionContext
from .ports import MarketPort

__all__ = ["Pricing"]


class Pricing:
    """The price port of one (symbol, strategy): the exchange's VWAP under the run's profile."""

    __slots__ = (
        "_average_price",
        "_has_candles_at",
        "_table_backed",
        "context",
        "priced_from",
        "priced_until",
        "symbol",
    )

    def __init__(self, market: MarketPort, symbol: str, context: ExecutionContext) -> None:
        self.symbol = symbol
        self.context = context
        self._average_price = market.average_price  # bound once: read on every tick
        self._has_candles_at = market.has_candles_at
        self._table_backed = market.is_table_backed
        self.priced_from, self.priced_until = market.priced_span(symbol)

    async def at(self, when: int) -> float:
        price = self._average_price(self.symbol, when, self.context.safe)
        if isinstance(price, float):
            return price
        return await price

    def now(self, when: int) -> float | None:
        """The VWAP at `when` from a candle table (no waiting), else None."""
        if not self._table_backed:
            return None
        price = self._average_price(self.symbol, when, self.context.safe)
        return price if isinstance(price, float) else None

    def priced(self, when: int) -> bool:
        """Whether `when` lies where the candle table prices every minute (VWAP can wait)."""
        return self.priced_from <= when <= self.priced_until

    def known(self, when: int) -> bool:
        """Whether the VWAP at `when` exists without asking for it (it may be taken lazily)."""
        return self.priced_from <= when <= self.priced_until or (
            self._table_backed and self._has_candles_at(self.symbol, when)
        )
