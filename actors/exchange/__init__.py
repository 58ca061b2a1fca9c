"""The exchange: candle windows under the temporal guard, VWAP and formatting (SPEC 7), the
anomaly check of fetched candles, and the helpers a strategy calls inside get_signal."""

from .candle_anomalies import CandleAnomalyError
from .exchange import ExchangeActor
from .strategy_api import (
    format_price,
    format_quantity,
    get_average_price,
    get_candles,
    get_date,
    get_mode,
)

__all__ = [
    "CandleAnomalyError",
    "ExchangeActor",
    "format_price",
    "format_quantity",
    "get_average_price",
    "get_candles",
    "get_date",
    "get_mode",
]
