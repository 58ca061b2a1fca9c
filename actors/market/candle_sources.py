"""Where candles come from: the `CandleSource` Protocol and the in-memory `CandleStore`."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, Protocol, runtime_checkable

from .candles import Candles, CandleTable

__all__ = ["CandleSource", "CandleStore"]


@runtime_checkable
class CandleSource(Protocol):
    """Anything that serves candles: the first `limit` candles stamped >= since_ms."""

    def fetch(
        self, symbol: str, interval: str, since_ms: int, limit: int
    ) -> Candles | Sequence[Any] | Awaitable[Candles | Sequence[Any]]: ...


@runtime_checkable
class CandleStore(CandleSource, Protocol):
    """A source with whole validated tables in memory: the engine indexes them directly."""

    def table(self, symbol: str, interval: str) -> CandleTable: ...
