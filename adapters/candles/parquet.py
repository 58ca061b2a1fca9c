"""ParquetCandles: the candle columns in a Parquet file (needs the `parquet` extra: pyarrow).
Open times may be integers (`time_unit=`) or a timestamp column, whose type says its unit."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Unpack

import numpy as np

from backtestkit.actors.market.candles import COLUMNS, CandleDataError, CandleTable
from backtestkit.actors.market.table_source import TableSource

from .declared import ReadOptions, TableOptions
from .fields import table_from_fields
from .files import CandleFile, FileTables, PathOrFiles

__all__ = ["ParquetCandles", "read_parquet_table"]


def read_parquet_table(path: str | Path, **options: Unpack[TableOptions]) -> CandleTable:
    """Load and validate one Parquet file (options as for ParquetCandles, and `step_ms=`);
    errors name the file, the row (from 0), the field."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "ParquetCandles needs pyarrow: pip install 'backtestkit[parquet]'"
        ) from exc
    file = CandleFile.of(path, options, "read_parquet_table")
    path = file.path
    try:
        table = pq.read_table(path)
    except pa.ArrowException as exc:
        raise CandleDataError(f"{path}: not a readable Parquet file ({exc})") from None
    fields = file.fields(table.column_names, str(path))
    raw: dict[str, Any] = {}
    for name in COLUMNS:
        column = table.column(fields[name])
        if column.null_count:
            row = int(np.flatnonzero(np.asarray(column.is_null()))[0])
            raise CandleDataError(f"{path}: row {row}: field {name}: missing value")
        values = column.to_numpy()
        # a string column arrives as Python objects; as text it is refused as a column
        text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        raw[name] = values.astype(str) if text else values
    return table_from_fields(
        raw, step_ms=file.step_ms, origin=str(path), first_row=0, time_unit=file.time_unit
    )


class ParquetCandles(TableSource):
    """One Parquet file per symbol (`{symbol: path}`), or one declared with `symbol=`.
    A TableSource built from `FileTables(read_parquet_table, ...)`."""

    def __init__(
        self, source: PathOrFiles, *, symbol: str | None = None, **options: Unpack[ReadOptions]
    ) -> None:
        owner = type(self).__name__
        files = FileTables(read_parquet_table, source, symbol=symbol, owner=owner, **options)
        super().__init__(files, symbols=files.symbols())
