"""Schema registry: add_* validates and stores by name; lookups name the kind on failure."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from backtestkit.actors.candles import CandleSource
from backtestkit.actors.intervals import FRAME_INTERVALS, STRATEGY_INTERVALS
from backtestkit.actors.schemas import (
    WALKER_METRICS,
    ExchangeCallbacks,
    ExchangeSchema,
    FrameCallbacks,
    FrameSchema,
    RiskCallbacks,
    RiskSchema,
    RiskValidation,
    SizingCallbacks,
    SizingSchema,
    StrategyCallbacks,
    StrategySchema,
    WalkerCallbacks,
    WalkerSchema,
)

__all__ = [
    "Registry",
    "add_exchange",
    "add_frame",
    "add_risk",
    "add_sizing",
    "add_strategy",
    "add_walker",
    "list_exchanges",
    "list_frames",
    "list_risks",
    "list_sizings",
    "list_strategies",
    "list_walkers",
    "registry",
    "reset_registry",
]

S = TypeVar("S")
C = TypeVar("C")


def _problem(kind: str, name: object, problem: str) -> ValueError:
    return ValueError(f"{kind} {name!r}: {problem}")


def _check_name(kind: str, name: object) -> str:
    if not isinstance(name, str) or not name:
        raise _problem(kind, name, "name must be a non-empty string")
    return name


def _callbacks(cls: type[C], value: Any, kind: str, name: str) -> C | None:
    if value is None or isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise _problem(kind, name, f"callbacks must be {cls.__name__} or a dict")
    allowed = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise _problem(
            kind, name, f"unknown callback(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    for key, fn in value.items():
        if fn is not None and not callable(fn):
            raise _problem(kind, name, f"callback {key} must be callable")
    return cls(**value)


def _epoch_ms(kind: str, name: str, field: str, value: Any) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _problem(
                kind,
                name,
                f"{field} must be timezone-aware (e.g. datetime(..., tzinfo=timezone.utc)), "
                f"got naive {value.isoformat()}",
            )
        return round(value.timestamp() * 1000)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _problem(kind, name, f"{field} must be a datetime or epoch milliseconds, got {value!r}")


class Registry:
    """Every schema kind by name, in registration order."""

    def __init__(self) -> None:
        self.strategies: dict[str, StrategySchema] = {}
        self.exchanges: dict[str, ExchangeSchema] = {}
        self.frames: dict[str, FrameSchema] = {}
        self.risks: dict[str, RiskSchema] = {}
        self.sizings: dict[str, SizingSchema] = {}
        self.walkers: dict[str, WalkerSchema] = {}

    @staticmethod
    def _store(table: dict[str, S], kind: str, schema: S) -> S:
        name: str = getattr(schema, "name")  # noqa: B009
        if name in table:
            raise _problem(kind, name, "already exists")
        table[name] = schema
        return schema

    @staticmethod
    def _get(table: Mapping[str, S], kind: str, name: str) -> S:
        schema = table.get(name)
        if schema is None:
            known = ", ".join(repr(n) for n in table) or "none"
            plural = "strategies" if kind == "strategy" else f"{kind}s"
            raise _problem(kind, name, f"not found; registered {plural}: {known}")
        return schema

    def strategy(self, name: str) -> StrategySchema:
        return self._get(self.strategies, "strategy", name)

    def exchange(self, name: str) -> ExchangeSchema:
        return self._get(self.exchanges, "exchange", name)

    def frame(self, name: str) -> FrameSchema:
        return self._get(self.frames, "frame", name)

    def risk(self, name: str) -> RiskSchema:
        return self._get(self.risks, "risk", name)

    def sizing(self, name: str) -> SizingSchema:
        return self._get(self.sizings, "sizing", name)

    def walker(self, name: str) -> WalkerSchema:
        return self._get(self.walkers, "walker", name)

    def strategy_risks(self, strategy: StrategySchema) -> list[RiskSchema]:
        """The strategy's risk profiles; unknown names raise naming the strategy too."""
        try:
            return [self.risk(name) for name in strategy.risk_names]
        except ValueError as exc:
            raise ValueError(f"{exc} (used by strategy {strategy.name!r})") from None


