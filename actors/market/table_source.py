"""Table-backed candle sources: a loader function builds each symbol's validated 1-minute
table once; higher intervals are aggregated from it on demand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .candles import Candles, CandleTable
from .intervals import CANDLE_INTERVALS, interval_ms

__all__ = ["TableLoader", "TableSource"]

TableLoader = Callable[[str], CandleTable]  # symbol -> its validated 1-minute table


class TableSource:
    """`TableSource(load, symbols=...)`: the `CandleStore` the engine indexes directly.

    `load(symbol)` returns the symbol's 1-minute table (or raises UnservedSymbolError, a
    KeyError); it is called once per symbol. CsvCandles, ParquetCandles, DataFrameCandles and
    MemoryCandles (adapters) are TableSources built from a reader of theirs; a loader must
    pickle (walker workers get the source) to let a walker run the source out of process.
    """

    base_step_ms = 60_000

    def __init__(self, load: TableLoader, *, symbols: Sequence[str] = ()) -> None:
        self._load = load
        self._symbols = list(symbols)
        self._tables: dict[tuple[str, str], CandleTable] = {}

    def symbols(self) -> list[str]:
        """The symbols it names (empty: one table that serves any symbol)."""
        return list(self._symbols)

    @property
    def declared_symbol(self) -> str | None:
        """The one symbol it serves (None: several, or any)."""
        return self._symbols[0] if len(self._symbols) == 1 else None

    def table(self, symbol: str, interval: str) -> CandleTable:
        key = (symbol, interval)
        table = self._tables.get(key)
        if table is None:
            step = interval_ms(interval, CANDLE_INTERVALS, "candle")
            base_key = (symbol, "1m")
            base = self._tables.get(base_key)
            if base is None:
                base = self._tables[base_key] = self._load(symbol)
            table = self._tables[key] = base.aggregate(step)
        return table

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with the base tables only, in symbol order: aggregated tables are rebuilt on
        demand, and the same loaded data pickles to the same bytes (walker payload tokens)."""
        state = dict(self.__dict__)
        state["_tables"] = {
            key: self._tables[key] for key in sorted(self._tables) if key[1] == "1m"
        }
        return state

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:
        """The first `limit` candles stamped at or after `since_ms`."""
        table = self.table(symbol, interval)
        lo = table.first_at_or_after(since_ms)
        return table.view(lo, min(lo + max(limit, 0), table.n))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._load!r})"
