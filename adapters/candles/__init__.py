"""Candle sources: CSV, Parquet, pandas DataFrames, in-memory numpy columns, replay-as-live and
ccxt (live): TableSources (actors/market) built from a reader; the readers
are plain functions returning validated tables."""

from .ccxt import CcxtCandles  # imports ccxt only when used
from .csv import CsvCandles, read_csv_table
from .frame import DataFrameCandles, read_frame_table
from .memory import MemoryCandles, read_columns_table
from .parquet import ParquetCandles, read_parquet_table
from .replay import ReplayCandles
from .time_units import TIME_UNITS

__all__ = [
    "TIME_UNITS",
    "CcxtCandles",
    "CsvCandles",
    "DataFrameCandles",
    "MemoryCandles",
    "ParquetCandles",
    "ReplayCandles",
    "read_columns_table",
    "read_csv_table",
    "read_frame_table",
    "read_parquet_table",
]
