"""CC_LOOKAHEAD_PROFILE: "reference" serves the forming candle (SPEC Q8); "safe" serves only
candles closed by the frame time, for every interval, in get_candles and get_average_price."""

from __future__ import annotations

import csv
import importlib.util
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtestkit.actors import (
    Backtest,
    Candles,
    Signal,
    add_exchange,
    add_frame,
    add_strategy,
    get_average_price,
    get_candles,
    set_config,
)
from backtestkit.actors.core import ExecutionContext
from backtestkit.actors.core.context import execution_context
from backtestkit.actors.exchange import ExchangeActor
from backtestkit.adapters.candles import CsvCandles, MemoryCandles

SYMBOL = "BTCUSDT"
T0 = 1_704_099_600_000  # 2024-01-01T09:00:00Z
MIN = 60_000
TEN = T0 + 60 * MIN  # 10:00
INTERVALS = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "2h": 120, "4h": 240}
ROOT = Path(__file__).resolve().parents[2]


def linear(minutes: list[int]) -> dict[str, list[float]]:
    """Minute k (09:00 + k): open 100+k, high 101.25+k, low 99.5+k, close 100.5+k, volume 1+k."""
    return {
        "timestamp": [T0 + k * MIN for k in minutes],
        "open": [100.0 + k for k in minutes],
        "high": [101.25 + k for k in minutes],
        "low": [99.5 + k for k in minutes],
        "close": [100.5 + k for k in minutes],
        "volume": [1.0 + k for k in minutes],
    }


_names = itertools.count()


def exchange(columns: dict[str, list[float]]) -> ExchangeActor:
    return ExchangeActor(
        add_exchange(f"ex-{next(_names)}", candles=MemoryCandles({SYMBOL: columns}))
    )


class RowsSource:
    """A generic (not table-backed) source: the first `limit` rows stamped >= since (1m)."""

    def __init__(self, columns: dict[str, list[float]]) -> None:
        self.rows = list(zip(*(columns[k] for k in columns), strict=True))

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Any]:
        return [row for row in self.rows if row[0] >= since_ms][:limit]


@contextmanager
def at(actor: ExchangeActor, when: int) -> Iterator[None]:
    token = execution_context.set(ExecutionContext(SYMBOL, when, True, actor))
    try:
        yield
    finally:
        execution_context.reset(token)


