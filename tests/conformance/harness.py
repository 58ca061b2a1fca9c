"""The reference test-suite harness of SCENARIOS.md section 0, for the conformance ports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from backtestkit.actors import Signal, add_exchange, add_frame, get_average_price, set_config
from backtestkit.actors.market import Candle
from backtestkit.actors.market.intervals import CANDLE_INTERVALS, MINUTE_MS

T0 = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000)  # 2024-01-01T00:00Z
DAY_MS = 86_400_000


def _mock_vwap(count: int) -> float:
    """SCENARIOS 0.4 by hand: typical ((h + l) + c) / 3 weighted by volume, k = 0..count-1."""
    numerator = volume = 0.0
    for k in range(count):
        base = 42000 + 100 * k
        typical = ((base + 380.2) + (base + 100) + (base + 250.8)) / 3
        numerator += typical * (100 + 10 * k)
        volume += 100 + 10 * k
    return numerator / volume


P_STAR = _mock_vwap(5)  # 42460.3333...: every MOCK look-back VWAP

HARNESS_CONFIG: dict[str, Any] = {
    "CC_PERCENT_SLIPPAGE": 0.1,
    "CC_PERCENT_FEE": 0.1,
    "CC_MIN_TAKEPROFIT_DISTANCE_PERCENT": 0,
    "CC_MIN_STOPLOSS_DISTANCE_PERCENT": 0,
    "CC_MAX_STOPLOSS_DISTANCE_PERCENT": 100,
    "CC_MAX_SIGNAL_LIFETIME_MINUTES": 999999,
    "CC_GET_CANDLES_RETRY_COUNT": 1,
    "CC_GET_CANDLES_RETRY_DELAY_MS": 100,
}


def apply_harness_config() -> None:
    set_config(unsafe=True, **HARNESS_CONFIG)


def minutes(n: float) -> int:
    return int(n * MINUTE_MS)


class MockCandles:
    """SCENARIOS 0.4 MOCK: `limit` candles from `since`; prices depend on the index k only."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int, int]] = []

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Candle]:
        self.calls.append((symbol, interval, since_ms, limit))
        step = CANDLE_INTERVALS[interval] * MINUTE_MS
        rows = []
        for k in range(limit):
            base = 42000 + 100 * k
            rows.append(
                Candle(
                    since_ms + k * step,
                    base + 150.5,
                    base + 380.2,
                    base + 100,
                    base + 250.8,
                    100 + 10 * k,
                )
            )
        return rows


class PhaseCandles:
    """A PHASE exchange: candle i of each request gets `price_at(i)` = (o, h, l, c, v)."""

    def __init__(self, price_at: Callable[[int], tuple[float, float, float, float, float]]) -> None:
        self.price_at = price_at

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Candle]:
        step = CANDLE_INTERVALS[interval] * MINUTE_MS
        return [Candle(since_ms + i * step, *self.price_at(i)) for i in range(limit)]


class ArrayCandles:
    """A minute-indexed candle array answered by timestamp: the first `limit` rows >= since."""

    def __init__(self, rows: Sequence[Candle]) -> None:
        self.rows = list(rows)

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Candle]:
        kept = [row for row in self.rows if row.timestamp >= since_ms]
        return kept[:limit]


def eight_decimals(_symbol: str, value: float) -> str:
    return f"{value:.8f}"


def add_mock_exchange(name: str = "mock", source: Any = None) -> Any:
    source = source if source is not None else MockCandles()
    add_exchange(name, candles=source, format_price=eight_decimals, format_quantity=eight_decimals)
    return source


def add_day_frame(name: str = "1d", days: int = 1, start: int = T0) -> None:
    """SCENARIOS 0.6 '1d frame': interval 1d from start, `days` + 1 points."""
    add_frame(name, start=start, end=start + days * DAY_MS, interval="1d")


def add_minute_frame(name: str, start: int, end: int) -> None:
    add_frame(name, start=start, end=end, interval="1m")


def std_long(met: int = 60, note: str = "std-long") -> Callable[[str, datetime], Signal]:
    """SCENARIOS 0.5 STD-LONG: long at P*, TP P*+1000, SL P*-1000, every call."""

    def get_signal(symbol: str, when: datetime) -> Signal:
        price: Any = get_average_price(symbol)
        return Signal("long", price + 1000, price - 1000, met, price_open=price, note=note)

    return get_signal
