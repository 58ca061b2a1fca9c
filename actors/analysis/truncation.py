"""A candle source cut at a decision time: nothing the strategy could not have seen exists.

The 1m rows kept are those the profile shows at `when` (safe: closed by `when`; reference: up
to the candle opening at `when`, SPEC Q8), optionally from a later start (a shorter warm-up).
Higher intervals are aggregated from the kept rows, so a bucket still open at `when` holds only
its minutes so far, as an exchange would show it then.
"""

from __future__ import annotations

from ..market.candle_sources import CandleStore
from ..market.candles import CandleTable
from ..market.intervals import MINUTE_MS
from ..market.table_source import TableSource
from ..market.windows import lookback_window

__all__ = ["TruncatedCandles", "visible_until"]


def visible_until(when: int, safe: bool) -> int:
    """The newest 1m stamp the profile shows at `when`."""
    return lookback_window(when, MINUTE_MS, 1, safe)[1]


class TruncatedCandles(TableSource):
    """`source`'s 1m rows stamped in [start, until] (zero-copy views), higher intervals rebuilt."""

    def __init__(self, source: CandleStore, until: int, start: int | None = None) -> None:
        super().__init__()
        self._source = source
        self._until = until
        self._start = start

    def _load(self, symbol: str) -> CandleTable:
        base = self._source.table(symbol, "1m")
        lo = 0 if self._start is None else base.first_at_or_after(self._start)
        hi = max(lo, base.first_after(self._until))
        return base.rows(lo, hi, f"{base.origin} cut at {self._until}")
