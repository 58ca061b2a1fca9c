"""VWAP with SPEC's exact evaluation order (typical = ((h + l) + c) / 3, oldest-to-newest sums)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .candles import Candles, CandleTable

__all__ = ["rolling_vwap", "table_vwap", "vwap"]


def table_vwap(table: CandleTable, lo: int, hi: int) -> float:
    """VWAP of rows [lo, hi); the mean close when the volume sums to zero."""
    typical_volume, volume, close = table.vwap_columns()
    numerator = 0.0
    total_volume = 0.0
    for i in range(lo, hi):
        numerator += typical_volume[i]
        total_volume += volume[i]
    if total_volume == 0:
        closes = 0.0
        for i in range(lo, hi):
            closes += close[i]
        return closes / (hi - lo)
    return numerator / total_volume


def vwap(candles: Candles) -> float:
    lo, hi = candles.bounds
    return table_vwap(candles.table, lo, hi)


def rolling_vwap(table: CandleTable, lo: int, hi: int, width: int) -> npt.NDArray[np.float64]:
    """VWAP of the windows [max(lo, i - width + 1), i] for every i in [lo, hi), vectorised.

    Summing shifted columns in oldest-to-newest order gives the same bits as the scalar loop.
    """
    count = hi - lo
    out = np.empty(count, dtype=np.float64)
    if count <= 0:
        return out
    tv = ((table.high[lo:hi] + table.low[lo:hi]) + table.close[lo:hi]) / 3 * table.volume[lo:hi]
    vol = table.volume[lo:hi]
    close = table.close[lo:hi]
    for i in range(min(width - 1, count)):  # short windows at the start
        out[i] = table_vwap(table, lo, lo + i + 1)
    if count >= width:
        numerator = tv[: count - width + 1].copy()
        volumes = vol[: count - width + 1].copy()
        for k in range(1, width):
            numerator += tv[k : count - width + 1 + k]
            volumes += vol[k : count - width + 1 + k]
        with np.errstate(divide="ignore", invalid="ignore"):
            full = numerator / volumes
        zero = volumes == 0
        if zero.any():
            closes = close[: count - width + 1].copy()
            for k in range(1, width):
                closes += close[k : count - width + 1 + k]
            full[zero] = closes[zero] / width
        out[width - 1 :] = full
    return out
