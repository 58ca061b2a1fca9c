"""Schema registry: every schema by kind and name; lookups name the kind on failure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .engine import EngineLocal, engine_bound
from .schema_checks import problem
from .schemas import (
    ExchangeSchema,
    FrameSchema,
    RiskSchema,
    Schema,
    SizingSchema,
    StrategySchema,
    WalkerSchema,
)

__all__ = [
    "Registry",
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
SchemaT = TypeVar("SchemaT", bound=Schema[Any])


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
            raise problem(kind, name, "already exists")
        table[name] = schema
        return schema

    @staticmethod
    def _get(table: Mapping[str, S], kind: str, name: str) -> S:
        schema = table.get(name)
        if schema is None:
            known = ", ".join(repr(n) for n in table) or "none"
            plural = "strategies" if kind == "strategy" else f"{kind}s"
            raise problem(kind, name, f"not found; registered {plural}: {known}")
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


_REGISTRY: EngineLocal[Registry] = EngineLocal("registry", lambda _engine: Registry())
registry = engine_bound(_REGISTRY)  # the current engine's schemas


def reset_registry() -> None:
    """Forget every schema of the current engine (test isolation)."""
    _REGISTRY.set(Registry())


def _listing(plural: str, schema: type[SchemaT]) -> Callable[[], list[SchemaT]]:
    """`list_<plural>()`: the current engine's schemas of one kind, in registration order."""

    def listing() -> list[SchemaT]:
        table: Mapping[str, SchemaT] = getattr(registry, plural)
        return list(table.values())

    listing.__name__ = listing.__qualname__ = f"list_{plural}"
    listing.__doc__ = f"Registered {schema.kind} schemas, in registration order."
    return listing


list_strategies = _listing("strategies", StrategySchema)
list_exchanges = _listing("exchanges", ExchangeSchema)
list_frames = _listing("frames", FrameSchema)
list_risks = _listing("risks", RiskSchema)
list_sizings = _listing("sizings", SizingSchema)
list_walkers = _listing("walkers", WalkerSchema)
