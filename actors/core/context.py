"""The execution context (symbol, `when`, mode, exchange) that strategy helpers read."""

from __future__ import annotations

from collections.abc import Awaitable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from ..market.candles import Candles, CandleTable
from .config import get_config

__all__ = ["ContextExchange", "ExecutionContext", "current_context", "execution_context"]


class ContextExchange(Protocol):
    """What a strategy's helpers ask of the run's exchange (the ExchangeActor is one)."""

    def lookback(
        self, symbol: str, interval: str, limit: int, when: int, safe: bool | None = None
    ) -> Candles | Awaitable[Candles]: ...

    def average_price(
        self, symbol: str, when: int, safe: bool | None = None
    ) -> float | Awaitable[float]: ...

    def fast_table(self, symbol: str, interval: str) -> CandleTable | None: ...

    def format_price(self, symbol: str, price: float) -> str: ...

    def format_quantity(self, symbol: str, quantity: float) -> str: ...


_NO_WINDOW: list[Any] = [None] * 5 + [object(), object()]  # matches no (symbol, interval)


class ExecutionContext:
    """Mutable per-run context: the clock moves `when`; a task sees only its own run's context."""

    __slots__ = ("backtest", "exchange", "recent_window", "safe", "symbol", "when", "windows")

    def __init__(self, symbol: str, when: int, backtest: bool, exchange: ContextExchange) -> None:
        self.symbol = symbol
        self.when = when
        self.backtest = backtest
        self.exchange = exchange
        # the look-ahead profile is read once, when the run starts
        self.safe = get_config().lookahead_safe
        # get_candles' fast path: (symbol, interval) -> [table, origin, step, n, last view,
        # symbol, interval] for the exchange's regular, sane, quiet tables; origin: the first
        # stamp shifted by profile. recent_window: the last one served, matched by identity
        # first (a strategy passes the same strings every call) to skip the tuple key's hash
        self.windows: dict[tuple[str, str], list[Any]] = {}
        self.recent_window: list[Any] = _NO_WINDOW

    @property
    def mode(self) -> Literal["backtest", "live"]:
        return "backtest" if self.backtest else "live"

    @property
    def date(self) -> datetime:
        return datetime.fromtimestamp(self.when / 1000, tz=UTC)


execution_context: ContextVar[ExecutionContext | None] = ContextVar(
    "backtestkit_execution_context", default=None
)


def current_context(caller: str) -> ExecutionContext:
    context = execution_context.get()
    if context is None:
        raise RuntimeError(
            f"{caller}() needs an execution context: call it inside get_signal (or wrap the "
            "call in ExchangeActor.context(symbol, when, backtest))"
        )
    return context
