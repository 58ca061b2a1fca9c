"""CsvCandles: `timestamp,open,high,low,close,volume` files (timestamp = open time, ms UTC)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from backtestkit.actors.market.candles import COLUMNS, CandleDataError, CandleTable

from .files import FileCandles

__all__ = ["CsvCandles", "read_csv_table"]

HEADER = ",".join(COLUMNS)


def read_csv_table(path: str | Path, *, step_ms: int = 60_000) -> CandleTable:
    """Load and validate one CSV; errors name the file, the row (file line) and the field."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"candle file not found: {path}")
    with path.open("r", encoding="utf-8") as handle:
        header = handle.readline().strip()
        if header != HEADER:
            raise CandleDataError(f"{path}: row 1: header must be {HEADER!r}, got {header!r}")
        try:
            data = np.loadtxt(handle, delimiter=",", dtype=np.float64, ndmin=2, comments=None)
        except ValueError:
            _locate_bad_row(path)
            raise
    # loadtxt skips blank lines, which would shift the row number of any later error
    if path.read_bytes().rstrip().count(b"\n") != data.shape[0]:
        _locate_bad_row(path)
    if data.shape[0] and data.shape[1] != len(COLUMNS):
        raise CandleDataError(f"{path}: row 2: expected {len(COLUMNS)} fields, got {data.shape[1]}")
    if data.shape[0] == 0:
        data = np.zeros((0, len(COLUMNS)))
    columns = {name: np.ascontiguousarray(data[:, i]) for i, name in enumerate(COLUMNS)}
    return CandleTable.from_columns(columns, step_ms=step_ms, origin=str(path), first_row=2)


def _locate_bad_row(path: Path) -> None:
    """Slow path after a parse failure: find the first malformed line and say what is wrong."""
    with path.open("r", encoding="utf-8") as handle:
        next(handle)
        for line_no, line in enumerate(handle, start=2):
            text = line.strip()
            if not text:
                raise CandleDataError(f"{path}: row {line_no}: empty line")
            fields = text.split(",")
            if len(fields) != len(COLUMNS):
                raise CandleDataError(
                    f"{path}: row {line_no}: expected {len(COLUMNS)} fields, got {len(fields)}"
                )
            for name, field in zip(COLUMNS, fields, strict=True):
                try:
                    value = float(field)
                except ValueError:
                    raise CandleDataError(
                        f"{path}: row {line_no}: field {name}: not a number ({field!r})"
                    ) from None
                if name == "timestamp" and not (math.isfinite(value) and value.is_integer()):
                    raise CandleDataError(
                        f"{path}: row {line_no}: field timestamp: not an integer ({field!r})"
                    )


class CsvCandles(FileCandles):
    """One file for any symbol, or `{symbol: path}`; higher intervals aggregated from 1m."""

    reader = staticmethod(read_csv_table)
