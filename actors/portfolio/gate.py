"""The portfolio's entry gate: the strategy's risk profiles, then the cash (a RiskGate)."""

from __future__ import annotations

from typing import Unpack

from backtestkit.bus import Bus, Position

from ..core.risk import RiskAsk, RiskBook, RiskGate, refuse
from ..core.warning_tally import WarningTally
from ..exchange.exchange import ExchangeActor
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

    async def check(self, *, warnings: WarningTally | None = None, **ask: Unpack[RiskAsk]) -> bool:
        allowed = await super().check(warnings=warnings, **ask)
        desk = self.desk
        if not allowed or desk is None:
            return allowed
        signal, when = ask["pending_signal"], ask["timestamp"]
        price_open = getattr(signal, "price_open", None)
        entry = EntryRequest(
            ask["symbol"],
            signal.position,
            ask["current_price"] if price_open is None else price_open,
            signal.price_take_profit,
            signal.price_stop_loss,
        )
        self.when = when
        comment = desk.refusal(ask["strategy_name"], entry, when, self.exchange, self.safe)
        if comment is None:
            return True
        await refuse(self.bus, ask, len(desk.ledger.holdings), comment)
        return False

    def add(self, strategy_name: str, symbol: str) -> None:
        super().add(strategy_name, symbol)
        if self.desk is not None:
            self.desk.pay(strategy_name, symbol, self.when)
