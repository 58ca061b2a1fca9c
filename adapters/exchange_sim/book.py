"""The simulated spot exchange: markets from candle files, a clock, balances and orders.

Market orders fill at the open of the minute candle the exchange clock is in; limit orders
rest until a later candle trades through their price. Fees are taken in the quote asset, so
selling what a buy filled always closes it.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from backtestkit.actors.market.candles import CandleTable

__all__ = ["SimError", "SimExchange", "SimMarket", "SimOrder"]

STATUS_OPEN = "NEW"


class SimError(Exception):
    """A Binance error answer: HTTP status, Binance code and message."""

    def __init__(self, http: int, code: int, message: str) -> None:
        super().__init__(message)
        self.http, self.code, self.message = http, code, message


@dataclass(slots=True)
class SimMarket:
    id: str  # BTCUSDT
    base: str
    quote: str
    candles: CandleTable
    step: float = 0.00001
    tick: float = 0.01
    min_qty: float = 0.00001
    min_notional: float = 5.0


@dataclass(slots=True)
class SimOrder:
    id: int
    client_id: str
    symbol: str
    side: str  # BUY / SELL
    type: str  # MARKET / LIMIT
    amount: float
    price: float | None
    time: int
    status: str = STATUS_OPEN
    filled: float = 0.0
    quote_filled: float = 0.0
    fee: float = 0.0
    fee_asset: str = ""
    update_time: int = 0
    fills: list[tuple[float, float, float]] = field(default_factory=list)  # price, qty, fee

    @property
    def average(self) -> float | None:
        return self.quote_filled / self.filled if self.filled else None


def _steps(amount: float, step: float) -> float:
    exact = Decimal(repr(amount)) / Decimal(repr(step))
    return float(exact.to_integral_value(rounding=ROUND_DOWN) * Decimal(repr(step)))


class SimExchange:
    def __init__(
        self,
        markets: dict[str, SimMarket],
        *,
        start: int | None = None,
        balances: dict[str, float] | None = None,
        fee_rate: float = 0.001,
        speed: float = 0.0,
    ) -> None:
        if not markets:
            raise ValueError("the exchange needs at least one market (--data SYMBOL=CSV)")
        self.markets = markets
        first = min(int(m.candles.timestamp[0]) for m in markets.values() if m.candles.n)
        self.start = first if start is None else start
        self.offset = 0  # advanced by /sim/advance
        self.speed = speed  # virtual ms per wall ms; 0: time moves only when advanced
        self.wall0 = time.monotonic()
        self.fee_rate = fee_rate
        self.balances: dict[str, list[float]] = {}  # asset -> [free, locked]
        for market in markets.values():
            self.balances.setdefault(market.base, [0.0, 0.0])
            self.balances.setdefault(market.quote, [100_000.0, 0.0])
        for asset, amount in (balances or {}).items():
            self.balances[asset] = [amount, 0.0]
        self.orders: list[SimOrder] = []
        self._ids = itertools.count(1)
        self._trade_ids = itertools.count(1)

    # -- time ----------------------------------------------------------------------------

    def now(self) -> int:
        drift = (time.monotonic() - self.wall0) * 1000 * self.speed if self.speed else 0
        return self.start + self.offset + int(drift)

    def advance(self, ms: int) -> int:
        if ms < 0:
            raise ValueError(f"advance: ms must be >= 0, got {ms}")
        self.offset += ms
        self.match()
        return self.now()

    # -- markets -------------------------------------------------------------------------

    def market(self, symbol: str) -> SimMarket:
        market = self.markets.get(symbol)
        if market is None:
            raise SimError(400, -1121, "Invalid symbol.")
        return market

    def candle_index(self, market: SimMarket, at: int) -> int:
        index = market.candles.first_after(at) - 1
        if index < 0 or at >= int(market.candles.timestamp[-1]) + market.candles.step_ms:
            raise SimError(400, -1013, "Market is closed.")
        return index

    # -- orders --------------------------------------------------------------------------

    def create(
        self,
        *,
        symbol: str,
        side: str,
        type: str,
        quantity: float,
        price: float | None,
        client_id: str,
        partial: bool = False,
        reject: bool = False,
    ) -> SimOrder:
        market = self.market(symbol)
        if side not in ("BUY", "SELL") or type not in ("MARKET", "LIMIT"):
            raise SimError(400, -1102, f"unsupported side/type {side}/{type}")
        if any(o.client_id == client_id and o.status == STATUS_OPEN for o in self.orders):
            raise SimError(400, -2010, "Duplicate order sent.")
        if quantity < market.min_qty or abs(_steps(quantity, market.step) - quantity) > 1e-12:
            raise SimError(400, -1013, "Filter failure: LOT_SIZE")
        now = self.now()
        index = self.candle_index(market, now)
        reference = float(market.candles.open[index]) if price is None else price
        if quantity * reference < market.min_notional:
            raise SimError(400, -1013, "Filter failure: NOTIONAL")
        if reject or not self._affordable(market, side, quantity, reference):
            raise SimError(400, -2010, "Account has insufficient balance for requested action.")
        order = SimOrder(
            id=next(self._ids),
            client_id=client_id or f"sim{len(self.orders) + 1}",
            symbol=symbol,
            side=side,
            type=type,
            amount=quantity,
            price=price,
            time=now,
            update_time=now,
        )
        self.orders.append(order)
        if type == "MARKET":
            amount = _steps(quantity / 2, market.step) if partial else quantity
            self._fill(market, order, amount, reference, now)
            order.status = "FILLED" if order.filled >= order.amount else "EXPIRED"
        else:
            self._lock(market, order)
        return order

    def _affordable(self, market: SimMarket, side: str, quantity: float, price: float) -> bool:
        if side == "BUY":
            return self.balances[market.quote][0] >= quantity * price * (1 + self.fee_rate)
        return self.balances[market.base][0] >= quantity

    def _lock(self, market: SimMarket, order: SimOrder) -> None:
        assert order.price is not None
        asset, amount = (
            (market.quote, order.amount * order.price * (1 + self.fee_rate))
            if order.side == "BUY"
            else (market.base, order.amount)
        )
        self.balances[asset][0] -= amount
        self.balances[asset][1] += amount

    def _unlock(self, market: SimMarket, order: SimOrder) -> None:
        assert order.price is not None
        left = order.amount - order.filled
        asset, amount = (
            (market.quote, left * order.price * (1 + self.fee_rate))
            if order.side == "BUY"
            else (market.base, left)
        )
        self.balances[asset][0] += amount
        self.balances[asset][1] -= amount

    def _fill(self, market: SimMarket, order: SimOrder, qty: float, price: float, at: int) -> None:
        cost = qty * price
        fee = cost * self.fee_rate
        base, quote = self.balances[market.base], self.balances[market.quote]
        locked = order.type == "LIMIT"
        if order.side == "BUY":
            if locked:
                quote[1] -= cost + fee
            else:
                quote[0] -= cost + fee
            base[0] += qty
        else:
            if locked:
                base[1] -= qty
            else:
                base[0] -= qty
            quote[0] += cost - fee
        order.filled += qty
        order.quote_filled += cost
        order.fee += fee
        order.fee_asset = market.quote
        order.update_time = at
        order.fills.append((price, qty, fee))

    def match(self) -> None:
        """Rest limit orders against the candles up to now."""
        now = self.now()
        for order in self.orders:
            if order.type != "LIMIT" or order.status != STATUS_OPEN:
                continue
            market = self.markets[order.symbol]
            candles, price = market.candles, order.price
            assert price is not None
            lo = candles.first_after(order.time)
            hi = candles.first_after(now)
            for i in range(lo, hi):
                hit = candles.low[i] <= price if order.side == "BUY" else candles.high[i] >= price
                if hit:
                    self._fill(
                        market, order, order.amount - order.filled, price, int(candles.timestamp[i])
                    )
                    order.status = "FILLED"
                    break

    def find(self, symbol: str, *, client_id: str | None, order_id: int | None) -> SimOrder:
        self.match()
        for order in reversed(self.orders):
            if order.symbol == symbol and (
                order.client_id == client_id if client_id else order.id == order_id
            ):
                return order
        raise SimError(400, -2013, "Order does not exist.")

    def cancel(self, symbol: str, *, client_id: str | None, order_id: int | None) -> SimOrder:
        try:
            order = self.find(symbol, client_id=client_id, order_id=order_id)
        except SimError:
            raise SimError(400, -2011, "Unknown order sent.") from None
        if order.status != STATUS_OPEN:
            raise SimError(400, -2011, "Unknown order sent.")
        self._unlock(self.markets[symbol], order)
        order.status = "CANCELED"
        order.update_time = self.now()
        return order
