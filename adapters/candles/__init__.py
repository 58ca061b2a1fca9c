"""Candle sources: CSV, Parquet, in-memory numpy columns, replay-as-live and ccxt (live)."""

from backtestkit.actors.candles import Candle, CandleDataError, Candles, CandleSource, CandleTable
from backtestkit.actors.table_source import MemoryCandles, TableSource
from backtestkit.adapters.candles.ccxt import CcxtCandles  # imports ccxt only when used
from backtestkit.adapters.candles.csv import CsvCandles, read_csv_table
from backtestkit.adapters.candles.parquet import ParquetCandles, read_parquet_table
from backtestkit.adapters.candles.replay import ReplayCandles

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
