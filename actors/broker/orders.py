"""Orders as the broker sends and records them: requests, exchange answers, market rules."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "FINAL_STATUSES",
    "MarketRules",
    "OrderLeg",
    "OrderReport",
    "OrderRequest",
    "OrderSide",
    "OrderStatus",
    "client_order_id",
]

OrderSide = Literal["buy", "sell"]
OrderStatus = Literal["open", "closed", "canceled", "expired", "rejected"]
FINAL_STATUSES: frozenset[str] = frozenset({"closed", "canceled", "expired", "rejected"})
# entry, then exit legs: "exit" first, "exit-1", "exit-2" ... for what a partial exit left
OrderLeg = str
_LEG_LETTERS = {"entry": "n", "exit": "x", "cancel": "c"}


def client_order_id(signal_id: str, leg: OrderLeg) -> str:
    """A stable id for one leg of one signal: the same after any restart, unique per leg, and
    inside Binance's newClientOrderId alphabet and 36-character limit."""
    digest = hashlib.sha256(signal_id.encode()).hexdigest()[:20]
    head, _, number = leg.partition("-")
    if head not in _LEG_LETTERS or (number and not number.isdigit()):
        raise ValueError(f"unknown order leg {leg!r}: entry, exit or exit-N")
    return f"bk{digest}{_LEG_LETTERS[head]}{number}"


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketRules:
    """What the exchange accepts for one market (ccxt's market precision and limits)."""

    symbol: str  # the exchange's unified symbol, e.g. BTC/USDT
    base: str
    quote: str
    amount_step: float  # the amount is a multiple of it
    min_amount: float = 0.0
    min_cost: float = 0.0
    shorting: bool = False  # a short entry sells what it does not hold (margin, futures, paper)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    client_id: str
    signal_id: str
    leg: OrderLeg
    market: str
    side: OrderSide
    amount: float
    price: float  # the engine's reference price (market orders) for cost checks and reports
    at: int  # engine time (ms) of the decision


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReport:
    """The exchange's answer about one order (creation, lookup or cancel)."""

    client_id: str
    exchange_id: str
    status: OrderStatus
    amount: float
    filled: float
    average: float | None
    fee: float = 0.0
    fee_currency: str | None = None
    at: int | None = None  # exchange time (ms) of the last update

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES
