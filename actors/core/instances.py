"""Mode-facade instances keyed by "<symbol>:<name>", with their background status."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from backtestkit.bus import Serializable

__all__ = ["InstanceStatus", "Instances", "Status"]

Status = Literal["ready", "pending", "fulfilled", "rejected"]


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceStatus(Serializable):
    id: str
    symbol: str
    name: str
    status: Status


class Instance:
    """What every facade keeps per key: an id, the symbol, the name and the background status."""

    def __init__(self, symbol: str, name: str) -> None:
        self.id = uuid.uuid4().hex
        self.symbol = symbol
        self.name = name
        self.status: Status = "ready"
        self.done = False

    def restart(self) -> None:
        """A background run starts: its done event is still to come."""
        self.done = False

    def describe(self) -> InstanceStatus:
        return InstanceStatus(id=self.id, symbol=self.symbol, name=self.name, status=self.status)


InstanceT = TypeVar("InstanceT", bound=Instance)


class Instances(Generic[InstanceT]):
    """Created on first use (run, stop, get_data...), kept for list()."""

    def __init__(self, factory: type[InstanceT]) -> None:
        self._factory = factory
        self._by_key: dict[str, InstanceT] = {}

    def get(self, symbol: str, name: str) -> InstanceT:
        key = f"{symbol}:{name}"
        instance = self._by_key.get(key)
        if instance is None:
            instance = self._by_key[key] = self._factory(symbol, name)
        return instance

    def find(self, symbol: str, name: str) -> InstanceT | None:
        """The instance if one was ever created (without creating it)."""
        return self._by_key.get(f"{symbol}:{name}")

    def list(self) -> list[InstanceStatus]:
        return [instance.describe() for instance in self._by_key.values()]

    def clear(self) -> None:
        self._by_key.clear()
