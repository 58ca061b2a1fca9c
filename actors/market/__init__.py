"""Market data: candle tables and zero-copy views, candle sources, intervals, VWAP."""

from .awaitables import AveragePrice, PendingCandles, PendingPrice
from .candle_checks import UnservedSymbolError
from .candle_sources import CandleSource, CandleStore
from .candles import Candle, CandleDataError, Candles, CandleTable
from .table_source import TableLoader, TableSource
from .vwap import vwap

__all__ = [
    "AveragePrice",
    "Candle",
    "CandleDataError",
    "CandleSource",
    "CandleStore",
    "CandleTable",
    "Candles",
    "PendingCandles",
    "PendingPrice",
    "TableLoader",
    "TableSource",
    "UnservedSymbolError",
    "vwap",
]
