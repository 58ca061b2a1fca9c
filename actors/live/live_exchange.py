"""The exchange a live run (and its parity replay) reads: look-back windows from the minute.

Decision for backtestkit (7.1 in live): live ticks every 60 001 ms, so its tick time drifts off
the minute; a window computed from that instant (`since = when - adjust`) drops its oldest
candle and serves `limit - 1`. Windows here are computed from the tick time floored to the
minute, so live serves what a backtest serves at the same minute, in both look-ahead profiles.
The tick instant itself (results, the recording, `get_date`) keeps its milliseconds.
"""

from __future__ import annotations

from collections.abc import Awaitable

from ..core.schemas import ExchangeSchema
from ..exchange.exchange import ExchangeActor
from ..market.candles import Candles
from ..market.intervals import MINUTE_MS

__all__ = ["LiveExchange", "on_minute"]


def on_minute(when: int) -> int:
    """`when` floored to its minute (ms UTC)."""
    return when - when % MINUTE_MS


class LiveExchange(ExchangeActor):
    """Serves like `ExchangeActor` (one per live run) from the tick's minute, and remembers the
    newest one-minute candle it served per symbol (what the ticker reports when data stops)."""

    __slots__ = ("newest_candle",)

    def __init__(self, schema: ExchangeSchema) -> None:
        super().__init__(schema)
        self.newest_candle: dict[str, int] = {}

    def lookback(
        self, symbol: str, interval: str, limit: int, when: int, safe: bool | None = None
    ) -> Candles | Awaitable[Candles]:
        served = super().lookback(symbol, interval, limit, on_minute(when), safe)
        if interval != "1m":
            return served
        if isinstance(served, Candles):
            self._saw(symbol, served)
            return served
        return self._seen(symbol, served)

    async def _seen(self, symbol: str, pending: Awaitable[Candles]) -> Candles:
        served = await pending
        self._saw(symbol, served)
        return served

    def _saw(self, symbol: str, candles: Candles) -> None:
        if len(candles):
            newest = int(candles.timestamp[-1])
            if newest > self.newest_candle.get(symbol, newest - 1):
                self.newest_candle[symbol] = newest

    def average_price(
        self, symbol: str, when: int, safe: bool | None = None
    ) -> float | Awaitable[float]:
        return super().average_price(symbol, on_minute(when), safe)

    def has_candles_at(self, symbol: str, when: int) -> bool:
        return super().has_candles_at(symbol, on_minute(when))
