"""What the signal state machine asks of the world, as Protocols on its own side: the exchange
(VWAP, the forward window) and the risk gate. The machine's parts get these passed in and never
call back into the machine."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from ..market.candles import Candles

__all__ = ["MarketPort", "RiskPort"]


class MarketPort(Protocol):
    """The exchange as the machine uses it (the ExchangeActor is one)."""

    @property
    def name(self) -> str: ...

    @property
    def is_table_backed(self) -> bool: ...

    def has_candles_at(self, symbol: str, when: int) -> bool: ...

    def priced_span(self, symbol: str) -> tuple[int, int]: ...

    def average_price(
        self, symbol: str, when: int, safe: bool | None = None
    ) -> float | Awaitable[float]: ...

    def forward(self, symbol: str, since: int, limit: int) -> Candles | Awaitable[Candles]: ...


class RiskPort(Protocol):
    """The risk gate as one machine asks it (SPEC 1.4): may this signal open now, and the
    positions it holds."""

    async def allows(self, pending_signal: Any, current_price: float, when: int) -> bool: ...

    def opened(self) -> None: ...

    def closed(self) -> None: ...
