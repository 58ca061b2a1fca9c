"""Where live data stops: a replay ends by itself at its data's end, `stop_at` stops new entries,
and a feed without new candles for CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES minutes is one error.

Market: one-minute candles T0 - 10 min .. LAST = T0 + 29 min, close 100 + (k mod 3) for the k-th
(a flat market). Live ticks at T0 + k * 60 001 ms: tick k's window is read from the minute
T0 + k min. Strategy "hold": a long at the first call with TP +10 %, SL -10 % and a 1000-minute
lifetime, which nothing in this market closes ("short": the same with a 10-minute lifetime).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from hand_market import minute_candles
from structlog.testing import capture_logs

from backtestkit.actors import (
    Live,
    Signal,
    VirtualClock,
    add_exchange,
    add_strategy,
    get_average_price,
    set_config,
)
from backtestkit.actors.live import LiveDataStopped, read_recording
from backtestkit.actors.market.candles import Candles
from backtestkit.adapters.candles import MemoryCandles, ReplayCandles

SYMBOL = "BTCUSDT"
T0 = 1_704_067_200_000  # 2024-01-01T00:00Z
MIN = 60_000
TTL = 60_001
FIRST = T0 - 10 * MIN
LAST = T0 + 29 * MIN


def market() -> MemoryCandles:
    return minute_candles(SYMBOL, FIRST, [100.0 + k % 3 for k in range(40)])


def hold(symbol: str, when: datetime) -> Signal:
    price = float(get_average_price(symbol))
    return Signal("long", price * 1.1, price * 0.9, 1000)


async def hold_async(symbol: str, when: datetime) -> Signal:
    price = await get_average_price(symbol)
    return Signal("long", price * 1.1, price * 0.9, 1000)


def short_lived(symbol: str, when: datetime) -> Signal:
    price = float(get_average_price(symbol))
    return Signal("long", price * 1.1, price * 0.9, 10)


class Feed:
    """A live feed that does not know where its data ends (no data_end): ReplayCandles' fetch."""

    def __init__(self, clock: VirtualClock) -> None:
        self.replay = ReplayCandles(market(), clock)

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:
        return self.replay.fetch(symbol, interval, since_ms, limit)


class AsyncFeed(Feed):
    """The same feed behind a coroutine fetch, as CcxtCandles serves."""

    async def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:  # type: ignore[override]
        return self.replay.fetch(symbol, interval, since_ms, limit)


def persisted(state_dir: Path, strategy: str) -> Any:
    path = state_dir / "signal" / f"{SYMBOL}_{strategy}" / f"{SYMBOL}.json"
    return json.loads(path.read_text()) if path.exists() else None


async def run_live(
    state_dir: Path, clock: VirtualClock, exchange: str, strategy: str, **kwargs: Any
) -> list[Any]:
    with anyio.fail_after(10):
        run = Live.run(
            SYMBOL, strategy=strategy, exchange=exchange, clock=clock, state_dir=state_dir,
            **kwargs,
        )  # fmt: skip
        return [result async for result in run]


