"""A table source backed by one file per symbol: `{symbol: path}`, or one file declared for
its symbol (`symbol=`); a single file without a declared symbol serves any symbol."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backtestkit.actors.market.candles import CandleTable

from .declared import DeclaredSource

__all__ = ["FileCandles"]


class FileCandles(DeclaredSource):
    """Loads lazily with `reader(path, step_ms=..., columns=..., ignore=..., time_unit=...)`."""

    reader: Any  # a staticmethod: (path, *, step_ms, columns, ignore, time_unit) -> CandleTable
    _shared: CandleTable | None = None  # an undeclared file, loaded once for every symbol

    def _item(self, item: Any) -> Path:
        return Path(item)

    label = staticmethod(str)

    def _load(self, symbol: str) -> CandleTable:
        file = self._sources.get(symbol)
        undeclared = self._sources.undeclared is not None
        if undeclared and self._shared is not None:
            return self._shared
        table: CandleTable = type(self).reader(file, **self._read_options())
        if undeclared:
            self._shared = table
        return table

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._sources!r})"
