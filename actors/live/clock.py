"""Clocks for Live mode: the wall clock, and a virtual clock whose sleep advances time at once."""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

import anyio

__all__ = ["Clock", "VirtualClock", "WallClock"]


@runtime_checkable
class Clock(Protocol):
    """`now()` in ms UTC; `sleep(ms)` waits (or pretends to)."""

    def now(self) -> int: ...

    async def sleep(self, ms: int) -> None: ...


class WallClock:
    """Real time: `now()` in whole ms UTC."""

    def now(self) -> int:
        return time.time_ns() // 1_000_000

    async def sleep(self, ms: int) -> None:
        await anyio.sleep(ms / 1000)


class VirtualClock:
    """Deterministic time for tests and paper trading: a week of minutes runs in milliseconds."""

    def __init__(self, start_ms: int) -> None:
        self._now = start_ms

    def now(self) -> int:
        return self._now

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise ValueError(f"VirtualClock cannot go back in time ({ms} ms)")
        self._now += ms

    async def sleep(self, ms: int) -> None:
        self.advance(ms)
        await anyio.lowlevel.checkpoint()  # let other tasks (stop requests, listeners) run
