"""What the report storages share: their bus subscriptions and their capped newest-first rows."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from backtestkit.bus import Bus, Topic

__all__ = ["BusFeed", "RowBook"]

R = TypeVar("R")
Handler = tuple[Callable[[Bus], Topic[Any]], Callable[[Any], None]]


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
        self._unsubscribe = [pick(self.bus).subscribe(handler) for pick, handler in self._handlers]

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
