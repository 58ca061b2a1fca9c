"""The portfolio's entry gate: the strategy's risk profiles, then the cash (a RiskGate)."""

from __future__ import annotations

from typing import Any

from backtestkit.bus import Bus, Position, RiskEvent

from ..core.exchange import ExchangeActor
from ..core.risk import RiskBook, RiskGate
from ..core.warning_tally import WarningTally
from .ledger import CashLedger, EntryCost, entry_cost
from .report import money_places
from .sizing import EntryRequest, EntrySizer, WinRecord

__all__ = ["CashDesk", "PortfolioGate"]


class CashDesk:
    """Sizes and pays for the entries of every strategy of one portfolio run."""

    def __init__(self, ledger: CashLedger, sizers: dict[str, EntrySizer]) -> None:
        self.ledger = ledger
        self.sizers = sizers
        self.wins: dict[str, WinRecord] = {name: WinRecord() for name in sizers}
        self._reserved: dict[tuple[str, str], tuple[Position, EntryCost]] = {}

    def refusal(
        self, strategy: str, entry: EntryRequest, when: int, exchange: ExchangeActor, safe: bool
    ) -> str | None:
        """Why the free cash cannot pay for this entry, or None (then it is reserved)."""
        equity = self.ledger.equity(when)
        try:
            quantity = self.sizers[strategy].quantity(
                entry,
                equity=equity,
                cash=self.ledger.cash,
                wins=self.wins[strategy],
                exchange=exchange,
                when=when,
                safe=safe,
            )
        except ValueError as exc:
            return f"position sizing: {exc}"
        if not quantity > 0:
            return f"position sizing: quantity {quantity:g} (nothing to buy)"
        paid = entry_cost(entry.position, quantity, entry.price_open)
        cash = self.ledger.cash
        if paid.total > cash:
            places = money_places(self.ledger.capital)
            return (
                f"insufficient cash: the entry needs {paid.total:.{places}f} "
                f"(cost {paid.cost:.{places}f} + fee {paid.fee:.{places}f}), "
                f"free cash {cash:.{places}f}"
            )
        self._reserved[(strategy, entry.symbol)] = (entry.position, paid)
        return None

    def pay(self, strategy: str, symbol: str, when: int) -> None:
        reserved = self._reserved.pop((strategy, symbol), None)
        if reserved is not None:
            position, paid = reserved
            self.ledger.open(strategy, symbol, position, when, paid)


class PortfolioGate(RiskGate):
    """A signal enters when every risk profile allows it and the cash pays for it."""

    __slots__ = ("desk", "exchange", "safe", "when")

    def __init__(
        self,
        books: list[RiskBook],
        bus: Bus,
        desk: CashDesk | None,
        exchange: ExchangeActor,
        safe: bool,
    ) -> None:
        super().__init__(books, bus)
        self.desk = desk
        self.exchange = exchange
        self.safe = safe
        self.when = 0  # the minute of the last check: an entry that passed it opens then

    async def check(
        self,
        *,
        symbol: str,
        pending_signal: Any,
        strategy_name: str,
        exchange_name: str,
        current_price: float,
        timestamp: int,
        warnings: WarningTally | None = None,
    ) -> bool:
        allowed = await super().check(
            symbol=symbol,
            pending_signal=pending_signal,
            strategy_name=strategy_name,
            exchange_name=exchange_name,
            current_price=current_price,
            timestamp=timestamp,
            warnings=warnings,
        )
        desk = self.desk
        if not allowed or desk is None:
            return allowed
        price_open = getattr(pending_signal, "price_open", None)
        entry = EntryRequest(
            symbol,
            pending_signal.position,
            current_price if price_open is None else price_open,
            pending_signal.price_take_profit,
            pending_signal.price_stop_loss,
        )
        self.when = timestamp
        comment = desk.refusal(strategy_name, entry, timestamp, self.exchange, self.safe)
        if comment is None:
            return True
        if self.bus.risk.has_listeners:
            await self.bus.risk.emit(
                RiskEvent(
                    symbol=symbol,
                    pending_signal=pending_signal,
                    strategy_name=strategy_name,
                    exchange_name=exchange_name,
                    current_price=current_price,
                    active_position_count=len(desk.ledger.holdings),
                    comment=comment,
                    timestamp=timestamp,
                )
            )
        return False

    def add(self, strategy_name: str, symbol: str) -> None:
        super().add(strategy_name, symbol)
        if self.desk is not None:
            self.desk.pay(strategy_name, symbol, self.when)
