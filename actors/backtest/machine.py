"""A run's signal state machine, built from its execution context: how every mode (backtest,
live, portfolio, the parity replay) builds one."""

from __future__ import annotations

from backtestkit.bus import Bus

from ..core.context import ExecutionContext
from ..core.risk import RiskGate
from ..core.schemas import StrategySchema
from ..signal.ports import MarketPort
from ..signal.strategy import SignalStateMachine

__all__ = ["signal_machine"]


def signal_machine(
    schema: StrategySchema,
    context: ExecutionContext,
    exchange: MarketPort,
    bus: Bus,
    risk: RiskGate | None,
) -> SignalStateMachine:
    """`schema`'s machine on `context`'s symbol and mode, asking `exchange` and `risk`."""
    return SignalStateMachine(
        schema=schema,
        symbol=context.symbol,
        exchange=exchange,
        bus=bus,
        backtest=context.backtest,
        context=context,
        risk=risk,
    )
