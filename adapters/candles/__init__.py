"""Candle sources: CSV, Parquet, in-memory numpy columns, replay-as-live and ccxt (live)."""

from backtestkit.actors.market import Candle, CandleDataError, Candles, CandleSource, CandleTable
from backtestkit.actors.market.table_source import MemoryCandles, TableSource

from .ccxt import CcxtCandles  # imports ccxt only when used
from .csv import CsvCandles, read_csv_table
from .parquet import ParquetCandles, read_parquet_table
from .replay import ReplayCandles

__all__ = [
    "Candle",
    "CandleDataError",
    "CandleSource",
    "CandleTable",
    "Candles",
    "CcxtCandles",
    "CsvCandles",
    "MemoryCandles",
    "ParquetCandles",
    "ReplayCandles",
    "TableSource",
    "read_csv_table",
    "read_parquet_table",
]
