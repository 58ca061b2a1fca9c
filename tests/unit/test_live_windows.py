"""Live look-back windows are read from the tick time floored to the minute (decision 7.1 in live).

Live ticks every 60 001 ms from T0 = 2024-01-01T00:00Z, so tick k comes at T0 + k * 60 001 ms:
for a day (k < 1440) its minute is T0 + k min, k ms past it. SPEC 7.1's own window from that
instant, since = when - (limit - 1) * step, starts k ms after a candle's stamp and holds only
limit - 1 candles from tick 1 on. From the minute m it holds `limit`, as a backtest at m does:

  reference profile: 1m: m - (N-1) min .. m;       5m (m on the 5-minute grid): m - 5(N-1) min .. m
  safe profile:      1m: m - N min .. m - 1 min;   5m: m - 5N min .. m - 5 min

A 5m strategy is asked at ticks 0, 5, 10, ... (60 001 ms ticks pass the 5-minute throttle every
5th tick), whose minutes lie on the 5-minute grid: N candles of both intervals at every call. A
1m strategy is asked at every tick: N one-minute candles at each, and both windows equal to what a
backtest serves at the same minute (off the 5-minute grid that is N - 1 five-minute candles, in
backtest as in live: SPEC 7.1's window there starts between two 5m stamps).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from hand_market import minute_candles

from backtestkit.actors import (
    Backtest,
    Live,
    VirtualClock,
    add_exchange,
    add_frame,
    add_strategy,
    get_candles,
    set_config,
)
from backtestkit.adapters.candles import MemoryCandles, ReplayCandles

SYMBOL = "BTCUSDT"
T0 = 1_704_067_200_000  # 2024-01-01T00:00Z
MIN = 60_000
DAY = 1440 * MIN
N = 16
FIRST = T0 - 2 * DAY  # history before the first tick (a 5m window of 16 reaches 80 min back)

Window = tuple[int, int, int, int, int]  # (minute, limit, count, first stamp, last stamp)


def market() -> MemoryCandles:
    return minute_candles(SYMBOL, FIRST, 100.0 + np.sin(np.arange(4 * 1440) / 50.0))


def watcher(seen: dict[str, list[Window]]):  # type: ignore[no-untyped-def]
    def watch(symbol: str, when: datetime) -> None:
        minute = int(when.timestamp() * 1000) // MIN * MIN
        for interval in ("1m", "5m"):
            candles = get_candles(symbol, interval, N)
            stamps = candles.timestamp  # type: ignore[union-attr]
            first, last = (int(stamps[0]), int(stamps[-1])) if len(stamps) else (0, 0)
            seen[interval].append((minute, N, len(stamps), first, last))
        return None

    return watch


async def live_windows(tmp_path: Path, interval: str) -> dict[str, list[Window]]:
    seen: dict[str, list[Window]] = {"1m": [], "5m": []}
    clock = VirtualClock(T0)
    add_exchange("paper", candles=ReplayCandles(market(), clock))
    add_strategy("live-watch", interval=interval, get_signal=watcher(seen))
    run = Live.run(
        SYMBOL, strategy="live-watch", exchange="paper", clock=clock, state_dir=tmp_path,
        stop_at=T0 + DAY,
    )  # fmt: skip
    assert [result async for result in run] == []  # no signal; the run ends at stop_at
    assert clock.now() == T0 + 1439 * 60_001  # the last tick: the next one would reach stop_at
    return seen


async def backtest_windows(interval: str) -> dict[str, list[Window]]:
    seen: dict[str, list[Window]] = {"1m": [], "5m": []}
    add_exchange("history", candles=market())
    add_frame("day", start=T0, end=T0 + DAY - MIN, interval="1m")  # the end is a frame too
    add_strategy("backtest-watch", interval=interval, get_signal=watcher(seen))
    run = Backtest.run(SYMBOL, strategy="backtest-watch", exchange="history", frame="day")
    assert [result async for result in run] == []
    return seen


def expected(minute: int, interval: str, safe: bool) -> tuple[int, int]:
    """(first, last) stamp of N candles seen at `minute` (on the interval's grid), by hand."""
    step = MIN if interval == "1m" else 5 * MIN
    last = minute - step if safe else minute
    return last - (N - 1) * step, last


@pytest.mark.anyio
@pytest.mark.parametrize("profile", ["reference", "safe"])
async def test_a_5m_strategy_gets_n_candles_of_both_intervals_at_every_call(
    tmp_path: Path, profile: str
) -> None:
    set_config(CC_LOOKAHEAD_PROFILE=profile)
    live = await live_windows(tmp_path, "5m")
    minutes = [T0 + 5 * k * MIN for k in range(288)]  # ticks 0, 5, ..., 1435
    for interval in ("1m", "5m"):
        assert [w[0] for w in live[interval]] == minutes
        for minute, limit, count, first, last in live[interval]:
            assert count == limit == N, (interval, minute)
            assert (first, last) == expected(minute, interval, profile == "safe")
    assert live == await backtest_windows("5m")


@pytest.mark.anyio
@pytest.mark.parametrize("profile", ["reference", "safe"])
async def test_a_1m_strategy_sees_at_every_tick_what_a_backtest_sees_at_that_minute(
    tmp_path: Path, profile: str
) -> None:
    set_config(CC_LOOKAHEAD_PROFILE=profile)
    live = await live_windows(tmp_path, "1m")
    safe = profile == "safe"
    assert [w[0] for w in live["1m"]] == [T0 + k * MIN for k in range(1440)]
    for minute, _, count, first, last in live["1m"]:
        assert count == N and (first, last) == expected(minute, "1m", safe)
    on_grid = [w for w in live["5m"] if w[0] % (5 * MIN) == 0]
    off_grid = [w for w in live["5m"] if w[0] % (5 * MIN) != 0]
    assert len(on_grid) == 288 and len(off_grid) == 1152
    assert all(w[2] == N for w in on_grid)
    assert all(w[2] == N - 1 for w in off_grid)  # as a backtest at that minute (module doc)
    assert live == await backtest_windows("1m")
