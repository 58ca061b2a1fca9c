"""The loader of the file sources: `{symbol: path}`, or one file declared for its symbol
(`symbol=`); a single file without a declared symbol serves any symbol (read once)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Protocol, Unpack

from backtestkit.actors.market.candles import CandleTable

from .declared import ReadOptions, read_options
from .symbols import SymbolSources
from .time_units import TimeUnit

__all__ = ["FileReader", "FileTables", "PathOrFiles"]

PathOrFiles = str | Path | Mapping[str, str | Path]


class FileReader(Protocol):
    """`read_csv_table`, `read_parquet_table`: one file to a validated table."""

    def __call__(
        self,
        path: str | Path,
        *,
        step_ms: int = ...,
        columns: Mapping[str, str] | None = ...,
        ignore: Collection[str] | str = ...,
        time_unit: TimeUnit | None = ...,
    ) -> CandleTable: ...


class FileTables:
    """`FileTables(read_csv_table, "btc.csv", symbol=..., owner="CsvCandles", columns=...)`:
    called with a symbol, reads the file serving it."""

    def __init__(
        self,
        reader: FileReader,
        source: PathOrFiles,
        *,
        symbol: str | None,
        owner: str,
        **options: Unpack[ReadOptions],
    ) -> None:
        self._options = read_options(**options)
        self._read = reader
        self._files: SymbolSources[Any] = SymbolSources.of(
            source, symbol=symbol, owner=owner, convert=Path, describe=str
        )
        self._shared: CandleTable | None = None  # an undeclared file, loaded once

    def symbols(self) -> list[str]:
        return self._files.symbols()

    def __call__(self, symbol: str) -> CandleTable:
        file = self._files.get(symbol)
        undeclared = self._files.undeclared is not None
        if undeclared and self._shared is not None:
            return self._shared
        table = self._read(file, **self._options)
        if undeclared:
            self._shared = table
        return table

    def __repr__(self) -> str:
        return repr(self._files)