def stamps(candles: Any) -> list[int]:
    assert isinstance(candles, Candles)
    return [(int(t) - T0) // MIN for t in candles.timestamp]  # minutes after 09:00


def typical_vwap(minutes: list[int]) -> float:
    """VWAP of the linear market's minutes, by hand: typical = 100.41666.. + k, volume 1 + k."""
    typical = [(101.25 + k + 99.5 + k + 100.5 + k) / 3 for k in minutes]
    volume = [1.0 + k for k in minutes]
    return sum(t * v for t, v in zip(typical, volume, strict=True)) / sum(volume)


# -- what a strategy sees at 10:00 ---------------------------------------------------------


def test_reference_serves_the_candle_opening_at_ten() -> None:
    actor = exchange(linear(list(range(90))))
    with at(actor, TEN):
        assert stamps(get_candles(SYMBOL, "1m", 3)) == [58, 59, 60]
        assert stamps(get_candles(SYMBOL, "1h", 2)) == [0, 60]  # 10:00 to 10:29 loaded
        assert get_average_price(SYMBOL) == pytest.approx(typical_vwap([56, 57, 58, 59, 60]))
    with at(actor, TEN + 2 * MIN):  # 10:02: the 10:00 5m bucket is served whole (to 10:04)
        five = get_candles(SYMBOL, "5m", 3)  # stamped in [09:52, 10:02]
        assert stamps(five) == [55, 60]
        assert isinstance(five, Candles)
        assert float(five.close[-1]) == 100.5 + 64


def test_safe_serves_only_candles_closed_by_ten() -> None:
    set_config(CC_LOOKAHEAD_PROFILE="safe")
    actor = exchange(linear(list(range(90))))
    with at(actor, TEN):
        assert stamps(get_candles(SYMBOL, "1m", 3)) == [57, 58, 59]
        assert get_average_price(SYMBOL) == typical_vwap([55, 56, 57, 58, 59])
        assert stamps(get_candles(SYMBOL, "5m", 2)) == [50, 55]  # 09:55 closed at 10:00
        assert stamps(get_candles(SYMBOL, "1h", 2)) == [0]  # 09:00 closed at 10:00
    with at(actor, TEN + 2 * MIN):
        five = get_candles(SYMBOL, "5m", 3)  # stamped in [09:47, 09:57], one step earlier
        assert stamps(five) == [50, 55]
        assert isinstance(five, Candles)
        assert float(five.close[-1]) == 100.5 + 59
    with at(actor, TEN + 5 * MIN):  # 10:05: the 10:00 bucket has closed
        assert stamps(get_candles(SYMBOL, "5m", 2)) == [55, 60]
    with at(actor, T0):  # nothing has closed at the first minute of data
        assert stamps(get_candles(SYMBOL, "1m", 5)) == []
        with pytest.raises(ValueError, match="no candles data"):
            get_average_price(SYMBOL)


def test_safe_profile_applies_to_generic_sources() -> None:
    set_config(CC_LOOKAHEAD_PROFILE="safe")
    actor = ExchangeActor(add_exchange("rows", candles=RowsSource(linear(list(range(90))))))
    with at(actor, TEN):
        assert stamps(get_candles(SYMBOL, "1m", 3)) == [57, 58, 59]
        assert get_average_price(SYMBOL) == typical_vwap([55, 56, 57, 58, 59])


# -- property: no served candle closes after the frame time --------------------------------

GAPPY = [k for k in range(3000) if k % 97 not in (3, 4, 5) and not 1400 <= k < 1460]
GAPPY_ACTOR: dict[str, ExchangeActor] = {}


@settings(max_examples=300, deadline=None)
@given(
    interval=st.sampled_from(sorted(INTERVALS)),
    minute=st.integers(min_value=-300, max_value=3300),
    second=st.sampled_from([0, 0, 0, 1, 59]),
    limit=st.integers(min_value=2, max_value=40),
    gappy=st.booleans(),
)
def test_no_served_candle_closes_after_the_frame_time(
    interval: str, minute: int, second: int, limit: int, gappy: bool
) -> None:
    set_config(CC_LOOKAHEAD_PROFILE="safe")
    minutes = GAPPY if gappy else list(range(3000))
    actor = exchange(linear(minutes))
    step = INTERVALS[interval] * MIN
    when = T0 + minute * MIN + second * 1000
    with at(actor, when):
        served = get_candles(SYMBOL, interval, limit)
    assert isinstance(served, Candles)
    closes = served.timestamp + step
    assert (closes <= when).all()
    # and nothing closed inside the window is missing: the newest `limit` slots closed by `when`
    buckets = sorted({T0 + k * MIN - (T0 + k * MIN) % step for k in minutes})
    expected = [b for b in buckets if when - limit * step <= b and b + step <= when]
    assert [int(t) for t in served.timestamp] == expected


@settings(max_examples=300, deadline=None)
@given(
    interval=st.sampled_from(sorted(INTERVALS)),
    minute=st.integers(min_value=-300, max_value=3300),
    second=st.sampled_from([0, 0, 0, 1, 59]),
    limit=st.integers(min_value=2, max_value=40),
    profile=st.sampled_from(["reference", "safe"]),
)
def test_the_cached_table_path_serves_the_same_window(
    interval: str, minute: int, second: int, limit: int, profile: str
) -> None:
    """A regular table's second look-back takes the index-arithmetic path; it must serve what
    the first (through lookback_window) served, in both profiles."""
    set_config(CC_LOOKAHEAD_PROFILE=profile)
    actor = exchange(linear(list(range(3000))))
    when = T0 + minute * MIN + second * 1000
    with at(actor, when):
        first = get_candles(SYMBOL, interval, limit)
        again = get_candles(SYMBOL, interval, limit)
    assert actor._fast, "the table was not cached: the second call took the first one's path"
    assert stamps(again) == stamps(first)


@settings(max_examples=150, deadline=None)
@given(minute=st.integers(min_value=-10, max_value=3010), gappy=st.booleans())
def test_safe_average_price_uses_the_five_closed_minutes(minute: int, gappy: bool) -> None:
    set_config(CC_LOOKAHEAD_PROFILE="safe")
    minutes = GAPPY if gappy else list(range(3000))
    actor = exchange(linear(minutes))
    window = [k for k in minutes if minute - 5 <= k <= minute - 1]
    with at(actor, T0 + minute * MIN):
        if not window:
            with pytest.raises(ValueError, match="no candles data"):
                get_average_price(SYMBOL)
        else:
            assert get_average_price(SYMBOL) == pytest.approx(typical_vwap(window), rel=1e-12)


def test_a_backtest_never_serves_a_candle_closing_after_the_frame() -> None:
    set_config(CC_LOOKAHEAD_PROFILE="safe")
    add_exchange("mem", candles=MemoryCandles({SYMBOL: linear(list(range(600)))}))
    add_frame(
        "f", start=datetime(2024, 1, 1, 9, tzinfo=UTC), end=datetime(2024, 1, 1, 18, tzinfo=UTC)
    )
    seen: list[tuple[int, str, int]] = []

    def peek(symbol: str, when: datetime) -> Signal | None:
        now = int(when.timestamp() * 1000)
        for interval in ("1m", "3m", "15m", "1h"):
            candles = get_candles(symbol, interval, 4)
            assert isinstance(candles, Candles)
            seen.extend((now, interval, int(t)) for t in candles.timestamp)
        return None

    add_strategy("peek", interval="1m", get_signal=peek)
    Backtest.run_sync(SYMBOL, strategy="peek", exchange="mem", frame="f")
    assert len({when for when, _, _ in seen}) > 500
    for when, interval, stamp in seen:
        assert stamp + INTERVALS[interval] * MIN <= when, (when, interval, stamp)


# -- the SMA example on the shipped Bitstamp data --------------------------------------------

AUG17 = 1_786_924_800_000  # 2026-08-17T00:00:00Z, the first row of the shipped file


def sma_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("backtest_sma", ROOT / "examples/backtest_sma.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def csv_rows(until_ms: int) -> dict[int, tuple[float, float, float, float, float]]:
    """The shipped file's rows read with the csv module (not through the engine)."""
    rows = {}
    with open(ROOT / "examples/data/bitstamp_BTCUSD_1m.csv", newline="") as handle:
        for line in csv.DictReader(handle):
            ts = int(line["timestamp"])
            if ts > until_ms:
                break
            rows[ts] = tuple(float(line[k]) for k in ("open", "high", "low", "close", "volume"))
    return rows  # type: ignore[return-value]


def cross(closes: list[float]) -> str | None:
    """The example's rule, restated over a plain list of the last 30 closes."""
    fast_now, fast_prev = np.mean(closes[-5:]), np.mean(closes[-6:-1])
    slow_now, slow_prev = np.mean(closes[-20:]), np.mean(closes[-21:-1])
    if fast_prev <= slow_prev and fast_now > slow_now:
        return "long"
    if fast_prev >= slow_prev and fast_now < slow_now:
        return "short"
    return None


def first_signal(profile: str) -> Any:
    set_config(CC_LOOKAHEAD_PROFILE=profile)
    module = sma_example()
    add_exchange(f"bitstamp-{profile}", candles=CsvCandles(module.DATA))
    add_frame(f"f-{profile}", start=datetime(2026, 8, 17, tzinfo=UTC),
              end=datetime(2026, 8, 17, 6, tzinfo=UTC))  # fmt: skip
    add_strategy(f"sma-{profile}", interval="5m", get_signal=module.sma_cross)
    results = Backtest.run_sync(
        "BTCUSD", strategy=f"sma-{profile}", exchange=f"bitstamp-{profile}", frame=f"f-{profile}"
    )
    return results[0].signal


def test_sma_example_differs_in_the_safe_profile() -> None:
    rows = csv_rows(AUG17 + 4 * 60 * MIN)
    closes = [rows[t][3] for t in sorted(rows)]

    def decision(minute: int, safe: bool) -> str | None:
        newest = minute - 1 if safe else minute  # row index = minutes after 00:00
        window = closes[max(0, newest - 29) : newest + 1]
        return cross(window) if len(window) >= 21 else None

    # by hand on the csv rows, at the 5-minute throttle points from 00:00 on: the reference
    # sees a golden cross first at 03:15 (using the forming 03:15 candle), the safe profile
    # does not; the safe profile's first cross is a death cross at 03:20
    points = range(0, 3 * 60 + 21, 5)
    assert next(m for m in points if decision(m, safe=False)) == 195
    assert decision(195, safe=False) == "long"
    assert next(m for m in points if decision(m, safe=True)) == 200
    assert decision(195, safe=True) is None
    assert decision(200, safe=True) == "short"

    reference = first_signal("reference")
    assert (reference.position, reference.pending_at) == ("long", AUG17 + 195 * MIN)
    five = [rows[AUG17 + k * MIN] for k in range(191, 196)]  # 03:11 .. 03:15 (forming)
    assert reference.price_open == pytest.approx(vwap_by_hand(five), rel=1e-12)

    safe = first_signal("safe")
    assert (safe.position, safe.pending_at) == ("short", AUG17 + 200 * MIN)
    closed = [rows[AUG17 + k * MIN] for k in range(195, 200)]  # 03:15 .. 03:19, all closed
    assert safe.price_open == pytest.approx(vwap_by_hand(closed), rel=1e-12)
    assert safe.price_take_profit == pytest.approx(safe.price_open * 0.99, rel=1e-12)
    forming = [rows[AUG17 + k * MIN] for k in range(196, 201)]
    assert safe.price_open != pytest.approx(vwap_by_hand(forming), rel=1e-9)


def vwap_by_hand(rows: list[tuple[float, float, float, float, float]]) -> float:
    volume = sum(r[4] for r in rows)
    return sum((r[1] + r[2] + r[3]) / 3 * r[4] for r in rows) / volume
