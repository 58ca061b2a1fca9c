"""A table source backed by one file per symbol: `{symbol: path}`, or one file declared for
its symbol (`symbol=`); a single file without a declared symbol serves any symbol."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from backtestkit.actors.market.candles import CandleTable
from backtestkit.actors.market.table_source import TableSource

from .column_map import ColumnMap
from .symbols import SymbolSources
from .time_units import check_time_unit

__all__ = ["FileCandles"]


class FileCandles(TableSource):
    """Loads lazily with `reader(path, step_ms=..., columns=..., ignore=..., time_unit=...)`."""

    reader: Any  # a staticmethod: (path, *, step_ms, columns, ignore, time_unit) -> CandleTable

    def __init__(
        self,
        path: str | Path | Mapping[str, str | Path],
        *,
        symbol: str | None = None,
        columns: Mapping[str, str] | None = None,
        ignore: Collection[str] | str = (),
        time_unit: str | None = None,
    ) -> None:
        super().__init__()
        check_time_unit(time_unit)
        self._layout = ColumnMap(dict(columns or {}), ignore)
        self._time_unit = time_unit
        name = type(self).__name__
        files = path if isinstance(path, Mapping) else Path(path)
        self._files: SymbolSources[Path] = SymbolSources.of(
            files, symbol=symbol, owner=name, convert=Path, describe=str
        )
        self._shared: CandleTable | None = None  # an undeclared file, loaded once for all

    @property
    def declared_symbol(self) -> str | None:
        """The one symbol a single file serves (None: undeclared, it serves any)."""
        return self._files.declared_symbol

    def symbols(self) -> list[str]:
        return self._files.symbols()

    def _load(self, symbol: str) -> CandleTable:
        file = self._files.get(symbol)
        if self._files.undeclared is not None and self._shared is not None:
            return self._shared
        table: CandleTable = type(self).reader(
            file,
            step_ms=self.base_step_ms,
            columns=self._layout.columns,
            ignore=self._layout.ignore,
            time_unit=self._time_unit,
        )
        if self._files.undeclared is not None:
            self._shared = table
        return table

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._files!r})"
