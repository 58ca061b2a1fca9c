"""What `get_candles` / `get_average_price` hand a strategy: a value that is also awaitable.

A `def get_signal` reads the value; an `async def get_signal` may `await` it (the reference's
API returns promises). One static type serves both, so user code type-checks without ignores.
An async candle source cannot answer a plain call: it gets a `PendingCandles` / `PendingPrice`
of the same type, which only `await` resolves; reading it unawaited raises a TypeError that
says so (instead of a coroutine that fails later, far from the call).
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator
from typing import Any, Generic, NoReturn, TypeVar

from .candles import Candles

__all__ = ["AveragePrice", "PendingCandles", "PendingPrice"]

T = TypeVar("T")


class AveragePrice(float):
    """A float (the VWAP) that `await` returns unchanged."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, float]:
        return float(self)
        yield  # pragma: no cover - makes this a generator


def _unawaited(call: str) -> NoReturn:
    raise TypeError(
        f"{call} reads an async candle source: write `async def get_signal` and `await {call}`"
    )


class _Pending(Generic[T]):
    """What the pending values share: `await` resolves them once, their repr says so."""

    _call: str
    _pending: Awaitable[T]
    _result: T | None

    def _hold(self, pending: Awaitable[T], call: str) -> None:
        self._pending = pending
        self._call = call
        self._result = None

    def __await__(self) -> Generator[Any, None, T]:
        if self._result is None:
            self._result = yield from self._pending.__await__()
        return self._result

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._call}: await it)"

    __str__ = __repr__


class PendingCandles(_Pending[Candles], Candles):
    """The `Candles` of an async source, not fetched yet: `await` it."""

    def __init__(self, pending: Awaitable[Candles], call: str) -> None:
        self._hold(pending, call)


class PendingPrice(_Pending[float], AveragePrice):
    """The VWAP of an async source, not computed yet (a NaN until awaited): `await` it."""

    def __new__(cls, pending: Awaitable[float], call: str) -> PendingPrice:
        self = super().__new__(cls, "nan")
        self._hold(pending, call)
        return self


def _refuse(self: PendingCandles | PendingPrice, *args: object) -> NoReturn:
    _unawaited(self._call)


for _column in ("table", "bounds", "timestamp", "open", "high", "low", "close", "volume"):
    setattr(PendingCandles, _column, property(_refuse))
for _operation in ("__len__", "__getitem__", "__iter__"):
    setattr(PendingCandles, _operation, _refuse)

# Every way to read a float's value refuses (math.* and numpy read the NaN underneath).
_FLOAT_READS = (
    "__abs__", "__add__", "__bool__", "__ceil__", "__divmod__", "__eq__", "__float__", "__floor__",
    "__floordiv__", "__format__", "__ge__", "__gt__", "__int__", "__le__", "__lt__", "__mod__",
    "__mul__", "__ne__", "__neg__", "__pos__", "__pow__", "__radd__", "__rdivmod__",
    "__rfloordiv__", "__rmod__", "__rmul__", "__round__", "__rpow__", "__rsub__", "__rtruediv__",
    "__sub__", "__truediv__", "__trunc__", "as_integer_ratio", "is_integer", "hex",
)  # fmt: skip
for _operation in _FLOAT_READS:
    setattr(PendingPrice, _operation, _refuse)
