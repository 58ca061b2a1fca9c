"""The edge to an exchange: what the broker actor needs from any adapter."""

from __future__ import annotations

from typing import Protocol

from .orders import MarketRules, OrderReport, OrderRequest

__all__ = ["Broker"]


class Broker(Protocol):
    """An exchange account. Transient failures raise TransientOrderError, refusals
    OrderRejected; `lookup` answers None only when no order carries that client id."""

    name: str

    async def market(self, symbol: str) -> MarketRules: ...

    async def place(self, request: OrderRequest) -> OrderReport: ...

    async def lookup(self, market: str, client_id: str) -> OrderReport | None: ...

    async def cancel(self, market: str, client_id: str) -> OrderReport | None: ...

    async def balance(self, asset: str) -> float | None:
        """The free amount of `asset` (sizing reads the quote's); None when unknown."""
        ...

    async def position(self, rules: MarketRules) -> float | None:
        """The base asset held (free + locked); None when the broker cannot tell."""
        ...

    async def close(self) -> None: ...
