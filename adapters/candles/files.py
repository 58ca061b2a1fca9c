"""The loader of the file sources: `{symbol: path}`, or one file declared for its symbol
(`symbol=`); a single file without a declared symbol serves any symbol (read once)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Unpack

from backtestkit.actors.market.candles import CandleTable
from backtestkit.actors.market.table_source import TableSource

from .column_map import ColumnMap
from .declared import ReadOptions, TableOptions, check_keywords, read_options
from .symbols import SymbolSources
from .time_units import TimeUnit, check_time_unit

__all__ = ["CandleFile", "FileReader", "FileTables", "PathOrFiles"]

PathOrFiles = str | Path | Mapping[str, str | Path]


class FileReader(Protocol):
    """`read_csv_table`, `read_parquet_table`: one file to a validated table."""

    def __call__(self, path: str | Path, **options: Unpack[TableOptions]) -> CandleTable: ...


@dataclass(frozen=True, slots=True)
class CandleFile:
    """A file a reader was asked for: there, with checked options; `fields` resolves its
    column names (errors say `where`)."""

    path: Path
    options: TableOptions

    @classmethod
    def of(cls, path: str | Path, options: TableOptions, reader: str) -> CandleFile:
        check_keywords(options, TableOptions.__optional_keys__, reader)
        check_time_unit(options.get("time_unit"))
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"candle file not found: {file}")
        return cls(file, options)

    @property
    def time_unit(self) -> TimeUnit | None:
        return self.options.get("time_unit")

    @property
    def step_ms(self) -> int:
        return self.options.get("step_ms", TableSource.base_step_ms)

    def fields(self, names: list[str], where: str) -> dict[str, int]:
        layout = ColumnMap(dict(self.options.get("columns") or {}), self.options.get("ignore", ()))
        return layout.resolve(names, where)


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
        self._options = read_options(owner, options)
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
