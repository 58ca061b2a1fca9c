"""Candle sources: CSV, Parquet, in-memory numpy columns."""

from backtestkit.actors.candles import Candle, CandleDataError, Candles, CandleSource, CandleTable
from backtestkit.actors.table_source import MemoryCandles, TableSource
from backtestkit.adapters.candles.csv import CsvCandles, read_csv_table
from backtestkit.adapters.candles.parquet import ParquetCandles, read_parquet_table

__all__ = [
    "Candle",
    "CandleDataError",
    "CandleSource",
    "CandleTable",
    "Candles",
    "CsvCandles",
    "MemoryCandles",
    "ParquetCandles",
    "TableSource",
    "read_csv_table",
    "read_parquet_table",
]
