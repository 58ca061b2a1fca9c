"""PaperBroker: fills at the next candle after the order (its open, or its typical price as a
one-candle VWAP), worse by the config's slippage, charged the config's fee in quote."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Literal, TypedDict, Unpack

from ..core.config import get_config
from ..core.registry import registry
from ..exchange.exchange import exchange_actor
from ..market.candles import Candle, Candles
from .orders import MarketRules, OrderReport, OrderRequest

__all__ = ["NextCandle", "PaperBroker", "PaperFill"]

MINUTE_MS = 60_000
# the first one-minute candle stamped at or after `since` (ms), None while it has not closed
NextCandle = Callable[[str, int], Awaitable[Candle | None]]


class PaperFill(TypedDict, total=False):
    """How a PaperBroker fills: the keywords `for_exchange` passes on (defaults: `__init__`'s)."""

    fill: Literal["open", "vwap"]
    fee_percent: float | None
    slippage_percent: float | None


class PaperBroker:
    """No exchange: the journal is the whole account, so `position` answers None. A restart
    forgets orders still waiting for their candle; the actor sends them again (same client
    id, same decision time), and they fill at the same candle."""

    def __init__(
        self,
        next_candle: NextCandle,
        *,
        fill: Literal["open", "vwap"] = "open",
        fee_percent: float | None = None,
        slippage_percent: float | None = None,
        notional_balance: float = 100_000.0,
    ) -> None:
        if fill not in ("open", "vwap"):
            raise ValueError(f"PaperBroker: fill must be 'open' or 'vwap', got {fill!r}")
        self.name = "paper"
        self.next_candle = next_candle
        self.fill = fill
        self.fee_percent = fee_percent
        self.slippage_percent = slippage_percent
        self.orders: dict[str, tuple[OrderRequest, OrderReport]] = {}
        self.notional_balance = notional_balance  # what a sizing schema sizes against

    @classmethod
    def for_exchange(cls, exchange: str, **fill: Unpack[PaperFill]) -> PaperBroker:
        """Fills from a registered exchange's one-minute candles (as served at the time)."""
        actor = exchange_actor(registry.exchange(exchange))

        async def next_candle(symbol: str, since: int) -> Candle | None:
            served = actor.forward(symbol, since, 1)
            candles = served if isinstance(served, Candles) else await served
            return candles[0] if len(candles) else None

        return cls(next_candle, **fill)

    async def market(self, symbol: str) -> MarketRules:
        return MarketRules(
            symbol=symbol, base=symbol, quote="quote", amount_step=0.0, shorting=True
        )

    async def place(self, request: OrderRequest) -> OrderReport:
        report = OrderReport(
            client_id=request.client_id,
            exchange_id=f"paper-{len(self.orders) + 1}",
            status="open",
            amount=request.amount,
            filled=0.0,
            average=None,
            at=request.at,
        )
        self.orders[request.client_id] = (request, report)
        return await self._try_fill(request.client_id)

    async def _try_fill(self, client_id: str) -> OrderReport:
        request, report = self.orders[client_id]
        if report.final:
            return report
        since = (request.at // MINUTE_MS + 1) * MINUTE_MS
        candle = await self.next_candle(request.market, since)
        if candle is None:
            return report
        config = get_config()
        slippage = self.slippage_percent
        fee = self.fee_percent
        slippage = config.CC_PERCENT_SLIPPAGE if slippage is None else slippage
        fee = config.CC_PERCENT_FEE if fee is None else fee
        base = candle.open if self.fill == "open" else (candle.high + candle.low + candle.close) / 3
        sign = 1 if request.side == "buy" else -1
        price = base * (1 + sign * slippage / 100)
        filled = replace(
            report,
            status="closed",
            filled=request.amount,
            average=price,
            fee=request.amount * price * fee / 100,
            fee_currency="quote",
            at=candle.timestamp,
        )
        self.orders[client_id] = (request, filled)
        return filled

    async def lookup(self, market: str, client_id: str) -> OrderReport | None:
        if client_id not in self.orders:
            return None
        return await self._try_fill(client_id)

    async def cancel(self, market: str, client_id: str) -> OrderReport | None:
        found = await self.lookup(market, client_id)
        if found is None or found.final:
            return found
        request, report = self.orders[client_id]
        canceled = replace(report, status="canceled")
        self.orders[client_id] = (request, canceled)
        return canceled

    async def balance(self, asset: str) -> float | None:
        return self.notional_balance

    async def position(self, rules: MarketRules) -> float | None:
        return None

    async def close(self) -> None:
        self.orders.clear()
