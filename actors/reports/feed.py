"""What the report storages share: their bus subscriptions and their capped newest-first rows."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from backtestkit.bus import Bus, Topic, current_bus

from ..core.engine import Engine
from ..core.registry import registry
from .symbol_reports import SymbolReports

__all__ = [
    "AlwaysOnReports",
    "BusFeed",
    "Handler",
    "KeyedReports",
    "OptInReports",
    "RowBook",
    "subscribed",
]

R = TypeVar("R")
Listener = Callable[[Any], None]
# (topic of the bus, listener) or (topic, listener, the result types it records)
Handler = (
    tuple[Callable[[Bus], Topic[Any]], Listener]
    | tuple[Callable[[Bus], Topic[Any]], Listener, tuple[type, ...]]
)


class BusFeed:
    """The subscriptions of one report storage.

    `attach()` subscribes (again: `Bus.clear()` drops every listener, storages included) and
    `detach()` stops; the handlers are plain sync functions, so a publish costs one call each.
    """

    __slots__ = ("_handlers", "_unsubscribe", "bus")

    def __init__(self, bus: Bus, handlers: Sequence[Handler]) -> None:
        self.bus = bus
        self._handlers = tuple(handlers)
        self._unsubscribe: list[Callable[[], None]] = []

    @property
    def attached(self) -> bool:
        return bool(self._unsubscribe)

    def attach(self) -> None:
        self.detach()
        self._unsubscribe = [
            pick(self.bus).subscribe(listener, kinds=kinds[0] if kinds else None)
            for pick, listener, *kinds in self._handlers
        ]

    def detach(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()  # harmless when Bus.clear() already dropped it
        self._unsubscribe = []


class RowBook(Generic[R]):
    """Rows by key ("<symbol>:<strategy>" or a strategy name), newest first, `cap` per key."""

    __slots__ = ("_cap", "_rows")

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._rows: dict[str, deque[R]] = {}

    def add(self, key: str, row: R) -> None:
        rows = self._rows.get(key)
        if rows is None:
            rows = self._rows[key] = deque(maxlen=self._cap)
        rows.appendleft(row)

    def rows(self, key: str) -> tuple[R, ...]:
        return tuple(self._rows.get(key, ()))

    def names(self) -> list[str]:
        return list(self._rows)

    def clear(self, key: str | None = None) -> None:
        if key is None:
            self._rows.clear()
        else:
            self._rows.pop(key, None)


S = TypeVar("S")


class KeyedReports(SymbolReports[S], Generic[R, S]):
    """A report facade over rows kept per "<symbol>:<strategy>": get_data / get_report / dump /
    clear. Subclasses say which topics feed the rows, how rows become statistics and text, and
    where dumps go."""

    stored_rows = 250  # rows kept per "<symbol>:<strategy>", newest first

    def __init__(self, bus: Bus | None = None) -> None:
        self._book: RowBook[R] = RowBook(self.stored_rows)
        self._feed = BusFeed(bus or current_bus(), self._handlers())

    def _handlers(self) -> list[Handler]:
        """The topics this storage listens to, each with the method recording its events."""
        raise NotImplementedError

    _summary: Callable[[Sequence[R]], S]  # the rows' statistics, e.g. `risk_statistics`

    def _statistics(self, strategy: str, rows: tuple[R, ...]) -> S:
        return self._summary(rows)

    def get_data(self, symbol: str, strategy: str) -> S:
        registry.strategy(strategy)
        return self._statistics(strategy, self._book.rows(f"{symbol}:{strategy}"))

    def clear(self, symbol: str | None = None, strategy: str | None = None) -> None:
        """Forget one "<symbol>:<strategy>" (both given) or everything."""
        self._book.clear(None if symbol is None or strategy is None else f"{symbol}:{strategy}")


class AlwaysOnReports(KeyedReports[R, S]):
    """Subscribed from import on (fed by cheap topics such as `transition`)."""

    def attach(self) -> None:
        """(Re)subscribe to the bus; done on import and by `reset()`."""
        self._feed.attach()

    def reset(self) -> None:
        """Forget every row and resubscribe (test isolation)."""
        self._book.clear()
        self._feed.attach()


class OptInReports(KeyedReports[R, S]):
    """Recording only after `enable()`: listening to their topics costs every backtest."""

    @property
    def enabled(self) -> bool:
        return self._feed.attached

    def enable(self) -> None:
        """Start recording (see the report module's docstring for the cost)."""
        self._feed.attach()

    def disable(self) -> None:
        """Stop recording; what was recorded stays available."""
        self._feed.detach()

    def reset(self) -> None:
        """Forget everything and stop recording (test isolation)."""
        self._book.clear()
        self._feed.detach()


class _Subscribing(Protocol):
    def attach(self) -> None: ...


A = TypeVar("A", bound=_Subscribing)


def subscribed(make: Callable[[Bus], A]) -> Callable[[Engine], A]:
    """An `EngineLocal` factory for an always-on storage: made on the engine's bus, attached."""

    def factory(engine: Engine) -> A:
        reports = make(engine.bus)
        reports.attach()
        return reports

    return factory
