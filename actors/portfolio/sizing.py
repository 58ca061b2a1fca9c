"""How many units an entry buys: the strategy's sizing schema (SPEC 1.5's three methods) fed
from the portfolio, or an equal share of equity per symbol when it names none.

- fixed_percentage: `balance` = equity, the signal's own stop-loss.
- kelly_criterion: the win rate of the strategy's positions closed so far in this run (0.5
  before the first close, kept within [0.01, 0.99]) and the signal's reward / risk ratio
  `|take_profit - open| / |open - stop_loss|`.
- atr_based: the mean true range of the symbol's last 14 one-minute candles at the entry
  minute (as `get_candles` serves them, so the run's look-ahead profile applies).
- none: `equity / number of symbols`, at most the free cash, pays for the entry, its
  slippage and its fee.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backtestkit.bus import Position

from ..core.schemas import SizingSchema
from ..core.sizing import PositionSize
from ..exchange.exchange import ExchangeActor
from ..market.candles import Candles
from .ledger import entry_cost

__all__ = ["ATR_CANDLES", "EntryRequest", "EntrySizer", "WinRecord"]

ATR_CANDLES = 14


@dataclass(frozen=True, slots=True)
class EntryRequest:
    """What a risk check knows of an entry: the signal's side and levels, the entry price (its
    limit price, or the market price for a market entry)."""

    symbol: str
    position: Position
    price_open: float
    price_take_profit: float
    price_stop_loss: float


@dataclass(slots=True)
class WinRecord:
    """A strategy's closed positions in this run (Kelly's win rate)."""

    wins: int = 0
    closed: int = 0

    @property
    def win_rate(self) -> float:
        rate = self.wins / self.closed if self.closed else 0.5
        return min(0.99, max(0.01, rate))


class EntrySizer:
    """The quantity of one entry; raises ValueError (the rejection's reason) when undefined."""

    def __init__(self, schema: SizingSchema | None, symbols: int) -> None:
        self.schema = schema
        self.symbols = symbols

    def quantity(
        self,
        entry: EntryRequest,
        *,
        equity: float,
        cash: float,
        wins: WinRecord,
        exchange: ExchangeActor,
        when: int,
        safe: bool,
    ) -> float:
        schema, price, symbol = self.schema, entry.price_open, entry.symbol
        if schema is None:
            per_unit = entry_cost(entry.position, 1.0, price).total
            return min(equity / self.symbols, cash) / per_unit
        if schema.method == "fixed_percentage":
            return PositionSize.fixed_percentage(
                symbol, equity, price, entry.price_stop_loss, sizing=schema.name
            )
        if schema.method == "kelly_criterion":
            risk = abs(price - entry.price_stop_loss)
            if risk == 0:
                raise ValueError(f"sizing {schema.name!r}: stop-loss distance cannot be zero")
            ratio = abs(entry.price_take_profit - price) / risk
            return PositionSize.kelly_criterion(
                symbol, equity, price, wins.win_rate, ratio, sizing=schema.name
            )
        atr = average_true_range(exchange, symbol, when, safe)
        return PositionSize.atr_based(symbol, equity, price, atr, sizing=schema.name)


def average_true_range(exchange: ExchangeActor, symbol: str, when: int, safe: bool) -> float:
    candles = exchange.lookback(symbol, "1m", ATR_CANDLES + 1, when, safe)
    if not isinstance(candles, Candles):
        raise ValueError("atr sizing needs table-backed candles")
    if len(candles) < 2:
        raise ValueError(f"atr sizing: fewer than 2 one-minute candles of {symbol} at {when}")
    high, low, close = candles.high[1:], candles.low[1:], candles.close[:-1]
    ranges = np.maximum(high - low, np.maximum(abs(high - close), abs(low - close)))
    return float(ranges.mean())
