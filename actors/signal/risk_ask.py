"""The risk gate as one machine asks it: its identity filled in, its warnings counted."""

from __future__ import annotations

from typing import Any

from ..core.risk import RiskGate
from ..core.warning_tally import WarningTally
from .ports import RiskPort

__all__ = ["RiskAsk", "gates", "risk_port"]


class RiskAsk:
    """A RiskPort over a RiskGate (its books, a portfolio's cash) for one (symbol, strategy)."""

    __slots__ = ("exchange_name", "gate", "strategy_name", "symbol", "warnings")

    def __init__(
        self,
        gate: RiskGate,
        identity: tuple[str, str, str],
        warnings: WarningTally,
    ) -> None:
        self.gate = gate
        self.symbol, self.strategy_name, self.exchange_name = identity
        self.warnings = warnings

    async def allows(self, pending_signal: Any, current_price: float, when: int) -> bool:
        return await self.gate.check(
            symbol=self.symbol,
            pending_signal=pending_signal,
            strategy_name=self.strategy_name,
            exchange_name=self.exchange_name,
            current_price=current_price,
            timestamp=when,
            warnings=self.warnings,
        )

    def opened(self) -> None:
        self.gate.add(self.strategy_name, self.symbol)

    def closed(self) -> None:
        self.gate.remove(self.strategy_name, self.symbol)


class _NoRisk:
    """No risk profile: every signal may open."""

    __slots__ = ()

    async def allows(self, pending_signal: Any, current_price: float, when: int) -> bool:
        return True

    def opened(self) -> None:
        pass

    def closed(self) -> None:
        pass


def risk_port(
    gate: RiskGate | None, identity: tuple[str, str, str], warnings: WarningTally
) -> RiskPort:
    """The machine's risk port: `identity` is (symbol, strategy_name, exchange_name)."""
    return _NoRisk() if gate is None else RiskAsk(gate, identity, warnings)


def gates(port: RiskPort) -> bool:
    """False for the no-risk port, whose `allows` is always True: it need not be asked."""
    return type(port) is not _NoRisk
