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


def _plural(kind: str) -> str:
    """The Registry table of a schema kind (and the word errors use for it)."""
    return "strategies" if kind == "strategy" else f"{kind}s"


def _lookup(schema: type[SchemaT]) -> Callable[[Registry, str], SchemaT]:
    """`Registry.<kind>(name)`: the registered schema of that kind; an unknown name raises
    listing the known ones."""
    kind = schema.kind

    def lookup(registry: Registry, name: str) -> SchemaT:
        table: Mapping[str, SchemaT] = getattr(registry, _plural(kind))
        return Registry._get(table, kind, name)

    lookup.__name__, lookup.__qualname__ = kind, f"Registry.{kind}"
    return lookup


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
            raise problem(kind, name, f"not found; registered {_plural(kind)}: {known}")
        return schema

    strategy = _lookup(StrategySchema)
    exchange = _lookup(ExchangeSchema)
    frame = _lookup(FrameSchema)
    risk = _lookup(RiskSchema)
    sizing = _lookup(SizingSchema)
    walker = _lookup(WalkerSchema)

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


def _listing(schema: type[SchemaT]) -> Callable[[], list[SchemaT]]:
    """`list_<kinds>()`: the current engine's schemas of one kind, in registration order."""
    plural = _plural(schema.kind)

    def listing() -> list[SchemaT]:
        table: Mapping[str, SchemaT] = getattr(registry, plural)
        return list(table.values())

    listing.__name__ = listing.__qualname__ = f"list_{plural}"
    listing.__doc__ = f"Registered {schema.kind} schemas, in registration order."
    return listing


list_strategies = _listing(StrategySchema)
list_exchanges = _listing(ExchangeSchema)
list_frames = _listing(FrameSchema)
list_risks = _listing(RiskSchema)
list_sizings = _listing(SizingSchema)
list_walkers = _listing(WalkerSchema)