registry = Registry()


def reset_registry() -> None:
    """Forget every schema (test isolation)."""
    registry.__init__()  # type: ignore[misc]


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
    _check_name(kind, name)
    if interval not in STRATEGY_INTERVALS:
        raise _problem(
            kind, name, f"unknown interval {interval!r}; allowed: {', '.join(STRATEGY_INTERVALS)}"
        )
    if not callable(get_signal):
        raise _problem(kind, name, f"get_signal must be callable, got {type(get_signal).__name__}")
    risks: tuple[str, ...]
    if risk is None:
        risks = ()
    elif isinstance(risk, str):
        risks = (risk,)
    elif isinstance(risk, list | tuple) and all(isinstance(r, str) and r for r in risk):
        risks = tuple(risk)
        if len(set(risks)) != len(risks):
            raise _problem(kind, name, f"risk list has duplicates: {list(risks)}")
    else:
        raise _problem(kind, name, f"risk must be a name or a list of names, got {risk!r}")
    if sizing is not None and (not isinstance(sizing, str) or not sizing):
        raise _problem(kind, name, f"sizing must be a sizing name, got {sizing!r}")
    schema = StrategySchema(
        name=name,
        interval=interval,
        get_signal=get_signal,
        risk_names=risks,
        sizing=sizing,
        callbacks=_callbacks(StrategyCallbacks, callbacks, kind, name),
        note=note,
    )
    return Registry._store(registry.strategies, kind, schema)


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
    _check_name(kind, name)
    if not callable(getattr(candles, "fetch", None)):
        raise _problem(
            kind, name, f"candles must be a CandleSource with fetch(), got {type(candles).__name__}"
        )
    for field, fn in (("format_price", format_price), ("format_quantity", format_quantity)):
        if fn is not None and not callable(fn):
            raise _problem(kind, name, f"{field} must be callable")
    schema = ExchangeSchema(
        name=name,
        candles=candles,
        format_price=format_price,
        format_quantity=format_quantity,
        callbacks=_callbacks(ExchangeCallbacks, callbacks, kind, name),
        note=note,
    )
    return Registry._store(registry.exchanges, kind, schema)


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
    _check_name(kind, name)
    if interval not in FRAME_INTERVALS:
        raise _problem(
            kind, name, f"unknown interval {interval!r}; allowed: {', '.join(FRAME_INTERVALS)}"
        )
    start_ms = _epoch_ms(kind, name, "start", start)
    end_ms = _epoch_ms(kind, name, "end", end)
    if start_ms >= end_ms:
        raise _problem(kind, name, f"start ({start}) must be before end ({end})")
    schema = FrameSchema(
        name=name,
        start_ms=start_ms,
        end_ms=end_ms,
        interval=interval,
        callbacks=_callbacks(FrameCallbacks, callbacks, kind, name),
        note=note,
    )
    return Registry._store(registry.frames, kind, schema)


def add_risk(
    name: str,
    *,
    validations: list[Callable[..., Any] | RiskValidation] | None = None,
    max_concurrent_positions: int | None = None,
    callbacks: RiskCallbacks | Mapping[str, Any] | None = None,
    note: str = "",
) -> RiskSchema:
    kind = "risk"
    _check_name(kind, name)
    items: list[RiskValidation] = []
    for index, validation in enumerate(validations or []):
        if isinstance(validation, RiskValidation):
            if not callable(validation.validate):
                raise _problem(kind, name, f"validations[{index}].validate must be callable")
            items.append(validation)
        elif callable(validation):
            items.append(RiskValidation(validation))
        else:
            raise _problem(kind, name, f"validations[{index}] must be a callable or RiskValidation")
    if max_concurrent_positions is not None and (
        not isinstance(max_concurrent_positions, int)
        or isinstance(max_concurrent_positions, bool)
        or max_concurrent_positions < 0
    ):
        raise _problem(
            kind,
            name,
            f"max_concurrent_positions must be an integer >= 0, got {max_concurrent_positions!r}",
        )
    schema = RiskSchema(
        name=name,
        validations=tuple(items),
        max_concurrent_positions=max_concurrent_positions,
        callbacks=_callbacks(RiskCallbacks, callbacks, kind, name),
        note=note,
    )
    return Registry._store(registry.risks, kind, schema)


