"""ReplayCandles: serve a table-backed candle source as if live, cut off at `clock.now()`."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from backtestkit.actors.market.candles import Candles, CandleTable

__all__ = ["NowClock", "ReplayCandles", "TableProvider"]


@runtime_checkable
class NowClock(Protocol):
    """The part of the live `Clock` Protocol a candle source needs: `now()` in ms UTC."""

    def now(self) -> int: ...


@runtime_checkable
class TableProvider(Protocol):
    """A table-backed source (CsvCandles, ParquetCandles, MemoryCandles, any TableSource)."""

    def table(self, symbol: str, interval: str) -> CandleTable: ...


class ReplayCandles:
    """Serve `source` as a live exchange would at `clock.now()`.

    `fetch` returns the first `limit` candles stamped >= `since_ms` among those that have
    opened by now (timestamp <= now: the candle of the current, still-forming minute is
    included, as the engine's look-back window includes the candle stamped at `when`). For a
    higher interval the cut applies to the aggregated candles: a 5m candle stamped 10:00 is
    served whole from 10:00 on, exactly as a backtest over the same table would see it.

    Deliberately no `table()` method: the engine must go through `fetch`, so it cannot index
    the whole table (and see the future) on its table-backed fast path.
    """

    __slots__ = ("_clock", "_source")

    def __init__(self, source: TableProvider, clock: NowClock) -> None:
        if not callable(getattr(source, "table", None)):
            raise TypeError(
                "ReplayCandles needs a table-backed source with table(symbol, interval) "
                f"(CsvCandles, ParquetCandles, MemoryCandles); got {type(source).__name__}"
            )
        if not callable(getattr(clock, "now", None)):
            raise TypeError(f"ReplayCandles needs a clock with now() -> int ms; got {clock!r}")
        self._source = source
        self._clock = clock

    @property
    def source(self) -> TableProvider:
        return self._source

    @property
    def clock(self) -> NowClock:
        return self._clock

    def data_end(self, symbol: str) -> int | None:
        """The timestamp of the source's last one-minute candle (None: it has none): a live
        run over this replay ends by itself before its first tick past it."""
        table = self._source.table(symbol, "1m")
        return int(table.timestamp[-1]) if table.n else None

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:
        """Zero-copy view: first `limit` candles with since_ms <= timestamp <= clock.now()."""
        table = self._source.table(symbol, interval)
        now = int(self._clock.now())
        lo = table.first_at_or_after(since_ms)
        hi = min(lo + max(limit, 0), table.first_after(now))
        return table.view(lo, hi if hi > lo else lo)

    def __repr__(self) -> str:
        return f"ReplayCandles({self._source!r}, clock={self._clock!r})"
