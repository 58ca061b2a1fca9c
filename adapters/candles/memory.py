"""MemoryCandles: candle columns already in memory (numpy arrays or lists) per symbol."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backtestkit.actors.market.candle_checks import UnservedSymbolError
from backtestkit.actors.market.candles import CandleTable
from backtestkit.actors.market.table_source import TableSource

__all__ = ["MemoryCandles", "read_columns_table"]


class ColumnTables:
    """The loader of a MemoryCandles: one symbol's columns as a validated table."""

    def __init__(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        self._data = dict(data)

    def __call__(self, symbol: str) -> CandleTable:
        columns = self._data.get(symbol)
        if columns is None:
            raise UnservedSymbolError(
                f"MemoryCandles: no candles for symbol {symbol!r}; have {', '.join(self._data)}"
            )
        return read_columns_table(columns, origin=f"MemoryCandles[{symbol}]")

    def __repr__(self) -> str:
        return f"symbols={list(self._data)!r}"


def read_columns_table(
    columns: Mapping[str, Any], *, step_ms: int = TableSource.base_step_ms, origin: str = "columns"
) -> CandleTable:
    """Validate one symbol's `{"timestamp": ..., "open": ..., ...}` columns as a table."""
    return CandleTable.from_columns(columns, step_ms=step_ms, origin=origin)


class MemoryCandles(TableSource):
    """`MemoryCandles({"BTCUSDT": {"timestamp": [...], "open": [...], ...}})` (numpy or lists):
    a TableSource built from `ColumnTables`."""

    def __init__(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(ColumnTables(data), symbols=list(data))
