"""The portfolio's cash: entries paid from it, closes paid back, equity marked to market.

Money follows SPEC 8's percentages exactly: an entry of `quantity` at `price_open` pays
`cost = quantity x price_open x (1 +/- slippage)` (+ for a long) and a fee of `cost x fee`;
the close pays back `quantity x price_close x (1 -/+ slippage)` for a long (a short gets back
its cost plus `quantity x (entry - exit)` with the same slippage) less a second fee of
`cost x fee`. So a trade's money PnL is `cost x pnl_percentage / 100`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backtestkit.bus import Closed, Position

from ..core.config import get_config
from .models import EquityPoint, PortfolioTrade

__all__ = ["CashLedger", "EntryCost", "entry_cost"]

PriceAt = Callable[[str, int], float]


@dataclass(frozen=True, slots=True)
class EntryCost:
    """What an entry of `quantity` pays: the cost, its fee and its slippage, in money."""

    quantity: float
    price_open: float
    cost: float
    fee: float
    slippage: float

    @property
    def total(self) -> float:
        return self.cost + self.fee


def entry_cost(position: Position, quantity: float, price_open: float) -> EntryCost:
    config = get_config()
    slippage = config.CC_PERCENT_SLIPPAGE / 100
    adjusted = price_open * (1 + slippage) if position == "long" else price_open * (1 - slippage)
    cost = quantity * adjusted
    return EntryCost(
        quantity,
        price_open,
        cost,
        cost * config.CC_PERCENT_FEE / 100,
        quantity * abs(adjusted - price_open),
    )


@dataclass(slots=True)
class _Holding:
    symbol: str
    strategy_name: str
    position: Position
    opened_at: int
    paid: EntryCost

    def value(self, price: float) -> float:
        """Marked at `price`, before exit costs."""
        if self.position == "long":
            return self.paid.quantity * price
        adjusted_open = self.paid.cost / self.paid.quantity
        return self.paid.cost + self.paid.quantity * (adjusted_open - price)


class CashLedger:
    """Cash and open holdings of one portfolio run; every change is an equity point."""

    def __init__(self, capital: float, price_at: PriceAt) -> None:
        self.capital = capital
        self.cash = capital
        self.price_at = price_at
        self.holdings: dict[tuple[str, str], _Holding] = {}
        self.trades: list[PortfolioTrade] = []
        self.points: list[EquityPoint] = []

    def positions_value(self, when: int) -> float:
        return sum(h.value(self.price_at(h.symbol, when)) for h in self.holdings.values())

    def equity(self, when: int) -> float:
        return self.cash + self.positions_value(when)

    def mark(self, when: int) -> EquityPoint:
        value = self.positions_value(when)
        point = EquityPoint(
            timestamp=when,
            cash=self.cash,
            positions_value=value,
            equity=self.cash + value,
            open_positions=len(self.holdings),
        )
        if self.points and self.points[-1].timestamp == when:
            self.points[-1] = point  # the state at the end of that minute
        else:
            self.points.append(point)
        return point

    def open(
        self, strategy: str, symbol: str, position: Position, when: int, paid: EntryCost
    ) -> None:
        self.cash -= paid.total
        self.holdings[(strategy, symbol)] = _Holding(symbol, strategy, position, when, paid)
        self.mark(when)

    def close(self, result: Closed) -> PortfolioTrade | None:
        holding = self.holdings.pop((result.strategy_name, result.symbol), None)
        if holding is None:
            return None
        config = get_config()
        slippage = config.CC_PERCENT_SLIPPAGE / 100
        paid = holding.paid
        price = result.pnl.price_close
        long = holding.position == "long"
        adjusted_close = price * (1 - slippage) if long else price * (1 + slippage)
        fee_close = paid.cost * config.CC_PERCENT_FEE / 100
        if long:
            proceeds = paid.quantity * adjusted_close - fee_close
        else:
            proceeds = paid.cost + paid.quantity * (paid.cost / paid.quantity - adjusted_close)
            proceeds -= fee_close
        self.cash += proceeds
        trade = PortfolioTrade(
            symbol=result.symbol,
            strategy_name=result.strategy_name,
            signal_id=result.signal.id,
            position=holding.position,
            quantity=paid.quantity,
            price_open=paid.price_open,
            price_close=price,
            opened_at=holding.opened_at,
            closed_at=result.close_timestamp,
            cost=paid.cost,
            fee_open=paid.fee,
            fee_close=fee_close,
            slippage_open=paid.slippage,
            slippage_close=paid.quantity * abs(price - adjusted_close),
            pnl=proceeds - paid.total,
            pnl_percentage=result.pnl.pnl_percentage,
        )
        self.trades.append(trade)
        self.mark(result.close_timestamp)
        return trade
