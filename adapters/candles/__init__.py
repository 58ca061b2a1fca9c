"""Candle sources: CSV, Parquet, pandas DataFrames, in-memory numpy columns, replay-as-live and
ccxt (live)."""

from backtestkit.actors.market import (
    Candle,
    CandleDataError,
    Candles,
    CandleSource,
    CandleTable,
    UnservedSymbolError,
)
from backtestkit.actors.market.table_source import MemoryCandles, TableSource

from .ccxt import CcxtCandles  # imports ccxt only when used
from .csv import CsvCandles, read_csv_table
from .frame import DataFrameCandles, read_frame_table
from .parquet import ParquetCandles, read_parquet_table
from .replay import ReplayCandles
from .time_units import TIME_UNITS

__all__ = [
    "TIME_UNITS",
    "Candle",
    "CandleDataError",
    "CandleSource",
    "CandleTable",
    "Candles",
    "CcxtCandles",
    "CsvCandles",
    "DataFrameCandles",
    "MemoryCandles",
    "ParquetCandles",
    "ReplayCandles",
    "TableSource",
    "UnservedSymbolError",
    "read_csv_table",
    "read_frame_table",
    "read_parquet_table",
]
