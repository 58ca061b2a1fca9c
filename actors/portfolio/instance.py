"""What a portfolio run keeps: its lanes, closed signals, refusals and cash account."""

from __future__ import annotations

from backtestkit.bus import Closed, RiskEvent, TickResult

from ..core.instances import Instance
from .clock import PortfolioClock
from .gate import CashDesk
from .lane import SymbolLane
from .ledger import CashLedger
from .models import PortfolioRejection

__all__ = ["PortfolioInstance"]

_CASH_COMMENTS = ("insufficient cash", "position sizing")


class PortfolioInstance(Instance):
    def __init__(self, symbol: str, name: str) -> None:
        super().__init__(symbol, name)
        self.symbols: list[str] = []
        self.strategies: list[str] = []
        self.lanes: list[SymbolLane] = []
        self.closed: dict[tuple[str, str], list[Closed]] = {}
        self.rejections: list[PortfolioRejection] = []
        self.ledger: CashLedger | None = None
        self.desk: CashDesk | None = None
        self.profiles: dict[str, set[str]] = {}
        self.clock: PortfolioClock | None = None

    def record(self, result: TickResult) -> None:
        """A transition: a close of one of this portfolio's open signals."""
        if type(result) is not Closed or not result.backtest:
            return
        lane = self.clock.current if self.clock is not None else None
        if lane is None or lane.machine.symbol != result.symbol:
            return  # another run's close of the same strategy and symbol
        kept = self.closed.get((result.strategy_name, result.symbol))
        if kept is None or lane.machine.schema.name != result.strategy_name:
            return
        kept.append(result)
        if self.ledger is not None and self.ledger.close(result) is not None:
            assert self.desk is not None
            wins = self.desk.wins[result.strategy_name]
            wins.closed += 1
            wins.wins += result.pnl.pnl_percentage > 0

    def reject(self, event: RiskEvent) -> None:
        """A refused entry, with the symbols holding positions that share its limit."""
        key = (event.strategy_name, event.symbol)
        lane = self.clock.current if self.clock is not None else None
        if lane is None or (lane.machine.schema.name, lane.machine.symbol) != key:
            return  # another run's rejection
        cash = event.comment.startswith(_CASH_COMMENTS)
        mine = self.profiles.get(event.strategy_name, set())
        holders = [
            lane.machine.symbol
            for lane in self.lanes
            if lane.machine.pending is not None
            and (lane.machine.schema.name, lane.machine.symbol) != key
            and (cash or mine & self.profiles.get(lane.machine.schema.name, set()))
        ]
        self.rejections.append(
            PortfolioRejection(
                timestamp=event.timestamp,
                symbol=event.symbol,
                strategy_name=event.strategy_name,
                comment=event.comment,
                held_by=tuple(holders),
            )
        )
