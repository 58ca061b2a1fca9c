"""Candles as contiguous numpy columns: a validated table per (symbol, interval) and its views."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import structlog

from .candle_checks import (
    COLUMNS,
    CandleDataError,
    FloatArray,
    IntArray,
    as_timestamps,
    validate_columns,
)

__all__ = [
    "COLUMNS",
    "Candle",
    "CandleDataError",
    "CandleTable",
    "Candles",
]

_log = structlog.get_logger("backtestkit.candles")


@dataclass(frozen=True, slots=True)
class Candle:
    timestamp: int
    open: float
    high: float
    low: float
    close: float
    volume: float


class CandleTable:
    """One (symbol, interval) history: sorted int64 timestamps and float64 OHLCV columns."""

    __slots__ = (
        "_vwap_columns",
        "close",
        "high",
        "low",
        "max_high",
        "min_low",
        "n",
        "open",
        "origin",
        "regular",
        "step_ms",
        "t0",
        "timestamp",
        "volume",
    )

    def __init__(
        self,
        timestamp: IntArray,
        open: FloatArray,
        high: FloatArray,
        low: FloatArray,
        close: FloatArray,
        volume: FloatArray,
        *,
        step_ms: int,
        origin: str = "<memory>",
        extremes: tuple[float, float] | None = None,
    ) -> None:
        self.timestamp = timestamp
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.step_ms = step_ms
        self.origin = origin
        self.n = int(timestamp.shape[0])
        self.t0 = int(timestamp[0]) if self.n else 0
        self.regular = self.n == 0 or int(timestamp[-1]) - self.t0 == (self.n - 1) * step_ms
        if extremes is not None:  # (min_low, max_high) known, or bounds of them (see `rows`)
            self.min_low, self.max_high = extremes
        else:
            self.min_low = float(low.min()) if self.n else 0.0
            self.max_high = float(high.max()) if self.n else 0.0
        self._vwap_columns: tuple[memoryview, memoryview, memoryview] | None = None

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Any],
        *,
        step_ms: int = 60_000,
        origin: str = "<memory>",
        first_row: int = 0,
    ) -> CandleTable:
        """Validate and adopt columns; `first_row` is the row number of index 0 in messages."""
        missing = [name for name in COLUMNS if name not in columns]
        if missing:
            raise CandleDataError(f"{origin}: missing column(s) {', '.join(missing)}")
        raw_ts = np.asarray(columns["timestamp"])
        floats = {
            name: np.ascontiguousarray(columns[name], dtype=np.float64) for name in COLUMNS[1:]
        }
        lengths = {name: len(values) for name, values in floats.items()}
        lengths["timestamp"] = len(raw_ts)
        if len(set(lengths.values())) > 1:
            raise CandleDataError(f"{origin}: columns have different lengths {lengths}")
        timestamp = as_timestamps(raw_ts, origin, first_row)
        validate_columns(timestamp, floats, step_ms=step_ms, origin=origin, first_row=first_row)
        table = cls(
            timestamp, *(floats[name] for name in COLUMNS[1:]), step_ms=step_ms, origin=origin
        )
        table.report_gaps()
        return table

    def report_gaps(self) -> None:
        if self.regular or self.n < 2:
            return
        steps = np.diff(self.timestamp) // self.step_ms
        gaps = int(np.count_nonzero(steps > 1))
        _log.warning(
            "candle_gaps",
            origin=self.origin,
            gaps=gaps,
            missing_candles=int((steps[steps > 1] - 1).sum()),
            rows=self.n,
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the VWAP views (memoryviews do not pickle; rebuilt on demand)."""
        state = {name: getattr(self, name) for name in self.__slots__}
        state["_vwap_columns"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def first_at_or_after(self, ts: int) -> int:
        """Index of the first candle stamped >= ts (n if none)."""
        if self.regular:
            offset = -((self.t0 - ts) // self.step_ms)  # ceil division
            return 0 if offset < 0 else (offset if offset < self.n else self.n)
        return int(np.searchsorted(self.timestamp, ts, side="left"))

    def first_after(self, ts: int) -> int:
        """Index of the first candle stamped > ts (n if none)."""
        if self.regular:
            offset = (ts - self.t0) // self.step_ms + 1
            return 0 if offset < 0 else (offset if offset < self.n else self.n)
        return int(np.searchsorted(self.timestamp, ts, side="right"))

    def rows(self, lo: int, hi: int, origin: str) -> CandleTable:
        """Rows [lo, hi) as a table sharing this one's memory, VWAP columns included. Its
        min_low / max_high are this table's: bounds of its own, so a sane parent makes a sane
        view and the anomaly shortcut stays sound."""
        typical_volume, volume, close = self.vwap_columns()
        table = CandleTable(
            self.timestamp[lo:hi],
            self.open[lo:hi],
            self.high[lo:hi],
            self.low[lo:hi],
            self.close[lo:hi],
            self.volume[lo:hi],
            step_ms=self.step_ms,
            origin=origin,
            extremes=(self.min_low, self.max_high),
        )
        table._vwap_columns = (typical_volume[lo:hi], volume[lo:hi], close[lo:hi])
        return table

    def view(self, lo: int, hi: int) -> Candles:
        return Candles(self, lo, hi)

    def vwap_columns(self) -> tuple[memoryview, memoryview, memoryview]:
        """(typical*volume, volume, close) for exact sequential VWAP sums.

        Memoryviews index to Python floats as fast as lists do, without building 3n float
        objects up front (a cost every walker worker would pay) that the GC would then traverse.
        """
        if self._vwap_columns is None:
            typical_volume = ((self.high + self.low) + self.close) / 3 * self.volume
            self._vwap_columns = (typical_volume.data, self.volume.data, self.close.data)
        return self._vwap_columns

    def aggregate(self, step_ms: int) -> CandleTable:
        """Higher-interval candles from these: epoch-aligned buckets stamped at their open."""
        if step_ms == self.step_ms:
            return self
        if step_ms % self.step_ms:
            raise ValueError(
                f"{self.origin}: cannot aggregate {self.step_ms} ms candles into {step_ms} ms"
            )
        bucket = self.timestamp - self.timestamp % step_ms
        if self.n == 0:
            starts = np.zeros(0, dtype=np.int64)
        else:
            starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
        ends = np.r_[starts[1:], self.n] - 1 if self.n else starts
        return CandleTable(
            np.ascontiguousarray(bucket[starts]),
            np.ascontiguousarray(self.open[starts]),
            np.maximum.reduceat(self.high, starts) if self.n else self.high,
            np.minimum.reduceat(self.low, starts) if self.n else self.low,
            np.ascontiguousarray(self.close[ends]),
            np.add.reduceat(self.volume, starts) if self.n else self.volume,
            step_ms=step_ms,
            origin=self.origin,
        )


class Candles(Sequence[Candle]):
    """A zero-copy window [lo, hi) of a CandleTable; columns are numpy views."""

    __slots__ = ("_hi", "_lo", "_table")

    def __init__(self, table: CandleTable, lo: int, hi: int) -> None:
        self._table = table
        self._lo = lo
        self._hi = hi

    @classmethod
    def from_rows(cls, rows: Sequence[Any], *, step_ms: int = 60_000) -> Candles:
        """Candles from Candle objects, mappings or (t, o, h, l, c, v) tuples (not validated)."""
        if isinstance(rows, Candles):
            return rows
        columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        for row in rows:
            for name, value in zip(COLUMNS, _row_values(row), strict=True):
                columns[name].append(value)
        table = CandleTable(
            np.asarray(columns["timestamp"], dtype=np.int64),
            *(np.asarray(columns[name], dtype=np.float64) for name in COLUMNS[1:]),
            step_ms=step_ms,
            origin="<rows>",
        )
        return cls(table, 0, table.n)

    @property
    def table(self) -> CandleTable:
        return self._table

    @property
    def bounds(self) -> tuple[int, int]:
        return self._lo, self._hi

    @property
    def timestamp(self) -> IntArray:
        return self._table.timestamp[self._lo : self._hi]

    @property
    def open(self) -> FloatArray:
        return self._table.open[self._lo : self._hi]

    @property
    def high(self) -> FloatArray:
        return self._table.high[self._lo : self._hi]

    @property
    def low(self) -> FloatArray:
        return self._table.low[self._lo : self._hi]

    @property
    def close(self) -> FloatArray:
        return self._table.close[self._lo : self._hi]

    @property
    def volume(self) -> FloatArray:
        return self._table.volume[self._lo : self._hi]

    def __len__(self) -> int:
        return self._hi - self._lo

    @overload
    def __getitem__(self, index: int) -> Candle: ...
    @overload
    def __getitem__(self, index: slice) -> Candles: ...
    def __getitem__(self, index: int | slice) -> Candle | Candles:
        if isinstance(index, slice):
            start, stop, stride = index.indices(self._hi - self._lo)
            if stride != 1:
                raise ValueError("Candles slices must be contiguous (step 1)")
            return Candles(self._table, self._lo + start, self._lo + max(start, stop))
        size = self._hi - self._lo
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(f"candle index {index} out of range for {size} candles")
        i = self._lo + index
        t = self._table
        return Candle(
            int(t.timestamp[i]),
            float(t.open[i]),
            float(t.high[i]),
            float(t.low[i]),
            float(t.close[i]),
            float(t.volume[i]),
        )

    def __iter__(self) -> Iterator[Candle]:
        t = self._table
        rows = zip(
            t.timestamp[self._lo : self._hi].tolist(),
            t.open[self._lo : self._hi].tolist(),
            t.high[self._lo : self._hi].tolist(),
            t.low[self._lo : self._hi].tolist(),
            t.close[self._lo : self._hi].tolist(),
            t.volume[self._lo : self._hi].tolist(),
            strict=True,
        )
        return (Candle(*row) for row in rows)

    def __await__(self) -> Generator[Any, None, Candles]:
        """`await get_candles(...)` works as in the reference API."""
        return self
        yield  # pragma: no cover - makes this a generator

    def __repr__(self) -> str:
        return f"Candles({len(self)} rows from {self._table.origin})"


def _row_values(row: Any) -> tuple[Any, ...]:
    if isinstance(row, Candle):
        return (row.timestamp, row.open, row.high, row.low, row.close, row.volume)
    if isinstance(row, Mapping):
        return tuple(row[name] for name in COLUMNS)
    return tuple(row)