def _positive(kind: str, name: str, field: str, value: Any, *, allow_zero: bool = False) -> None:
    if value is None:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise _problem(kind, name, f"{field} must be a finite number {bound}, got {value!r}")


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
    _check_name(kind, name)
    methods = ("fixed_percentage", "kelly_criterion", "atr_based")
    if method not in methods:
        raise _problem(kind, name, f"unknown method {method!r}; allowed: {', '.join(methods)}")
    if method in ("fixed_percentage", "atr_based") and risk_percentage is None:
        raise _problem(kind, name, f"risk_percentage is required for method {method}")
    _positive(kind, name, "risk_percentage", risk_percentage)
    _positive(kind, name, "kelly_multiplier", kelly_multiplier, allow_zero=True)
    _positive(kind, name, "atr_multiplier", atr_multiplier)
    _positive(kind, name, "max_position_percentage", max_position_percentage)
    _positive(kind, name, "min_position_size", min_position_size, allow_zero=True)
    _positive(kind, name, "max_position_size", max_position_size)
    schema = SizingSchema(
        name=name,
        method=method,  # type: ignore[arg-type]
        risk_percentage=risk_percentage,
        kelly_multiplier=kelly_multiplier,
        atr_multiplier=atr_multiplier,
        max_position_percentage=max_position_percentage,
        min_position_size=min_position_size,
        max_position_size=max_position_size,
        callbacks=_callbacks(SizingCallbacks, callbacks, kind, name),
        note=note,
    )
    return Registry._store(registry.sizings, kind, schema)


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
    _check_name(kind, name)
    if not isinstance(strategies, list | tuple) or not strategies:
        raise _problem(kind, name, "strategies must be a non-empty list of strategy names")
    if not all(isinstance(s, str) and s for s in strategies):
        raise _problem(kind, name, f"strategies must be strategy names, got {strategies!r}")
    if len(set(strategies)) != len(strategies):
        raise _problem(kind, name, f"strategies has duplicates: {list(strategies)}")
    for field, value in (("exchange", exchange), ("frame", frame)):
        if not isinstance(value, str) or not value:
            raise _problem(kind, name, f"{field} must be a name, got {value!r}")
    if metric not in WALKER_METRICS:
        raise _problem(
            kind, name, f"unknown metric {metric!r}; allowed: {', '.join(WALKER_METRICS)}"
        )
    schema = WalkerSchema(
        name=name,
        strategies=tuple(strategies),
        exchange=exchange,
        frame=frame,
        metric=metric,  # type: ignore[arg-type]
        callbacks=_callbacks(WalkerCallbacks, callbacks, kind, name),
        note=note,
    )
    return Registry._store(registry.walkers, kind, schema)


def list_strategies() -> list[StrategySchema]:
    """Registered strategy schemas, in registration order."""
    return list(registry.strategies.values())


def list_exchanges() -> list[ExchangeSchema]:
    return list(registry.exchanges.values())


def list_frames() -> list[FrameSchema]:
    return list(registry.frames.values())


def list_risks() -> list[RiskSchema]:
    return list(registry.risks.values())


def list_sizings() -> list[SizingSchema]:
    return list(registry.sizings.values())


def list_walkers() -> list[WalkerSchema]:
    return list(registry.walkers.values())
