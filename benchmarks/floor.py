"""The strategy floor: a workload's strategy alone, called at the instants the engine called it.

The instants are recorded from an engine run (the strategy wrapped, untimed). The floor then
calls the very same function bodies (their code objects, rebound to other globals) with the
same (symbol, date) arguments, where `get_candles` serves a plain numpy window over the same
candles (lazy column views, awaitable like the engine's) and `get_average_price` a numpy VWAP.
Each call's date is built from its instant in the loop, as any caller of the strategy must,
and a coroutine strategy is stepped by hand, so the floor is the cost of calling the strategy:
what the engine adds is (engine - floor) / floor.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FunctionType
from typing import Any, ClassVar

import numpy as np

from backtestkit.actors import Backtest, add_exchange, add_frame, add_strategy, get_config
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import MemoryCandles

__all__ = ["Floor", "floor_of", "record_instants"]

MINUTE = 60_000


class _Window:
    """`limit` candles ending before row `hi`: numpy views made when a column is read."""

    __slots__ = ("_hi", "_lo")
    columns: ClassVar[dict[str, np.ndarray]] = {}

    def __init__(self, lo: int, hi: int) -> None:
        self._lo = lo
        self._hi = hi

    @property
    def close(self) -> np.ndarray:
        return self.columns["close"][self._lo : self._hi]

    def __len__(self) -> int:
        return self._hi - self._lo

    def __await__(self) -> Generator[Any, None, _Window]:
        return self
        yield  # makes this a generator


class _Cursor:
    """The row just past the window of the instant being called (set by the floor's loop)."""

    hi = 0


def _floor_candles(symbol: str, interval: str, limit: int) -> _Window:
    hi = _Cursor.hi
    return _Window(hi - limit if hi > limit else 0, hi)


def _floor_price(symbol: str) -> float:
    columns, hi = _Window.columns, _Cursor.hi
    lo = max(0, hi - 5)
    volume = columns["volume"][lo:hi]
    typical = (columns["high"][lo:hi] + columns["low"][lo:hi] + columns["close"][lo:hi]) / 3
    total = float(volume.sum())
    if total == 0:
        return float(columns["close"][lo:hi].mean())
    return float((typical * volume).sum() / total)


def _rebound(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` with the floor's helpers in place of the engine's: same code, other globals
    (functions of its module that it calls, e.g. a shared decision body, are rebound too)."""
    scope = dict(fn.__globals__)
    scope["get_candles"] = _floor_candles
    scope["get_average_price"] = _floor_price
    for name, value in fn.__globals__.items():
        if isinstance(value, FunctionType) and value.__module__ == fn.__module__:
            scope[name] = FunctionType(value.__code__, scope, value.__name__, value.__defaults__)
    return scope[fn.__name__]  # type: ignore[no-any-return]


def record_instants(
    columns: dict[str, np.ndarray], start: int, frames: int, interval: str, fn: Callable[..., Any]
) -> list[int]:
    """The `when` (ms) of every get_signal call in one engine run of `fn` (untimed)."""
    instants: list[int] = []

    def recording(symbol: str, when: datetime) -> Any:
        instants.append(round(when.timestamp() * 1000))
        return fn(symbol, when)

    if hasattr(fn, "__code__") and fn.__code__.co_flags & 0x80:  # a coroutine function

        async def recording_async(symbol: str, when: datetime) -> Any:
            return await recording(symbol, when)

        strategy: Callable[..., Any] = recording_async
    else:
        strategy = recording
    reset_engine()
    add_exchange("floor", candles=MemoryCandles({"BTCUSDT": columns}))
    add_frame("floor", start=start, end=start + (frames - 1) * MINUTE)
    add_strategy("floor", interval=interval, get_signal=strategy)
    Backtest.run_sync("BTCUSDT", strategy="floor", exchange="floor", frame="floor")
    reset_engine()
    return instants


@dataclass(frozen=True)
class Floor:
    calls: int
    seconds: float

    @property
    def us_per_call(self) -> float:
        return self.seconds / self.calls * 1e6 if self.calls else 0.0


def floor_of(
    columns: dict[str, np.ndarray],
    instants: list[int],
    fn: Callable[..., Any],
    repeats: int = 3,
    clock: Callable[[], float] = time.perf_counter,
) -> Floor:
    """Best of `repeats`: `fn`'s body called at each instant (its date built in the loop) on
    plain numpy windows ending where the configured look-ahead profile ends them (reference:
    with the candle stamped at the instant; safe: with the one closed by it)."""
    _Window.columns = columns
    body = _rebound(fn)
    stamps = np.asarray(instants, dtype=np.int64)
    until = stamps - MINUTE if get_config().lookahead_safe else stamps
    rows = np.searchsorted(columns["timestamp"], until, side="right").tolist()
    calls = list(zip(rows, [when / 1000 for when in instants], strict=True))
    at = datetime.fromtimestamp
    is_async = bool(fn.__code__.co_flags & 0x80)
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        started = clock()
        if is_async:
            for hi, seconds in calls:
                _Cursor.hi = hi
                step = body("BTCUSDT", at(seconds, UTC))
                try:
                    step.send(None)
                except StopIteration:
                    continue
                raise RuntimeError("a floor strategy suspended: it must not wait")
        else:
            for hi, seconds in calls:
                _Cursor.hi = hi
                body("BTCUSDT", at(seconds, UTC))
        best = min(best, clock() - started)
    return Floor(len(calls), best)
