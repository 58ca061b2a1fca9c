"""ReplayCandles: a table-backed source served as if live, cut off at clock.now()."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from backtestkit.actors.market.candle_sources import CandleSource, CandleStore
from backtestkit.actors.market.candles import Candles
from backtestkit.adapters.candles import CsvCandles, MemoryCandles, ReplayCandles

SYMBOL = "BTCUSDT"
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z, aligned to every interval up to 1d
MIN = 60_000
N = 30  # 30 one-minute candles: T0 .. T0 + 29 min


@dataclass
class StubClock:
    """Stand-in for the live Clock: only now() matters to a candle source."""

    ms: int

    def now(self) -> int:
        return self.ms


def _columns(n: int = N) -> dict[str, np.ndarray]:
    close = 100.0 + np.arange(n, dtype=np.float64)
    return {
        "timestamp": T0 + MIN * np.arange(n, dtype=np.int64),
        "open": close - 0.5,
        "high": close + 1.0,
        "low": close - 1.0,
        "close": close,
        "volume": np.full(n, 2.0),
    }


@pytest.fixture
def memory() -> MemoryCandles:
    return MemoryCandles({SYMBOL: _columns()})


def _stamps(candles: Candles) -> list[int]:
    return [int(t - T0) // MIN for t in candles.timestamp]


def test_is_a_candle_source_but_not_a_store(memory: MemoryCandles) -> None:
    replay = ReplayCandles(memory, StubClock(T0))
    assert isinstance(replay, CandleSource)
    assert not isinstance(replay, CandleStore)  # the engine cannot index the whole table
    assert not hasattr(replay, "table")


def test_now_exactly_on_a_candle_includes_it(memory: MemoryCandles) -> None:
    replay = ReplayCandles(memory, StubClock(T0 + 10 * MIN))
    assert _stamps(replay.fetch(SYMBOL, "1m", T0, 100)) == list(range(11))


def test_one_ms_before_a_candle_excludes_it(memory: MemoryCandles) -> None:
    replay = ReplayCandles(memory, StubClock(T0 + 10 * MIN - 1))
    assert _stamps(replay.fetch(SYMBOL, "1m", T0, 100)) == list(range(10))


def test_still_forming_minute_is_included(memory: MemoryCandles) -> None:
    replay = ReplayCandles(memory, StubClock(T0 + 10 * MIN + 59_999))
    assert _stamps(replay.fetch(SYMBOL, "1m", T0 + 8 * MIN, 100)) == [8, 9, 10]


def test_before_the_first_candle_serves_nothing(memory: MemoryCandles) -> None:
    replay = ReplayCandles(memory, StubClock(T0 - 1))
    assert len(replay.fetch(SYMBOL, "1m", T0 - 10 * MIN, 5)) == 0


def test_after_the_end_of_the_data_serves_up_to_the_last(memory: MemoryCandles) -> None:
    replay = ReplayCandles(memory, StubClock(T0 + 1000 * MIN))
    assert _stamps(replay.fetch(SYMBOL, "1m", T0 + 25 * MIN, 100)) == list(range(25, N))
    assert len(replay.fetch(SYMBOL, "1m", T0 + N * MIN, 10)) == 0


def test_since_after_now_serves_nothing(memory: MemoryCandles) -> None:
    replay = ReplayCandles(memory, StubClock(T0 + 5 * MIN))
    assert len(replay.fetch(SYMBOL, "1m", T0 + 6 * MIN, 10)) == 0


def test_limit_takes_the_first_candles_from_since(memory: MemoryCandles) -> None:
    replay = ReplayCandles(memory, StubClock(T0 + 20 * MIN))
    assert _stamps(replay.fetch(SYMBOL, "1m", T0 + 3 * MIN + 1, 4)) == [4, 5, 6, 7]
    assert _stamps(replay.fetch(SYMBOL, "1m", T0 + 18 * MIN, 10)) == [18, 19, 20]
    assert len(replay.fetch(SYMBOL, "1m", T0, 0)) == 0
    assert len(replay.fetch(SYMBOL, "1m", T0, -3)) == 0


def test_follows_the_clock(memory: MemoryCandles) -> None:
    clock = StubClock(T0)
    replay = ReplayCandles(memory, clock)
    seen = []
    for minute in range(4):
        clock.ms = T0 + minute * MIN
        seen.append(len(replay.fetch(SYMBOL, "1m", T0, 100)))
    assert seen == [1, 2, 3, 4]


def test_higher_interval_serves_aggregates_opened_by_now(memory: MemoryCandles) -> None:
    # 5m candles at T0, +5, +10, ...: the one stamped +10 opens at +10 min (served whole,
    # as a backtest over the same table sees it); +15 is not served before +15 min.
    replay = ReplayCandles(memory, StubClock(T0 + 14 * MIN + 59_999))
    candles = replay.fetch(SYMBOL, "5m", T0, 100)
    assert _stamps(candles) == [0, 5, 10]
    last = candles[-1]
    assert last.open == 110.0 - 0.5 and last.close == 114.0 and last.volume == 10.0
    replay = ReplayCandles(memory, StubClock(T0 + 15 * MIN))
    assert _stamps(replay.fetch(SYMBOL, "5m", T0 + 1, 100)) == [5, 10, 15]
    replay = ReplayCandles(memory, StubClock(T0 + 59 * MIN))
    assert _stamps(replay.fetch(SYMBOL, "15m", T0, 1)) == [0]
    assert _stamps(replay.fetch(SYMBOL, "15m", T0, 10)) == [0, 15]


def test_views_share_memory_with_the_source_table(memory: MemoryCandles) -> None:
    replay = ReplayCandles(memory, StubClock(T0 + 10 * MIN))
    candles = replay.fetch(SYMBOL, "1m", T0 + 2 * MIN, 5)
    table = memory.table(SYMBOL, "1m")
    assert candles.table is table
    for name in ("timestamp", "open", "high", "low", "close", "volume"):
        assert np.shares_memory(getattr(candles, name), getattr(table, name))
    five = replay.fetch(SYMBOL, "5m", T0, 3)
    assert np.shares_memory(five.close, memory.table(SYMBOL, "5m").close)


def test_wraps_a_csv_source(tmp_path: Path) -> None:
    path = tmp_path / "btc.csv"
    cols = _columns(5)
    lines = ["timestamp,open,high,low,close,volume"]
    for i in range(5):
        lines.append(",".join(str(cols[name][i]) for name in cols))
    path.write_text("\n".join(lines) + "\n")
    replay = ReplayCandles(CsvCandles(path), StubClock(T0 + 2 * MIN + 1))
    assert _stamps(replay.fetch(SYMBOL, "1m", T0, 10)) == [0, 1, 2]


def test_rejects_a_source_without_tables_or_a_clock_without_now(memory: MemoryCandles) -> None:
    class FetchOnly:
        def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[object]:
            return []

    with pytest.raises(TypeError, match="table-backed"):
        ReplayCandles(FetchOnly(), StubClock(T0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="now"):
        ReplayCandles(memory, object())  # type: ignore[arg-type]


def test_unknown_symbol_or_interval_raises(memory: MemoryCandles) -> None:
    replay = ReplayCandles(memory, StubClock(T0))
    with pytest.raises(KeyError, match="ETHUSDT"):
        replay.fetch("ETHUSDT", "1m", T0, 5)
    with pytest.raises(ValueError, match="7m"):
        replay.fetch(SYMBOL, "7m", T0, 5)


def test_engine_goes_through_fetch_and_never_sees_the_future(memory: MemoryCandles) -> None:
    from backtestkit.actors import add_exchange
    from backtestkit.actors.exchange import ExchangeActor

    clock = StubClock(T0 + 10 * MIN)
    actor = ExchangeActor(add_exchange("replay", candles=ReplayCandles(memory, clock)))
    assert not actor.is_table_backed
    # asking for a window that ends in the future only gets what has opened by now
    window = actor.lookback(SYMBOL, "1m", 5, T0 + 12 * MIN)
    assert isinstance(window, Candles)
    assert _stamps(window) == [8, 9, 10]
    clock.ms = T0 + 12 * MIN
    assert _stamps(actor.lookback(SYMBOL, "1m", 5, T0 + 12 * MIN)) == [8, 9, 10, 11, 12]
