"""What the price chart draws, as plain data: the run's candles (resampled to a readable
count) and one entry and one exit mark per closed signal, with its take-profit and stop-loss."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

import numpy as np
import numpy.typing as npt

from backtestkit.actors import BacktestStatistics
from backtestkit.actors.market import CandleTable
from backtestkit.bus import Closed

__all__ = ["BAR_MINUTES", "PriceBars", "TradeMark", "price_bars", "trade_marks"]

BAR_MINUTES = (1, 5, 15, 30, 60, 240, 1440)  # the bar sizes the chart may resample to
_MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class PriceBars:
    """OHLC bars over the run, `minutes` wide each (the first is the table's own 1m)."""

    minutes: int
    timestamp: npt.NDArray[np.int64]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.timestamp)


@dataclass(frozen=True, slots=True)
class TradeMark:
    """One closed signal as the chart marks it."""

    signal_id: str
    position: str
    entry_ms: int
    entry_price: float
    exit_ms: int
    exit_price: float
    take_profit: float
    stop_loss: float
    close_reason: str
    pnl_pct: float
    entry_text: str
    exit_text: str


def price_bars(
    table: CandleTable, start_ms: int, end_ms: int, *, max_bars: int = 2000
) -> PriceBars:
    """The 1m table's candles in [start_ms, end_ms], resampled to the smallest of BAR_MINUTES
    that keeps at most `max_bars` bars (open first, high max, low min, close last)."""
    lo = int(np.searchsorted(table.timestamp, start_ms, side="left"))
    hi = int(np.searchsorted(table.timestamp, end_ms, side="right"))
    ts = table.timestamp[lo:hi]
    span = int(ts[-1] - ts[0]) // _MINUTE_MS + 1 if len(ts) else 0
    minutes = next((m for m in BAR_MINUTES if span / m <= max_bars), BAR_MINUTES[-1])
    columns = (table.open[lo:hi], table.high[lo:hi], table.low[lo:hi], table.close[lo:hi])
    if minutes == 1 or not len(ts):
        return PriceBars(1, ts.copy(), *(np.array(c, dtype=np.float64) for c in columns))
    width = minutes * _MINUTE_MS
    buckets = ts // width
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    ends = np.r_[starts[1:], len(ts)] - 1
    opens, highs, lows, closes = columns
    return PriceBars(
        minutes,
        buckets[starts] * width,
        opens[starts].astype(np.float64),
        np.maximum.reduceat(highs, starts).astype(np.float64),
        np.minimum.reduceat(lows, starts).astype(np.float64),
        closes[ends].astype(np.float64),
    )


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _mark(result: Closed, price: Callable[[float], str]) -> TradeMark:
    signal = result.signal
    minutes = round((result.close_timestamp - signal.pending_at) / _MINUTE_MS)
    pnl = result.pnl.pnl_percentage
    entry = (
        f"<b>{signal.position.upper()} entry</b> {_when(signal.pending_at)}<br>"
        f"at {price(signal.price_open)}<br>take-profit {price(signal.price_take_profit)}, "
        f"stop-loss {price(signal.price_stop_loss)}<br>signal {escape(signal.id)}"
        + (f"<br>note: {escape(signal.note)}" if signal.note else "")
    )
    exit_ = (
        f"<b>{signal.position.upper()} exit</b> ({result.close_reason}) "
        f"{_when(result.close_timestamp)}<br>at {price(result.current_price)}, "
        f"PnL {pnl:+.2f} % (net)<br>held {minutes} min<br>signal {escape(signal.id)}"
    )
    return TradeMark(
        signal_id=signal.id,
        position=signal.position,
        entry_ms=signal.pending_at,
        entry_price=signal.price_open,
        exit_ms=result.close_timestamp,
        exit_price=result.current_price,
        take_profit=signal.price_take_profit,
        stop_loss=signal.price_stop_loss,
        close_reason=result.close_reason,
        pnl_pct=pnl,
        entry_text=entry,
        exit_text=exit_,
    )


def trade_marks(stats: BacktestStatistics, price: Callable[[float], str]) -> list[TradeMark]:
    """One mark per closed signal of `stats`, oldest first; `price` formats a price."""
    return [_mark(result, price) for result in reversed(stats.signal_list)]
