"""An exchange actor that hands every candle window it serves to the live recording."""

from __future__ import annotations

from collections.abc import Awaitable

from ..core.schemas import ExchangeSchema
from ..market.candles import Candles
from .live_exchange import LiveExchange
from .recording import RecordingWriter

__all__ = ["RecordedExchange"]


class RecordedExchange(LiveExchange):
    """Serves like `LiveExchange` (one per live run) and records each look-back window."""

    __slots__ = ("recorder",)

    def __init__(self, schema: ExchangeSchema, recorder: RecordingWriter) -> None:
        super().__init__(schema)
        self.recorder = recorder

    def lookback(
        self, symbol: str, interval: str, limit: int, when: int, safe: bool | None = None
    ) -> Candles | Awaitable[Candles]:
        served = super().lookback(symbol, interval, limit, when, safe)
        if isinstance(served, Candles):
            self.recorder.candles(symbol, interval, served)
            return served
        return self._recorded(symbol, interval, served)

    async def _recorded(self, symbol: str, interval: str, pending: Awaitable[Candles]) -> Candles:
        served = await pending
        self.recorder.candles(symbol, interval, served)
        return served
