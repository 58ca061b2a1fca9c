"""SPEC 7.5: the sanity check of a fetched candle window, before the look-back filter."""

from __future__ import annotations

import numpy as np

from ..core.config import get_config
from ..market.candles import Candles, CandleTable

__all__ = ["CandleAnomalyError", "check_anomalies", "table_is_sane"]


class CandleAnomalyError(ValueError):
    """A fetched candle window failed SPEC 7.5's sanity check."""


def check_anomalies(candles: Candles, symbol: str) -> None:
    """SPEC 7.5 on the raw fetched window: non-finite, non-positive or anomalously low prices."""
    if len(candles) == 0:
        return
    config = get_config()
    prices = np.concatenate([candles.open, candles.high, candles.low, candles.close])
    positive = prices[prices > 0]
    if positive.size == 0:
        raise CandleAnomalyError(f"candles for {symbol}: cannot calculate reference price")
    if len(candles) >= config.CC_GET_CANDLES_MIN_CANDLES_FOR_MEDIAN:
        reference = float(np.sort(positive)[positive.size // 2])
    else:
        reference = float(positive.sum()) / positive.size
    columns = (candles.timestamp, candles.open, candles.high, candles.low, candles.close)
    if not all(np.isfinite(c).all() for c in (*columns, candles.volume)):
        raise CandleAnomalyError(f"candles for {symbol}: non-finite value in OHLCV or timestamp")
    if (prices <= 0).any() or (candles.volume < 0).any():
        raise CandleAnomalyError(f"candles for {symbol}: non-positive price or negative volume")
    threshold = reference / config.CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR
    if (prices < threshold).any():
        raise CandleAnomalyError(
            f"candles for {symbol}: anomalously low price {float(prices.min())} "
            f"(reference {reference}, threshold {threshold})"
        )


def table_is_sane(table: CandleTable) -> bool:
    """No window of a validated table can hold an anomalously low price."""
    factor = get_config().CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR
    return table.min_low >= table.max_high / factor
