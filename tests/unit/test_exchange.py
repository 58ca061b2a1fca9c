"""Exchange actor: the temporal guard (SPEC 7.1), VWAP (7.3), forward fetch (7.2),
retries (7.4), the anomaly check (7.5), formatting and the Candles view."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtestkit.actors import (
    Candles,
    add_exchange,
    format_price,
    format_quantity,
    get_average_price,
    get_candles,
    get_date,
    get_mode,
    set_config,
)
from backtestkit.actors.core import ExecutionContext
from backtestkit.actors.core.context import execution_context
from backtestkit.actors.exchange import CandleAnomalyError, ExchangeActor
from backtestkit.actors.exchange import exchange as exchange_module
from backtestkit.actors.market import Candle
from backtestkit.adapters.candles import MemoryCandles

SYMBOL = "BTCUSDT"
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MIN = 60_000


def at(minutes: float) -> int:
    return T0 + round(minutes * MIN)


def linear_columns(minutes: Sequence[int]) -> dict[str, list[float]]:
    """Candle at minute k: open 100+k, high 101.25+k, low 99.5+k, close 100.5+k, volume 1+k."""
    return {
        "timestamp": [at(k) for k in minutes],
        "open": [100.0 + k for k in minutes],
        "high": [101.25 + k for k in minutes],
        "low": [99.5 + k for k in minutes],
        "close": [100.5 + k for k in minutes],
        "volume": [1.0 + k for k in minutes],
    }


LINEAR_MINUTES = list(range(90))  # 00:00 .. 01:29, no gaps
GAPPY_MINUTES = [k for k in range(90) if k not in {3, 4, 61, *range(20, 35)}]

# Hand-made candles at 00:03 .. 00:11 with non-monotone prices, for aggregation.
AGG = {
    "timestamp": [at(k) for k in range(3, 12)],
    "open": [10.0, 10.5, 10.0, 12.0, 9.0, 11.0, 13.0, 12.5, 12.0],
    "high": [11.0, 10.8, 12.5, 14.0, 11.0, 15.0, 13.5, 13.0, 14.0],
    "low": [9.8, 10.0, 9.5, 8.5, 8.0, 10.5, 12.0, 12.0, 11.0],
    "close": [10.5, 10.2, 12.0, 9.0, 11.0, 13.0, 12.5, 12.0, 13.5],
    "volume": [2.0, 1.0, 1.0, 2.0, 0.0, 4.0, 8.0, 3.0, 5.0],
}


_names = itertools.count()


def exchange_for(source: Any, name: str | None = None, **kwargs: Any) -> ExchangeActor:
    name = name if name is not None else f"exchange-{next(_names)}"
    return ExchangeActor(add_exchange(name, candles=source, **kwargs))


def memory_exchange(columns: dict[str, Any] | None = None, **kwargs: Any) -> ExchangeActor:
    data = columns if columns is not None else linear_columns(LINEAR_MINUTES)
    return exchange_for(MemoryCandles({SYMBOL: data}), **kwargs)


@contextmanager
def running(
    exchange: ExchangeActor, when: int, *, backtest: bool = True, symbol: str = SYMBOL
) -> Iterator[ExecutionContext]:
    context = ExecutionContext(symbol, when, backtest, exchange)
    token = execution_context.set(context)
    try:
        yield context
    finally:
        execution_context.reset(token)


def stamps(candles: Candles) -> list[int]:
    return [int(t) for t in candles.timestamp]


def rows(candles: Candles) -> list[tuple[int, float, float, float, float, float]]:
    return [(c.timestamp, c.open, c.high, c.low, c.close, c.volume) for c in candles]


class RowSource:
    """A generic (non-table) source over fixed rows: the first `limit` stamped >= since."""

    def __init__(self, rows: list[tuple[int, float, float, float, float, float]]) -> None:
        self.rows = rows
        self.calls: list[tuple[str, str, int, int]] = []

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Any]:
        self.calls.append((symbol, interval, since_ms, limit))
        return [row for row in self.rows if row[0] >= since_ms][:limit]


class WrappedSource:
    """A generic sync source delegating to a table source (so not a CandleStore)."""

    def __init__(self, inner: MemoryCandles) -> None:
        self.inner = inner

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:
        return self.inner.fetch(symbol, interval, since_ms, limit)


class FlakySource:
    """Fails `failures` times, then serves; sync."""

    def __init__(self, failures: int) -> None:
        self.inner = MemoryCandles({SYMBOL: linear_columns(LINEAR_MINUTES)})
        self.failures = failures
        self.calls = 0

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"attempt {self.calls} failed")
        return self.inner.fetch(symbol, interval, since_ms, limit)


class AsyncFlakySource(FlakySource):
    async def fetch(  # type: ignore[override]
        self, symbol: str, interval: str, since_ms: int, limit: int
    ) -> Candles:
        return super().fetch(symbol, interval, since_ms, limit)


# -- look-back window (SPEC 7.1) --------------------------------------------------------------


def test_get_candles_includes_the_candle_stamped_at_when() -> None:
    with running(memory_exchange(), at(10)):
        candles = get_candles(SYMBOL, "1m", 5)
    assert isinstance(candles, Candles)
    assert stamps(candles) == [at(6), at(7), at(8), at(9), at(10)]
    assert candles.close.tolist() == [106.5, 107.5, 108.5, 109.5, 110.5]


def test_get_candles_between_minutes_excludes_the_next_minute() -> None:
    # when = 00:10:30: since = 00:06:30, so 00:07 .. 00:10 (00:11 opens after when)
    with running(memory_exchange(), at(10.5)):
        candles = get_candles(SYMBOL, "1m", 5)
    assert stamps(candles) == [at(7), at(8), at(9), at(10)]


def test_get_candles_at_data_start_returns_fewer() -> None:
    exchange = memory_exchange()
    with running(exchange, at(2)):
        assert stamps(get_candles(SYMBOL, "1m", 5)) == [at(0), at(1), at(2)]
    with running(exchange, at(-1)):
        assert len(get_candles(SYMBOL, "1m", 5)) == 0


def test_get_candles_at_data_end() -> None:
    with running(memory_exchange(), at(200)):
        assert len(get_candles(SYMBOL, "1m", 5)) == 0
    with running(memory_exchange(), at(91)):
        assert stamps(get_candles(SYMBOL, "1m", 5)) == [at(87), at(88), at(89)]


@pytest.mark.parametrize("limit", [1, 0, -3])
def test_limit_below_two_is_unknown_time_adjust(limit: int) -> None:
    with (
        running(memory_exchange(), at(10)),
        pytest.raises(ValueError, match="ClientExchange unknown time adjust for interval=1m"),
    ):
        get_candles(SYMBOL, "1m", limit)


def test_unknown_interval() -> None:
    with running(memory_exchange(), at(10)), pytest.raises(ValueError, match="'7m'"):
        get_candles(SYMBOL, "7m", 5)


def test_five_minute_lookback_off_boundary() -> None:
    exchange = memory_exchange(AGG)
    # when 00:12, limit 3: since = 00:12 - (15 - 5) min = 00:02 -> 5m candles 00:05, 00:10
    with running(exchange, at(12)):
        candles = get_candles(SYMBOL, "5m", 3)
    assert rows(candles) == [  # type: ignore[arg-type]
        (at(5), 10.0, 15.0, 8.0, 12.5, 15.0),
        (at(10), 12.5, 14.0, 11.0, 13.5, 8.0),
    ]
    # when 00:09: since = 23:59 -> 00:00 and 00:05
    with running(exchange, at(9)):
        assert stamps(get_candles(SYMBOL, "5m", 3)) == [at(0), at(5)]
    # when 00:10 exactly: since = 00:00 -> all three buckets
    with running(exchange, at(10)):
        assert stamps(get_candles(SYMBOL, "5m", 3)) == [at(0), at(5), at(10)]


def test_aggregation_values_by_hand() -> None:
    exchange = memory_exchange(AGG)
    five = exchange.table(SYMBOL, "5m")
    assert rows(five.view(0, five.n)) == [
        (at(0), 10.0, 11.0, 9.8, 10.2, 3.0),  # from 00:03, 00:04 only
        (at(5), 10.0, 15.0, 8.0, 12.5, 15.0),
        (at(10), 12.5, 14.0, 11.0, 13.5, 8.0),  # from 00:10, 00:11 only
    ]
    three = exchange.table(SYMBOL, "3m")
    assert rows(three.view(0, three.n)) == [
        (at(3), 10.0, 12.5, 9.5, 12.0, 4.0),
        (at(6), 12.0, 15.0, 8.0, 13.0, 6.0),
        (at(9), 13.0, 14.0, 11.0, 13.5, 16.0),
    ]
    hour = exchange.table(SYMBOL, "1h")
    assert rows(hour.view(0, hour.n)) == [(at(0), 10.0, 15.0, 8.0, 13.5, 26.0)]


def test_hourly_buckets_are_epoch_aligned() -> None:
    # 1m candles 00:00 .. 01:29 -> 1h candles 00:00 (k = 0..59) and 01:00 (k = 60..89)
    exchange = memory_exchange()
    hour = exchange.table(SYMBOL, "1h")
    assert rows(hour.view(0, hour.n)) == [
        (at(0), 100.0, 160.25, 99.5, 159.5, 1830.0),  # volume 1 + ... + 60
        (at(60), 160.0, 190.25, 159.5, 189.5, 2265.0),  # volume 61 + ... + 90
    ]
    # since = when - 60 min
    with running(exchange, at(60)):
        assert stamps(get_candles(SYMBOL, "1h", 2)) == [at(0), at(60)]
    with running(exchange, at(75)):
        assert stamps(get_candles(SYMBOL, "1h", 2)) == [at(60)]
    with running(exchange, at(59)):
        assert stamps(get_candles(SYMBOL, "1h", 2)) == [at(0)]


def test_daily_buckets_are_utc_midnight() -> None:
    minutes = [23 * 60 + 58, 23 * 60 + 59, 24 * 60, 24 * 60 + 1]  # around 2024-01-02 00:00Z
    day = memory_exchange(linear_columns(minutes)).table(SYMBOL, "1d")
    assert stamps(day.view(0, day.n)) == [T0, T0 + 86_400_000]
    assert day.volume.tolist() == [(1.0 + 1438) + (1.0 + 1439), (1.0 + 1440) + (1.0 + 1441)]


INTERVAL_MINUTES = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60}
EXCHANGES = {
    "linear-table": lambda: memory_exchange(linear_columns(LINEAR_MINUTES)),
    "gappy-table": lambda: memory_exchange(linear_columns(GAPPY_MINUTES)),
    "gappy-generic": lambda: exchange_for(
        WrappedSource(MemoryCandles({SYMBOL: linear_columns(GAPPY_MINUTES)}))
    ),
}


@pytest.mark.parametrize("kind", list(EXCHANGES))
@settings(max_examples=150, deadline=None)
@given(
    when=st.integers(at(-150), at(200)),
    limit=st.integers(2, 40),
    interval=st.sampled_from(list(INTERVAL_MINUTES)),
)
def test_lookback_never_returns_a_candle_after_when(
    kind: str, when: int, limit: int, interval: str
) -> None:
    minutes = GAPPY_MINUTES if kind.startswith("gappy") else LINEAR_MINUTES
    step = INTERVAL_MINUTES[interval] * MIN
    buckets = sorted({at(k) - at(k) % step for k in minutes})
    since = when - (step * limit - step)
    expected = [b for b in buckets if since <= b <= when]

    with running(EXCHANGES[kind](), when):
        candles = get_candles(SYMBOL, interval, limit)
    assert isinstance(candles, Candles)
    got = stamps(candles)
    assert got == expected
    assert all(t <= when for t in got)
    assert len(got) <= limit


def test_over_delivering_source_never_leaks_the_future() -> None:
    everything = [(at(k), 100.0, 101.0, 99.0, 100.0, 1.0) for k in range(30)]

    class Everything:
        def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Any]:
            return everything

    with running(exchange_for(Everything()), at(10)):
        candles = get_candles(SYMBOL, "1m", 4)
    assert stamps(candles) == [at(7), at(8), at(9), at(10)]  # type: ignore[arg-type]


def test_generic_source_receives_since_and_limit() -> None:
    source = RowSource([(at(k), 100.0, 101.0, 99.0, 100.0, 1.0) for k in range(30)])
    with running(exchange_for(source), at(20)):
        get_candles(SYMBOL, "5m", 3)
    assert source.calls == [(SYMBOL, "5m", at(10), 3)]


def test_on_candle_data_callback() -> None:
    seen: list[tuple[Any, ...]] = []
    exchange = memory_exchange(callbacks={"on_candle_data": lambda *args: seen.append(args)})
    with running(exchange, at(10)):
        candles = get_candles(SYMBOL, "1m", 5)
    assert len(seen) == 1
    symbol, interval, since, limit, delivered = seen[0]
    assert (symbol, interval, since, limit) == (SYMBOL, "1m", at(6), 5)
    assert delivered is candles


# -- average price (SPEC 7.3) -------------------------------------------------------------------


def test_average_price_is_vwap_of_last_five_minutes() -> None:
    # candles k = 6..10: high 101.25+k, low 99.5+k, close 100.5+k, volume 1+k
    expected = (
        ((107.25 + 105.5) + 106.5) / 3 * 7
        + ((108.25 + 106.5) + 107.5) / 3 * 8
        + ((109.25 + 107.5) + 108.5) / 3 * 9
        + ((110.25 + 108.5) + 109.5) / 3 * 10
        + ((111.25 + 109.5) + 110.5) / 3 * 11
    ) / ((((7.0 + 8.0) + 9.0) + 10.0) + 11.0)
    with running(memory_exchange(), at(10)):
        assert get_average_price(SYMBOL) == expected


def test_average_price_follows_candle_count_config() -> None:
    set_config(CC_AVG_PRICE_CANDLES_COUNT=3)
    expected = (
        ((109.25 + 107.5) + 108.5) / 3 * 9
        + ((110.25 + 108.5) + 109.5) / 3 * 10
        + ((111.25 + 109.5) + 110.5) / 3 * 11
    ) / ((9.0 + 10.0) + 11.0)
    with running(memory_exchange(), at(10)):
        assert get_average_price(SYMBOL) == expected


def test_average_price_with_irregular_values() -> None:
    # AGG candles 00:05 .. 00:09 (volume 1, 2, 0, 4, 8)
    expected = (
        ((12.5 + 9.5) + 12.0) / 3 * 1.0
        + ((14.0 + 8.5) + 9.0) / 3 * 2.0
        + ((11.0 + 8.0) + 11.0) / 3 * 0.0
        + ((15.0 + 10.5) + 13.0) / 3 * 4.0
        + ((13.5 + 12.0) + 12.5) / 3 * 8.0
    ) / ((((1.0 + 2.0) + 0.0) + 4.0) + 8.0)
    with running(memory_exchange(AGG), at(9)):
        assert get_average_price(SYMBOL) == expected


def test_average_price_zero_volume_is_mean_of_closes() -> None:
    columns = linear_columns(LINEAR_MINUTES)
    columns["volume"] = [0.0] * len(LINEAR_MINUTES)
    expected = ((((106.5 + 107.5) + 108.5) + 109.5) + 110.5) / 5
    with running(memory_exchange(columns), at(10)):
        assert get_average_price(SYMBOL) == expected


def test_average_price_at_data_start_uses_what_exists() -> None:
    expected = (((101.25 + 99.5) + 100.5) / 3 * 1 + ((102.25 + 100.5) + 101.5) / 3 * 2) / 3.0
    with running(memory_exchange(), at(1)):
        assert get_average_price(SYMBOL) == expected


def test_average_price_without_candles() -> None:
    with (
        running(memory_exchange(), at(-10)),
        pytest.raises(
            ValueError, match="ClientExchange getAveragePrice: no candles data for symbol=BTCUSDT"
        ),
    ):
        get_average_price(SYMBOL)


def test_average_price_from_generic_source_matches_table() -> None:
    columns = linear_columns(LINEAR_MINUTES)
    with running(memory_exchange(columns), at(33)):
        table_price = get_average_price(SYMBOL)
    with running(exchange_for(WrappedSource(MemoryCandles({SYMBOL: columns}))), at(33)):
        generic_price = get_average_price(SYMBOL)
    assert table_price == generic_price


# -- forward fetch (SPEC 7.2, Q21 decision) ------------------------------------------------------


def test_forward_returns_first_limit_candles() -> None:
    exchange = memory_exchange()
    assert stamps(exchange.forward(SYMBOL, at(10), 5)) == [at(k) for k in range(10, 15)]  # type: ignore[arg-type]


def test_forward_bounded_by_data_end() -> None:
    exchange = memory_exchange()
    assert stamps(exchange.forward(SYMBOL, at(87), 5)) == [at(87), at(88), at(89)]  # type: ignore[arg-type]
    assert len(exchange.forward(SYMBOL, at(95), 5)) == 0  # type: ignore[arg-type]


def test_forward_end_is_inclusive_over_gaps() -> None:
    # gap at minutes 3 and 4: since 00:00, limit 5 -> end 00:05 inclusive -> 0, 1, 2, 5
    exchange = memory_exchange(linear_columns(GAPPY_MINUTES))
    assert stamps(exchange.forward(SYMBOL, at(0), 5)) == [at(0), at(1), at(2), at(5)]  # type: ignore[arg-type]
    # gap 20..34: since 00:18, limit 5 -> end 00:23 -> 18, 19 only
    assert stamps(exchange.forward(SYMBOL, at(18), 5)) == [at(18), at(19)]  # type: ignore[arg-type]


def test_forward_since_between_minutes() -> None:
    exchange = memory_exchange()
    assert stamps(exchange.forward(SYMBOL, at(0.5), 3)) == [at(1), at(2), at(3)]  # type: ignore[arg-type]


@pytest.mark.parametrize("since,limit", [(at(0), 5), (at(18), 5), (at(87), 5), (at(0.5), 3)])
def test_forward_generic_source_matches_table(since: int, limit: int) -> None:
    columns = linear_columns(GAPPY_MINUTES)
    table = memory_exchange(columns)
    generic = exchange_for(WrappedSource(MemoryCandles({SYMBOL: columns})))
    assert rows(generic.forward(SYMBOL, since, limit)) == rows(  # type: ignore[arg-type]
        table.forward(SYMBOL, since, limit)  # type: ignore[arg-type]
    )


# -- generic sources: sync, async, retries (SPEC 7.4, Q22 decision) -------------------------------


def test_sync_source_retries_then_succeeds() -> None:
    set_config(CC_GET_CANDLES_RETRY_COUNT=3, CC_GET_CANDLES_RETRY_DELAY_MS=0)
    source = FlakySource(failures=2)
    with running(exchange_for(source), at(10)):
        candles = get_candles(SYMBOL, "1m", 5)
    assert stamps(candles) == [at(k) for k in range(6, 11)]  # type: ignore[arg-type]
    assert source.calls == 3


def test_sync_source_failing_always_raises_last_error() -> None:
    set_config(CC_GET_CANDLES_RETRY_COUNT=3, CC_GET_CANDLES_RETRY_DELAY_MS=0)
    source = FlakySource(failures=99)
    with running(exchange_for(source), at(10)), pytest.raises(ConnectionError, match="attempt 3"):
        get_candles(SYMBOL, "1m", 5)
    assert source.calls == 3


def test_retry_sleeps_between_attempts_but_not_after_the_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_config(CC_GET_CANDLES_RETRY_COUNT=3, CC_GET_CANDLES_RETRY_DELAY_MS=250)
    sleeps: list[float] = []
    monkeypatch.setattr(exchange_module, "time", SimpleNamespace(sleep=sleeps.append))
    with running(exchange_for(FlakySource(failures=99)), at(10)), pytest.raises(ConnectionError):
        get_candles(SYMBOL, "1m", 5)
    assert sleeps == [0.25, 0.25]


def test_single_attempt_when_retry_count_is_one() -> None:
    set_config(CC_GET_CANDLES_RETRY_COUNT=1)
    source = FlakySource(failures=1)
    with running(exchange_for(source), at(10)), pytest.raises(ConnectionError, match="attempt 1"):
        get_candles(SYMBOL, "1m", 5)
    assert source.calls == 1


@pytest.mark.anyio
async def test_async_source_retries_then_succeeds() -> None:
    set_config(CC_GET_CANDLES_RETRY_COUNT=3, CC_GET_CANDLES_RETRY_DELAY_MS=0)
    source = AsyncFlakySource(failures=2)
    with running(exchange_for(source), at(10)):
        candles = await get_candles(SYMBOL, "1m", 5)
        price = await get_average_price(SYMBOL)
    assert stamps(candles) == [at(k) for k in range(6, 11)]
    assert source.calls == 4  # 2 failures + get_candles + get_average_price
    with running(memory_exchange(), at(10)):
        assert price == get_average_price(SYMBOL)


@pytest.mark.anyio
async def test_async_source_failing_always_raises_last_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_config(CC_GET_CANDLES_RETRY_COUNT=3, CC_GET_CANDLES_RETRY_DELAY_MS=40)
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(exchange_module, "anyio", SimpleNamespace(sleep=fake_sleep))
    source = AsyncFlakySource(failures=99)
    with running(exchange_for(source), at(10)), pytest.raises(ConnectionError, match="attempt 3"):
        await get_candles(SYMBOL, "1m", 5)
    assert source.calls == 3
    assert sleeps == [0.04, 0.04]


@pytest.mark.anyio
async def test_async_source_forward() -> None:
    exchange = exchange_for(AsyncFlakySource(failures=0))
    candles = await exchange.forward(SYMBOL, at(10), 3)  # type: ignore[misc]
    assert stamps(candles) == [at(10), at(11), at(12)]


def test_source_returning_rows_of_any_shape() -> None:
    class Shapes:
        def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Any]:
            return [
                (at(8), 1.0, 2.0, 0.5, 1.5, 10.0),
                {"timestamp": at(9), "open": 1.5, "high": 2.5, "low": 1.0, "close": 2.0,
                 "volume": 20.0},
                Candle(at(10), 2.0, 3.0, 1.5, 2.5, 30.0),
            ]  # fmt: skip

    with running(exchange_for(Shapes()), at(10)):
        candles = get_candles(SYMBOL, "1m", 3)
    assert rows(candles) == [  # type: ignore[arg-type]
        (at(8), 1.0, 2.0, 0.5, 1.5, 10.0),
        (at(9), 1.5, 2.5, 1.0, 2.0, 20.0),
        (at(10), 2.0, 3.0, 1.5, 2.5, 30.0),
    ]


def test_source_returning_garbage_is_a_type_error() -> None:
    set_config(CC_GET_CANDLES_RETRY_COUNT=1)

    class Garbage:
        def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> object:
            return 42

    with running(exchange_for(Garbage()), at(10)), pytest.raises(TypeError, match="int"):
        get_candles(SYMBOL, "1m", 3)


# -- anomaly check (SPEC 7.5) -------------------------------------------------------------------


def flat(minute: int, price: float, volume: float = 1.0) -> tuple[int, float, ...]:
    return (at(minute), price, price, price, price, volume)


def lookback_rows(source_rows: list[Any], limit: int, when: int = at(10)) -> Candles:
    with running(exchange_for(RowSource(source_rows)), when):
        candles = get_candles(SYMBOL, "1m", limit)
    assert isinstance(candles, Candles)
    return candles


@pytest.fixture
def one_attempt() -> None:
    set_config(CC_GET_CANDLES_RETRY_COUNT=1)


@pytest.mark.usefixtures("one_attempt")
def test_anomalously_low_price_with_median_reference() -> None:
    # 5 candles -> median of the 20 OHLC values = 100 -> threshold 100 / 1000 = 0.1
    base = [flat(k, 100.0) for k in (6, 7, 8, 9)]
    with pytest.raises(CandleAnomalyError, match="anomalously low price"):
        lookback_rows([*base, flat(10, 0.09)], 5)
    assert len(lookback_rows([*base, flat(10, 0.1)], 5)) == 5  # not below the threshold


@pytest.mark.usefixtures("one_attempt")
def test_anomaly_reference_is_the_mean_below_five_candles() -> None:
    # 2 candles -> mean of (4 x 100 + 4 x p); p = 0.0501: mean 50.02505, threshold 0.05002505
    assert len(lookback_rows([flat(9, 100.0), flat(10, 0.0501)], 2)) == 2
    # p = 0.05: mean 50.025, threshold 0.050025 -> anomalous
    with pytest.raises(CandleAnomalyError, match="anomalously low price"):
        lookback_rows([flat(9, 100.0), flat(10, 0.05)], 2)


@pytest.mark.usefixtures("one_attempt")
def test_anomaly_factor_from_config() -> None:
    set_config(CC_GET_CANDLES_RETRY_COUNT=1, CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR=10)
    base = [flat(k, 100.0) for k in (6, 7, 8, 9)]
    with pytest.raises(CandleAnomalyError):
        lookback_rows([*base, flat(10, 9.0)], 5)
    assert len(lookback_rows([*base, flat(10, 10.0)], 5)) == 5


@pytest.mark.usefixtures("one_attempt")
@pytest.mark.parametrize(
    "bad,message",
    [
        ((at(10), 100.0, 100.0, 0.0, 100.0, 1.0), "non-positive price"),
        ((at(10), 100.0, 100.0, -1.0, 100.0, 1.0), "non-positive price"),
        ((at(10), 100.0, 100.0, 100.0, 100.0, -1.0), "negative volume"),
        ((at(10), 100.0, math.nan, 100.0, 100.0, 1.0), "non-finite"),
        ((at(10), 100.0, 100.0, 100.0, 100.0, math.inf), "non-finite"),
    ],
)
def test_invalid_values_are_anomalies(bad: tuple[Any, ...], message: str) -> None:
    with pytest.raises(CandleAnomalyError, match=message):
        lookback_rows([flat(k, 100.0) for k in (7, 8, 9)] + [bad], 4)


@pytest.mark.usefixtures("one_attempt")
def test_no_reference_price() -> None:
    with pytest.raises(CandleAnomalyError, match="cannot calculate reference price"):
        lookback_rows([flat(9, 0.0), flat(10, 0.0)], 2)


def test_anomaly_is_retried_like_a_fetch_failure() -> None:
    set_config(CC_GET_CANDLES_RETRY_COUNT=2, CC_GET_CANDLES_RETRY_DELAY_MS=0)
    source = RowSource([*(flat(k, 100.0) for k in (6, 7, 8, 9)), flat(10, 0.01)])
    with running(exchange_for(source), at(10)), pytest.raises(CandleAnomalyError):
        get_candles(SYMBOL, "1m", 5)
    assert len(source.calls) == 2


def test_empty_fetch_passes_the_anomaly_check() -> None:
    assert len(lookback_rows([], 5)) == 0


def test_table_source_checks_only_windows_holding_the_anomaly() -> None:
    columns = linear_columns(range(20))
    for name in ("open", "high", "low", "close"):
        columns[name][15] = 0.05  # minute 15: valid for the loader, anomalous for the exchange
    exchange = memory_exchange(columns)
    with running(exchange, at(10)):
        assert len(get_candles(SYMBOL, "1m", 5)) == 5
    with running(exchange, at(17)), pytest.raises(CandleAnomalyError):
        get_candles(SYMBOL, "1m", 5)


# -- formatting and context helpers -------------------------------------------------------------


def test_format_defaults() -> None:
    with running(memory_exchange(), at(10)):
        assert format_price(SYMBOL, 42000.126) == "42000.13"
        assert format_quantity(SYMBOL, 0.123456789) == "0.12345679"


def test_format_custom() -> None:
    exchange = memory_exchange(
        format_price=lambda symbol, price: f"{symbol}:{price:.1f}",
        format_quantity=lambda symbol, quantity: f"{quantity:.3f}",
    )
    with running(exchange, at(10)):
        assert format_price(SYMBOL, 42000.16) == "BTCUSDT:42000.2"
        assert format_quantity(SYMBOL, 1.23456) == "1.235"


def test_get_date_and_mode() -> None:
    with running(memory_exchange(), at(10)):
        assert get_date() == datetime(2024, 1, 1, 0, 10, tzinfo=UTC)
        assert get_mode() == "backtest"
    with running(memory_exchange(), at(10.5), backtest=False):
        assert get_date() == datetime(2024, 1, 1, 0, 10, 30, tzinfo=UTC)
        assert get_mode() == "live"


@pytest.mark.parametrize(
    "name,call",
    [
        ("get_candles", lambda: get_candles(SYMBOL, "1m", 5)),
        ("get_average_price", lambda: get_average_price(SYMBOL)),
        ("format_price", lambda: format_price(SYMBOL, 1.0)),
        ("format_quantity", lambda: format_quantity(SYMBOL, 1.0)),
        ("get_date", get_date),
        ("get_mode", get_mode),
    ],
)
def test_helpers_outside_a_context(name: str, call: Any) -> None:
    with pytest.raises(RuntimeError, match=rf"{name}\(\) needs an execution context"):
        call()


def test_context_is_restored_after_use() -> None:
    with running(memory_exchange(), at(10)):
        pass
    assert execution_context.get() is None


# -- the Candles view ---------------------------------------------------------------------------


def test_candles_columns_are_views_of_the_table() -> None:
    exchange = memory_exchange()
    table = exchange.table(SYMBOL, "1m")
    with running(exchange, at(10)):
        candles = get_candles(SYMBOL, "1m", 5)
    assert isinstance(candles, Candles)
    assert candles.table is table
    for name in ("timestamp", "open", "high", "low", "close", "volume"):
        column = getattr(candles, name)
        assert np.shares_memory(column, getattr(table, name))
        assert column.shape == (5,)
    assert candles.timestamp.dtype == np.int64
    assert candles.close.dtype == np.float64


def test_candles_rows_and_sequence_behaviour() -> None:
    with running(memory_exchange(), at(10)):
        candles = get_candles(SYMBOL, "1m", 5)
    assert isinstance(candles, Candles)
    assert candles[0] == Candle(at(6), 106.0, 107.25, 105.5, 106.5, 7.0)
    assert candles[-1] == Candle(at(10), 110.0, 111.25, 109.5, 110.5, 11.0)
    assert isinstance(candles[-1].timestamp, int)
    assert isinstance(candles[-1].close, float)
    with pytest.raises(IndexError):
        candles[5]
    with pytest.raises(IndexError):
        candles[-6]
    middle = candles[1:3]
    assert isinstance(middle, Candles)
    assert stamps(middle) == [at(7), at(8)]
    assert stamps(candles[-2:]) == [at(9), at(10)]
    assert len(candles[4:2]) == 0
    with pytest.raises(ValueError, match="contiguous"):
        candles[::2]
    assert list(candles) == [candles[i] for i in range(5)]
    assert len(candles) == 5
    assert candles[2] in candles
    assert next(reversed(candles)) == candles[-1]


@pytest.mark.anyio
async def test_awaiting_candles_returns_them() -> None:
    with running(memory_exchange(), at(10)):
        candles = get_candles(SYMBOL, "1m", 5)
        awaited = await candles  # type: ignore[misc]
    assert awaited is candles


def test_candles_from_rows() -> None:
    candles = Candles.from_rows([(at(1), 1.0, 2.0, 0.5, 1.5, 3.0)])
    assert candles[0] == Candle(at(1), 1.0, 2.0, 0.5, 1.5, 3.0)
    assert Candles.from_rows(candles) is candles
