"""Schemas registered by name (SPEC 1): frozen configs, validated by the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

from ..market.candle_sources import CandleSource

__all__ = [
    "SIZING_METHODS",
    "WALKER_METRICS",
    "ExchangeCallbacks",
    "ExchangeSchema",
    "FrameCallbacks",
    "FrameSchema",
    "RiskCallbacks",
    "RiskSchema",
    "RiskValidation",
    "Schema",
    "SizingCallbacks",
    "SizingMethod",
    "SizingSchema",
    "StrategyCallbacks",
    "StrategySchema",
    "WalkerCallbacks",
    "WalkerMetric",
    "WalkerSchema",
]

Fn = Callable[..., Any]

WalkerMetric = Literal[
    "sharpe_ratio",
    "annualized_sharpe_ratio",
    "win_rate",
    "total_pnl",
    "avg_pnl",
    "certainty_ratio",
    "expected_yearly_returns",
    "max_drawdown",
    "total_trades",
]
WALKER_METRICS: tuple[str, ...] = WalkerMetric.__args__  # type: ignore[attr-defined]
SizingMethod = Literal["fixed_percentage", "kelly_criterion", "atr_based"]
SIZING_METHODS: tuple[str, ...] = SizingMethod.__args__  # type: ignore[attr-defined]
C = TypeVar("C")


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategyCallbacks:
    """SPEC 1.1.2; every callback is optional and called synchronously. A coroutine function
    runs at once until it first waits, then on its own, awaited by nobody (as the reference
    lets a callback's promise run)."""

    on_tick: Fn | None = None
    on_open: Fn | None = None
    on_close: Fn | None = None
    on_schedule: Fn | None = None
    on_cancel: Fn | None = None
    on_idle: Fn | None = None
    on_active: Fn | None = None
    on_partial_profit: Fn | None = None
    on_partial_loss: Fn | None = None
    on_write: Fn | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeCallbacks:
    on_candle_data: Fn | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameCallbacks:
    on_timeframe: Fn | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskCallbacks:
    on_rejected: Fn | None = None
    on_allowed: Fn | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SizingCallbacks:
    on_calculate: Fn | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkerCallbacks:
    on_strategy_start: Fn | None = None
    on_strategy_complete: Fn | None = None
    on_strategy_error: Fn | None = None
    on_complete: Fn | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Schema(Generic[C]):
    """What every registered schema carries: its name, optional callbacks and a note."""

    kind: ClassVar[str]  # "strategy", "exchange", ...: how errors and the registry name it
    callbacks_type: ClassVar[type[Any]]
    name: str
    callbacks: C | None = None
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategySchema(Schema[StrategyCallbacks]):
    kind = "strategy"
    callbacks_type = StrategyCallbacks
    interval: str
    get_signal: Fn
    risk_names: tuple[str, ...] = ()
    sizing: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeSchema(Schema[ExchangeCallbacks]):
    kind = "exchange"
    callbacks_type = ExchangeCallbacks
    candles: CandleSource
    format_price: Fn | None = None
    format_quantity: Fn | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameSchema(Schema[FrameCallbacks]):
    kind = "frame"
    callbacks_type = FrameCallbacks
    start_ms: int
    end_ms: int
    interval: str = "1m"


@dataclass(frozen=True, slots=True)
class RiskValidation:
    """A risk validation with a note used as the rejection comment."""

    validate: Fn
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskSchema(Schema[RiskCallbacks]):
    kind = "risk"
    callbacks_type = RiskCallbacks
    validations: tuple[RiskValidation, ...] = ()
    max_concurrent_positions: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SizingSchema(Schema[SizingCallbacks]):
    kind = "sizing"
    callbacks_type = SizingCallbacks
    method: SizingMethod
    risk_percentage: float | None = None
    kelly_multiplier: float = 0.25
    atr_multiplier: float = 2.0
    max_position_percentage: float | None = None
    min_position_size: float | None = None
    max_position_size: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkerSchema(Schema[WalkerCallbacks]):
    kind = "walker"
    callbacks_type = WalkerCallbacks
    strategies: tuple[str, ...]
    exchange: str
    frame: str
    metric: WalkerMetric = "sharpe_ratio"
