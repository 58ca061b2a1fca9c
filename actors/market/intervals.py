"""Interval tables (SPEC 7.6): candle fetches, the getSignal throttle and frame timelines."""

from __future__ import annotations

from typing import Final

__all__ = [
    "CANDLE_INTERVALS",
    "FRAME_INTERVALS",
    "MINUTE_MS",
    "STRATEGY_INTERVALS",
    "interval_ms",
]

MINUTE_MS: Final = 60_000

CANDLE_INTERVALS: Final[dict[str, int]] = {
    "1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30,
    "1h": 60, "2h": 120, "4h": 240, "6h": 360, "8h": 480, "1d": 1440,
}  # fmt: skip
STRATEGY_INTERVALS: Final[dict[str, int]] = {
    "1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60,
}  # fmt: skip
FRAME_INTERVALS: Final[dict[str, int]] = {
    **CANDLE_INTERVALS, "12h": 720, "3d": 4320,
}  # fmt: skip


def interval_ms(interval: str, table: dict[str, int], what: str) -> int:
    """Milliseconds of one `interval` step, or a ValueError listing the allowed values."""
    minutes = table.get(interval)
    if minutes is None:
        raise ValueError(f"unknown {what} interval {interval!r}; allowed: {', '.join(table)}")
    return minutes * MINUTE_MS