@pytest.mark.anyio
async def test_a_replay_ends_at_its_data_and_keeps_the_open_position(tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    add_exchange("replay", candles=ReplayCandles(market(), clock))
    add_strategy("hold", interval="1m", get_signal=hold)
    with capture_logs() as logs:
        results = await run_live(tmp_path, clock, "replay", "hold")
    assert [r.action for r in results] == ["opened"]
    opened = results[0].signal
    assert clock.now() == T0 + 29 * TTL  # tick 29 reads up to LAST; tick 30 never comes
    (run,) = read_recording(tmp_path / "recording" / f"{SYMBOL}_hold.rec").runs
    assert run.ticks == [T0 + k * TTL for k in range(30)]
    assert persisted(tmp_path, "hold")["id"] == opened.id  # stays on disk for the next start
    assert [e for e in logs if e["log_level"] == "warning"] == []
    ended = [e for e in logs if e["event"] == "replay_ended"]
    assert [(e["last_candle"], e["open_signal"]) for e in ended] == [(LAST, opened.id)]

    # the next start (at the same instant) restores it, ticks once more and ends, opening nothing
    with capture_logs() as logs:
        assert await run_live(tmp_path, clock, "replay", "hold") == []
    assert [e["signal"] for e in logs if e["event"] == "position_restored"] == [opened.id]
    assert clock.now() == T0 + 29 * TTL
    assert persisted(tmp_path, "hold")["id"] == opened.id


@pytest.mark.anyio
async def test_in_the_safe_profile_a_replay_ticks_until_its_last_candle_has_closed(
    tmp_path: Path,
) -> None:
    set_config(CC_LOOKAHEAD_PROFILE="safe")
    clock = VirtualClock(T0)
    add_exchange("replay", candles=ReplayCandles(market(), clock))
    add_strategy("hold", interval="1m", get_signal=hold)
    assert [r.action for r in await run_live(tmp_path, clock, "replay", "hold")] == ["opened"]
    assert clock.now() == T0 + 30 * TTL  # minute LAST + 1 min sees LAST closed


@pytest.mark.anyio
async def test_stop_at_takes_no_new_entry_and_follows_the_open_one_to_its_close(
    tmp_path: Path,
) -> None:
    clock = VirtualClock(T0)
    add_exchange("replay", candles=ReplayCandles(market(), clock))
    add_strategy("short", interval="1m", get_signal=short_lived)
    stop = T0 + 5 * MIN
    results = await run_live(tmp_path, clock, "replay", "short", stop_at=stop)
    # opened at tick 0, expires at tick 10 (elapsed 600 010 ms >= 10 min), after stop_at: no
    # second entry, and the run ends with the close (decision Q7)
    assert [(r.action, r.signal.pending_at) for r in results] == [("opened", T0), ("closed", T0)]
    assert results[1].close_reason == "time_expired"
    assert results[1].close_timestamp == T0 + 10 * TTL == clock.now()
    assert persisted(tmp_path, "short") is None


@pytest.mark.anyio
async def test_stop_at_with_nothing_open_ends_before_the_tick_that_reaches_it(
    tmp_path: Path,
) -> None:
    clock = VirtualClock(T0)
    add_exchange("replay", candles=ReplayCandles(market(), clock))
    add_strategy("idle", interval="1m", get_signal=lambda symbol, when: None)
    assert await run_live(tmp_path, clock, "replay", "idle", stop_at=T0 + 3 * MIN) == []
    assert clock.now() == T0 + 2 * TTL  # ticks 0, 1, 2; tick 3 (T0 + 180 003) is past stop_at


@pytest.mark.anyio
@pytest.mark.parametrize(("feed", "strategy"), [(Feed, hold), (AsyncFeed, hold_async)])
async def test_a_feed_without_new_candles_is_one_clear_error_and_the_position_stays(
    tmp_path: Path, feed: type[Feed], strategy: Any
) -> None:
    clock = VirtualClock(T0)
    add_exchange("feed", candles=feed(clock))
    add_strategy("hold", interval="1m", get_signal=strategy)
    with capture_logs() as logs, pytest.raises(LiveDataStopped) as raised:
        await run_live(tmp_path, clock, "feed", "hold")
    # tick k reads minute T0 + k min; the last candle is LAST = T0 + 29 min: tick 44 is the
    # 15th minute without a new one
    assert clock.now() == T0 + 44 * TTL
    opened_id = f"hold:{SYMBOL}:{T0}"
    assert str(raised.value) == (
        f"live {SYMBOL} on exchange 'feed': no new one-minute candle for 15 minutes "
        "(CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES); last candle seen: 2024-01-01T00:29:00.000Z; "
        f"open position {opened_id} stays in the state dir for the next start"
    )
    assert persisted(tmp_path, "hold")["id"] == opened_id
    # ticks 34 .. 44 find no candle in [m - 4 min, m]: one warning, then one line counting them
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert [(e["event"], e.get("count")) for e in warnings] == [
        ("tick_failed", None),
        ("tick_failed", 11),
    ]
    assert (warnings[0]["when"], warnings[1]["last_when"]) == (T0 + 34 * TTL, T0 + 44 * TTL)


@pytest.mark.anyio
async def test_the_minutes_without_candles_are_configurable_and_count_from_the_start(
    tmp_path: Path,
) -> None:
    set_config(CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES=3)
    clock = VirtualClock(LAST + 60 * MIN)  # an hour after the data: nothing ever comes
    add_exchange("feed", candles=Feed(clock))
    add_strategy("hold", interval="1m", get_signal=hold)
    with pytest.raises(LiveDataStopped) as raised:
        await run_live(tmp_path, clock, "feed", "hold")
    assert clock.now() == LAST + 60 * MIN + 2 * TTL  # the third tick without a candle
    assert str(raised.value) == (
        f"live {SYMBOL} on exchange 'feed': no new one-minute candle for 3 minutes "
        "(CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES); last candle seen: none since the run started; "
        "no open position"
    )
