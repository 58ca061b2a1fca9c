"""Market data: candle tables and zero-copy views, candle sources, intervals, VWAP."""

from .candle_checks import UnservedSymbolError
from .candle_sources import CandleSource, CandleStore
from .candles import Candle, CandleDataError, Candles, CandleTable
from .table_source import TableLoader, TableSource
from .vwap import vwap

__all__ = [
    "Candle",
    "CandleDataError",
    "CandleSource",
    "CandleStore",
    "CandleTable",
    "Candles",
    "TableLoader",
    "TableSource",
    "UnservedSymbolError",
    "vwap",
]
