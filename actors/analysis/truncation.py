"""A candle source cut at a decision time: nothing the strategy could not have seen exists.

The 1m rows kept are those the profile shows at `when` (safe: closed by `when`; reference: up
to the candle opening at `when`, SPEC Q8), optionally from a later start (a shorter warm-up).
Higher intervals are aggregated from the kept rows, so a bucket still open at `when` holds only
its minutes so far, as an exchange would show it then. The kept rows are views of the loaded
table, and a higher interval reuses the loaded aggregation's complete buckets, rebuilding only
the first and last (possibly partial) ones: a cut costs the size of a bucket, not of the history.
"""

from __future__ import annotations

import functools

import numpy as np

from ..market.candles import CandleTable
from ..market.intervals import CANDLE_INTERVALS, MINUTE_MS, interval_ms
from ..market.table_source import TableSource
from ..market.windows import lookback_window

__all__ = ["TruncatedCandles", "visible_until"]


def visible_until(when: int, safe: bool) -> int:
    """The newest 1m stamp the profile shows at `when`."""
    return lookback_window(when, MINUTE_MS, 1, safe)[1]


def _joined(parts: list[CandleTable], step_ms: int, origin: str) -> CandleTable:
    def column(name: str) -> np.ndarray:
        return np.concatenate([getattr(part, name) for part in parts])

    return CandleTable(
        column("timestamp"),
        column("open"),
        column("high"),
        column("low"),
        column("close"),
        column("volume"),
        step_ms=step_ms,
        origin=origin,
    )


def _cut(source: TableSource, until: int, start: int | None, symbol: str) -> CandleTable:
    """The loader of a TruncatedCandles: `source`'s 1m rows stamped in [start, until]."""
    base = source.table(symbol, "1m")
    lo = 0 if start is None else base.first_at_or_after(start)
    hi = max(lo, base.first_after(until))
    return base.rows(lo, hi, f"{base.origin} cut at {until}")


class TruncatedCandles(TableSource):
    """`source`'s 1m rows stamped in [start, until], higher intervals rebuilt from them."""

    def __init__(self, source: TableSource, until: int, start: int | None = None) -> None:
        super().__init__(functools.partial(_cut, source, until, start))
        self._source = source
        self._until = until

    def table(self, symbol: str, interval: str) -> CandleTable:
        key = (symbol, interval)
        table = self._tables.get(key)
        if table is None:
            step = interval_ms(interval, CANDLE_INTERVALS, "candle")
            if step == self.base_step_ms:
                return super().table(symbol, interval)
            table = self._tables[key] = self._aggregated(symbol, interval, step)
        return table

    def _aggregated(self, symbol: str, interval: str, step: int) -> CandleTable:
        cut = self.table(symbol, "1m")
        if cut.n == 0:
            return cut.aggregate(step)
        first, last = int(cut.timestamp[0]), int(cut.timestamp[-1])
        head_bucket, tail_bucket = first - first % step, last - last % step
        if head_bucket == tail_bucket:
            return cut.aggregate(step)
        full = self._source.table(symbol, interval)  # the whole history's aggregation
        origin = cut.origin
        head = cut.rows(0, cut.first_at_or_after(head_bucket + step), origin).aggregate(step)
        middle = full.rows(
            full.first_after(head_bucket), full.first_at_or_after(tail_bucket), origin
        )
        tail = cut.rows(cut.first_at_or_after(tail_bucket), cut.n, origin).aggregate(step)
        return _joined([head, middle, tail], step, origin)
