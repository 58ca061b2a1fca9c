"""ParquetCandles: the CSV columns in a Parquet file (needs the `parquet` extra: pyarrow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backtestkit.actors.market.candles import COLUMNS, CandleDataError, CandleTable

from .files import FileCandles

__all__ = ["ParquetCandles", "read_parquet_table"]


def read_parquet_table(path: str | Path, *, step_ms: int = 60_000) -> CandleTable:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "ParquetCandles needs pyarrow: pip install 'backtestkit[parquet]'"
        ) from exc
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"candle file not found: {path}")
    table = pq.read_table(path)
    missing = [name for name in COLUMNS if name not in table.column_names]
    if missing:
        raise CandleDataError(f"{path}: missing column(s) {', '.join(missing)}")
    columns = {}
    for name in COLUMNS:
        column = table.column(name)
        if column.null_count:
            row = int(np.flatnonzero(np.asarray(column.is_null()))[0])
            raise CandleDataError(f"{path}: row {row}: field {name}: missing value")
        columns[name] = column.to_numpy()
    return CandleTable.from_columns(columns, step_ms=step_ms, origin=str(path), first_row=0)


class ParquetCandles(FileCandles):
    """One Parquet file for any symbol, or `{symbol: path}`."""

    reader = staticmethod(read_parquet_table)
