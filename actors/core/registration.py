"""add_strategy, add_exchange, add_frame, add_risk, add_sizing, add_walker: validate, then store
in the registry by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from ..market.candle_sources import CandleSource
from ..market.intervals import FRAME_INTERVALS, STRATEGY_INTERVALS
from .registry import Registry, registry
from .schema_checks import as_callbacks, check_choice, check_name, check_positive, epoch_ms, problem
from .schemas import (
    SIZING_METHODS,
    WALKER_METRICS,
    ExchangeCallbacks,
    ExchangeSchema,
    FrameCallbacks,
    FrameSchema,
    RiskCallbacks,
    RiskSchema,
    RiskValidation,
    Schema,
    SizingCallbacks,
    SizingSchema,
    StrategyCallbacks,
    StrategySchema,
    WalkerCallbacks,
    WalkerSchema,
)

__all__ = [
    "add_exchange",
    "add_frame",
    "add_risk",
    "add_sizing",
    "add_strategy",
    "add_walker",
]

S = TypeVar("S", bound=Schema[Any])


def _stored(
    schema_type: type[S],
    table: dict[str, S],
    name: str,
    callbacks: object,
    note: str,
    **fields: Any,
) -> S:
    """The validated schema, stored by name (a name already taken is refused)."""
    kind = schema_type.kind
    hooks = as_callbacks(schema_type.callbacks_type, callbacks, kind, name)
    schema = schema_type(name=name, callbacks=hooks, note=note, **fields)
    return Registry._store(table, kind, schema)


def add_strategy(
    name: str,
    *,
    interval: str,
    get_signal: Callable[..., Any],
    risk: str | list[str] | None = None,
    sizing: str | None = None,
    callbacks: StrategyCallbacks | Mapping[str, Any] | None = None,
    note: str = "",
) -> StrategySchema:
    kind = "strategy"
    check_name(kind, name)
    check_choice(kind, name, "interval", interval, STRATEGY_INTERVALS)
    if not callable(get_signal):
        raise problem(kind, name, f"get_signal must be callable, got {type(get_signal).__name__}")
    risks: tuple[str, ...]
    if risk is None:
        risks = ()
    elif isinstance(risk, str):
        risks = (risk,)
    elif isinstance(risk, list | tuple) and all(isinstance(r, str) and r for r in risk):
        risks = tuple(risk)
        if len(set(risks)) != len(risks):
            raise problem(kind, name, f"risk list has duplicates: {list(risks)}")
    else:
        raise problem(kind, name, f"risk must be a name or a list of names, got {risk!r}")
    if sizing is not None and (not isinstance(sizing, str) or not sizing):
        raise problem(kind, name, f"sizing must be a sizing name, got {sizing!r}")
    return _stored(
        StrategySchema,
        registry.strategies,
        name,
        callbacks,
        note,
        interval=interval,
        get_signal=get_signal,
        risk_names=risks,
        sizing=sizing,
    )


def add_exchange(
    name: str,
    *,
    candles: CandleSource,
    format_price: Callable[[str, float], str] | None = None,
    format_quantity: Callable[[str, float], str] | None = None,
    callbacks: ExchangeCallbacks | Mapping[str, Any] | None = None,
    note: str = "",
) -> ExchangeSchema:
    kind = "exchange"
    check_name(kind, name)
    if not callable(getattr(candles, "fetch", None)):
        raise problem(
            kind, name, f"candles must be a CandleSource with fetch(), got {type(candles).__name__}"
        )
    for field, fn in (("format_price", format_price), ("format_quantity", format_quantity)):
        if fn is not None and not callable(fn):
            raise problem(kind, name, f"{field} must be callable")
    return _stored(
        ExchangeSchema,
        registry.exchanges,
        name,
        callbacks,
        note,
        candles=candles,
        format_price=format_price,
        format_quantity=format_quantity,
    )


def add_frame(
    name: str,
    *,
    start: datetime | int,
    end: datetime | int,
    interval: str = "1m",
    callbacks: FrameCallbacks | Mapping[str, Any] | None = None,
    note: str = "",
) -> FrameSchema:
    kind = "frame"
    check_name(kind, name)
    check_choice(kind, name, "interval", interval, FRAME_INTERVALS)
    start_ms = epoch_ms(kind, name, "start", start)
    end_ms = epoch_ms(kind, name, "end", end)
    if start_ms >= end_ms:
        raise problem(kind, name, f"start ({start}) must be before end ({end})")
    return _stored(
        FrameSchema,
        registry.frames,
        name,
        callbacks,
        note,
        start_ms=start_ms,
        end_ms=end_ms,
        interval=interval,
    )


def add_risk(
    name: str,
    *,
    validations: list[Callable[..., Any] | RiskValidation] | None = None,
    max_concurrent_positions: int | None = None,
    callbacks: RiskCallbacks | Mapping[str, Any] | None = None,
    note: str = "",
) -> RiskSchema:
    kind = "risk"
    check_name(kind, name)
    items: list[RiskValidation] = []
    for index, validation in enumerate(validations or []):
        if isinstance(validation, RiskValidation):
            if not callable(validation.validate):
                raise problem(kind, name, f"validations[{index}].validate must be callable")
            items.append(validation)
        elif callable(validation):
            items.append(RiskValidation(validation))
        else:
            raise problem(kind, name, f"validations[{index}] must be a callable or RiskValidation")
    if max_concurrent_positions is not None and (
        not isinstance(max_concurrent_positions, int)
        or isinstance(max_concurrent_positions, bool)
        or max_concurrent_positions < 0
    ):
        raise problem(
            kind,
            name,
            f"max_concurrent_positions must be an integer >= 0, got {max_concurrent_positions!r}",
        )
    return _stored(
        RiskSchema,
        registry.risks,
        name,
        callbacks,
        note,
        validations=tuple(items),
        max_concurrent_positions=max_concurrent_positions,
    )


def add_sizing(
    name: str,
    *,
    method: str,
    risk_percentage: float | None = None,
    kelly_multiplier: float = 0.25,
    atr_multiplier: float = 2.0,
    max_position_percentage: float | None = None,
    min_position_size: float | None = None,
    max_position_size: float | None = None,
    callbacks: SizingCallbacks | Mapping[str, Any] | None = None,
    note: str = "",
) -> SizingSchema:
    kind = "sizing"
    check_name(kind, name)
    check_choice(kind, name, "method", method, SIZING_METHODS)
    if method in ("fixed_percentage", "atr_based") and risk_percentage is None:
        raise problem(kind, name, f"risk_percentage is required for method {method}")
    check_positive(kind, name, "risk_percentage", risk_percentage)
    check_positive(kind, name, "kelly_multiplier", kelly_multiplier, allow_zero=True)
    check_positive(kind, name, "atr_multiplier", atr_multiplier)
    check_positive(kind, name, "max_position_percentage", max_position_percentage)
    check_positive(kind, name, "min_position_size", min_position_size, allow_zero=True)
    check_positive(kind, name, "max_position_size", max_position_size)
    return _stored(
        SizingSchema,
        registry.sizings,
        name,
        callbacks,
        note,
        method=method,
        risk_percentage=risk_percentage,
        kelly_multiplier=kelly_multiplier,
        atr_multiplier=atr_multiplier,
        max_position_percentage=max_position_percentage,
        min_position_size=min_position_size,
        max_position_size=max_position_size,
    )


def add_walker(
    name: str,
    *,
    strategies: list[str],
    exchange: str,
    frame: str,
    metric: str = "sharpe_ratio",
    callbacks: WalkerCallbacks | Mapping[str, Any] | None = None,
    note: str = "",
) -> WalkerSchema:
    kind = "walker"
    check_name(kind, name)
    if not isinstance(strategies, list | tuple) or not strategies:
        raise problem(kind, name, "strategies must be a non-empty list of strategy names")
    if not all(isinstance(s, str) and s for s in strategies):
        raise problem(kind, name, f"strategies must be strategy names, got {strategies!r}")
    if len(set(strategies)) != len(strategies):
        raise problem(kind, name, f"strategies has duplicates: {list(strategies)}")
    for field, value in (("exchange", exchange), ("frame", frame)):
        if not isinstance(value, str) or not value:
            raise problem(kind, name, f"{field} must be a name, got {value!r}")
    check_choice(kind, name, "metric", metric, WALKER_METRICS)
    return _stored(
        WalkerSchema,
        registry.walkers,
        name,
        callbacks,
        note,
        strategies=tuple(strategies),
        exchange=exchange,
        frame=frame,
        metric=metric,
    )
