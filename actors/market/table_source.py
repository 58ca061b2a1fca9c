"""In-memory candle sources: validated 1-minute tables, higher intervals aggregated on demand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .candle_checks import UnservedSymbolError
from .candles import Candles, CandleTable
from .intervals import CANDLE_INTERVALS, interval_ms

__all__ = ["MemoryCandles", "TableSource"]


class TableSource:
    """Base of the table-backed sources; subclasses provide `_load(symbol)` (base interval)."""

    base_step_ms = 60_000

    def __init__(self) -> None:
        self._tables: dict[tuple[str, str], CandleTable] = {}

    def _load(self, symbol: str) -> CandleTable:
        raise NotImplementedError

    def symbols(self) -> list[str]:
        return []

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


class MemoryCandles(TableSource):
    """`MemoryCandles({"BTCUSDT": {"timestamp": [...], "open": [...], ...}})` (numpy or lists)."""

    def __init__(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__()
        self._data = dict(data)

    def symbols(self) -> list[str]:
        return list(self._data)

    def _load(self, symbol: str) -> CandleTable:
        columns = self._data.get(symbol)
        if columns is None:
            raise UnservedSymbolError(
                f"MemoryCandles: no candles for symbol {symbol!r}; have {', '.join(self._data)}"
            )
        return CandleTable.from_columns(
            columns, step_ms=self.base_step_ms, origin=f"MemoryCandles[{symbol}]"
        )
