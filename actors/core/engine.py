"""Engine: one isolated backtestkit world (its bus, schemas, config, caches, storages and
facade state). The module-level API (`add_strategy`, `Backtest`, `listen_*`) acts on the current
engine: the one entered with `with engine:` in this task or thread, else the default engine."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any, ClassVar, Generic, TypeVar, cast

from backtestkit.bus import Bus, resolve_bus_with

__all__ = [
    "Engine",
    "EngineLocal",
    "current_engine",
    "engine_bound",
    "entered_engine",
    "reset_default_engine",
]

T = TypeVar("T")

entered_engine: ContextVar[Engine | None] = ContextVar("backtestkit_engine", default=None)
"""The engine entered in this context (None: the default engine)."""
_default: Engine | None = None


class Engine:
    """Holds every piece of engine state; two engines in one process share nothing."""

    def __init__(self) -> None:
        self.bus = Bus()
        self.locals: dict[EngineLocal[Any], Any] = {}
        self._tokens: list[Token[Engine | None]] = []
        for local in EngineLocal.always_on:  # report storages that listen from the start
            local.of(self)

    def __enter__(self) -> Engine:
        self._tokens.append(entered_engine.set(self))
        return self

    def __exit__(self, *exc_info: object) -> None:
        entered_engine.reset(self._tokens.pop())

    def __repr__(self) -> str:
        return f"<Engine {id(self):#x}{' (default)' if self is _default else ''}>"


class EngineLocal(Generic[T]):
    """A value each engine holds its own of, made on first use by `factory(engine)`."""

    always_on: ClassVar[list[EngineLocal[Any]]] = []

    __slots__ = ("factory", "name")

    def __init__(self, name: str, factory: Callable[[Engine], T], *, always_on: bool = False):
        self.name = name
        self.factory = factory
        if always_on:
            EngineLocal.always_on.append(self)

    def of(self, engine: Engine) -> T:
        try:
            value: T = engine.locals[self]
        except KeyError:
            value = engine.locals[self] = self.factory(engine)
        return value

    def get(self) -> T:
        """The current engine's value."""
        engine = entered_engine.get() or current_engine()  # inlined: config is read per signal
        try:
            value: T = engine.locals[self]
        except KeyError:
            return self.of(engine)
        return value

    def set(self, value: T) -> None:
        """Replace the current engine's value."""
        current_engine().locals[self] = value

    def __repr__(self) -> str:
        return f"<EngineLocal {self.name}>"


def current_engine() -> Engine:
    """The engine entered in this context, else the default one (made on first use)."""
    engine = entered_engine.get()
    if engine is not None:
        return engine
    global _default
    if _default is None:
        _default = Engine()
    return _default


def reset_default_engine() -> Engine:
    """A fresh default engine: nothing of the old one is seen any more (test isolation)."""
    global _default
    _default = Engine()
    return _default


class _Bound:
    """Attribute access on the current engine's value of one EngineLocal."""

    __slots__ = ("_local",)

    def __init__(self, local: EngineLocal[Any]) -> None:
        object.__setattr__(self, "_local", local)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._local.get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._local.get(), name, value)

    def __repr__(self) -> str:
        return f"<{self._local.name} of the current engine>"


def engine_bound(local: EngineLocal[T]) -> T:
    """A module-level name (`Backtest`, `registry`) that is the current engine's own value."""
    return cast(T, _Bound(local))


resolve_bus_with(lambda: current_engine().bus)
