"""The exchange: candle windows under the temporal guard, VWAP and formatting (SPEC 7), the
anomaly check of fetched candles, and the helpers a strategy calls inside get_signal
(`strategy_api`: their public home is `backtestkit.actors`)."""

from .candle_anomalies import CandleAnomalyError
from .exchange import ExchangeActor

__all__ = ["CandleAnomalyError", "ExchangeActor"]
