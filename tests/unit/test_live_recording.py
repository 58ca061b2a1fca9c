"""The live recording: ticks, served candles and yielded results, crash-safe framing.

Market: one-minute candles from T0 - 10 min, candle k (stamped T0 - 10 min + k min) has
o = c = 100 + k, h = c + 1, l = c - 1, volume 1, so the VWAP of a window is the mean of its
closes. Strategy: a long at tick 2 only (when == T0 + 2 * 60 001), TP +5 %, SL -5 %, lifetime 1 min,
so tick 3 (elapsed 60 001 ms >= 60 000) closes it time_expired. Live ticks at T0 + k * 60 001.
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from backtestkit.actors import (
    Live,
    Signal,
    VirtualClock,
    add_exchange,
    add_strategy,
    get_average_price,
)
from backtestkit.actors.live import RecordingWriter, read_recording
from backtestkit.actors.live.recording_reader import CandleRevision
from backtestkit.actors.market.candles import Candles
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import MemoryCandles, ReplayCandles

MIN = 60_000
TTL = 60_001
T0 = 1_704_067_200_000  # 2024-01-01T00:00Z
SYMBOL = "BTCUSDT"
STRATEGY = "once"
FIRST = T0 - 10 * MIN


def close_at(ts: int) -> float:
    return 100.0 + (ts - FIRST) // MIN


def market(minutes: int = 40) -> MemoryCandles:
    stamps = [FIRST + k * MIN for k in range(minutes)]
    closes = [close_at(ts) for ts in stamps]
    return MemoryCandles(
        {
            SYMBOL: {
                "timestamp": stamps,
                "open": closes,
                "high": [c + 1 for c in closes],
                "low": [c - 1 for c in closes],
                "close": closes,
                "volume": [1.0] * minutes,
            }
        }
    )


def once(symbol: str, when: datetime) -> Signal | None:
    price = float(get_average_price(symbol))
    if round(when.timestamp() * 1000) == T0 + 2 * TTL:
        return Signal("long", price * 1.05, price * 0.95, 1)
    return None


class RevisingCandles:
    """ReplayCandles, but at tick 1 the candle stamped T0 + 1 min is served with close 555."""

    def __init__(self, clock: VirtualClock) -> None:
        self.replay = ReplayCandles(market(), clock)
        self.clock = clock

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:
        served = self.replay.fetch(symbol, interval, since_ms, limit)
        if self.clock.now() != T0 + TTL:
            return served
        rows = [
            (c.timestamp, c.open, c.high, c.low, 555.0 if c.timestamp == T0 + MIN else c.close,
             c.volume)
            for c in served
        ]  # fmt: skip
        return Candles.from_rows(rows)


class ShortClock(VirtualClock):
    """Fails the test instead of ticking on for ever when no close comes."""

    async def sleep(self, ms: int) -> None:
        if self.now() > T0 + 10 * TTL:
            raise AssertionError("no close within 10 ticks")
        await super().sleep(ms)


async def live_until_closed(
    state_dir: Path, source: Any = None, get_signal: Any = once, **kwargs: Any
) -> list[Any]:
    clock = ShortClock(T0)
    add_exchange("paper", candles=source(clock) if source else ReplayCandles(market(), clock))
    add_strategy(STRATEGY, interval="1m", get_signal=get_signal)
    results = []
    run = Live.run(
        SYMBOL, strategy=STRATEGY, exchange="paper", clock=clock, state_dir=state_dir, **kwargs
    )
    try:
        async for result in run:
            results.append(result)
            if result.action == "closed":
                break
    finally:
        await run.aclose()  # type: ignore[attr-defined]
    return results


def rec_file(state_dir: Path) -> Path:
    return state_dir / "recording" / f"{SYMBOL}_{STRATEGY}.rec"


@pytest.mark.anyio
async def test_recording_holds_the_ticks_candles_and_results(tmp_path: Path) -> None:
    results = await live_until_closed(tmp_path)
    assert [r.action for r in results] == ["opened", "closed"]
    recording = read_recording(rec_file(tmp_path))
    (run,) = recording.runs
    assert (run.symbol, run.strategy, run.exchange, run.started) == (SYMBOL, STRATEGY, "paper", T0)
    assert run.pending is None and run.scheduled is None
    assert run.ticks == [T0, T0 + TTL, T0 + 2 * TTL, T0 + 3 * TTL]
    assert [(tick, item["action"]) for tick, item in run.signals] == [
        (T0 + 2 * TTL, "opened"),
        (T0 + 3 * TTL, "closed"),
    ]
    assert [item for _, item in run.signals] == [r.to_dict() for r in results]
    # tick k reads [m - 4 min, m], m = T0 + k min (its time floored to the minute)
    rows = recording.candles[(SYMBOL, "1m")]
    assert sorted(rows) == [T0 + k * MIN for k in range(-4, 4)]
    assert rows[T0 + 3 * MIN] == (113.0, 114.0, 112.0, 113.0, 1.0)
    opened = run.signals[0][1]["signal"]
    assert opened["price_open"] == 110.0  # closes 108 .. 112 of T0 - 2 min .. T0 + 2 min
    assert recording.revisions == [] and recording.torn_bytes == 0
    # the first tick record, byte for byte: <u32 length 9><u32 crc32>"T"<i64 when>
    data = rec_file(tmp_path).read_bytes()
    payload = b"T" + struct.pack("<q", T0)
    assert struct.pack("<II", 9, zlib.crc32(payload)) + payload in data


@pytest.mark.anyio
async def test_a_torn_tail_is_ignored_then_cut_before_the_next_run(tmp_path: Path) -> None:
    await live_until_closed(tmp_path)
    path = rec_file(tmp_path)
    intact = path.read_bytes()
    candle = b"C" + struct.pack("<HBq5d", 0, 0, T0 + 9 * MIN, 1, 2, 0.5, 1.5, 3)
    torn = (struct.pack("<II", len(candle), zlib.crc32(candle)) + candle)[:20]
    path.write_bytes(intact + torn)  # a kill in the middle of a write
    recording = read_recording(path)
    assert recording.torn_bytes == 20
    assert recording.ticks == 4 and len(recording.signals) == 2
    assert T0 + 9 * MIN not in recording.candles[(SYMBOL, "1m")]

    reset_engine()
    await live_until_closed(tmp_path)  # a restart appends after cutting the torn bytes
    data = path.read_bytes()
    assert data.startswith(intact) and data[len(intact) : len(intact) + 8] != torn[:8]
    again = read_recording(path)
    assert again.torn_bytes == 0 and len(again.runs) == 2
    assert again.runs[1].ticks[0] == T0


@pytest.mark.anyio
async def test_a_corrupt_last_record_loses_only_that_record(tmp_path: Path) -> None:
    await live_until_closed(tmp_path)
    path = rec_file(tmp_path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # inside the last record: the `closed` result
    path.write_bytes(bytes(data))
    recording = read_recording(path)
    assert [item["action"] for _, item in recording.signals] == ["opened"]
    assert recording.ticks == 4
    assert recording.torn_bytes > 100  # the whole closed-result record


@pytest.mark.anyio
async def test_a_candle_served_again_with_other_values_is_a_revision(tmp_path: Path) -> None:
    await live_until_closed(tmp_path, RevisingCandles)
    recording = read_recording(rec_file(tmp_path))
    bar = T0 + MIN
    assert recording.revisions == [
        CandleRevision(
            SYMBOL,
            "1m",
            bar,
            T0 + 2 * TTL,
            (111.0, 112.0, 110.0, 555.0, 1.0),
            (111.0, 112.0, 110.0, 111.0, 1.0),
        )
    ]
    assert recording.candles[(SYMBOL, "1m")][bar] == (111.0, 112.0, 110.0, 111.0, 1.0)
    assert recording.first_served[(SYMBOL, "1m", bar)] == T0 + TTL


@pytest.mark.anyio
async def test_record_false_writes_no_recording(tmp_path: Path) -> None:
    results = await live_until_closed(tmp_path, record=False)
    assert [r.action for r in results] == ["opened", "closed"]
    assert not (tmp_path / "recording").exists()


def test_the_revision_memory_stays_bounded(tmp_path: Path) -> None:
    """5 000 ticks, each served the 5 newest candles: after each day of ticks only candles
    newer than the newest minus twice the window (4 min) are remembered."""
    table = market(5_010).table(SYMBOL, "1m")
    writer = RecordingWriter(tmp_path / "r.rec")
    writer.run_started(
        symbol=SYMBOL, strategy=STRATEGY, exchange="x", when=T0, pending=None, scheduled=None
    )
    sizes = []
    for k in range(5_000):
        writer.tick(T0 + k * MIN)
        writer.candles(SYMBOL, "1m", table.view(k + 6, k + 11))
        sizes.append(writer.remembered)
    writer.close()
    # the prune at tick 1 440 (before its window) keeps the 9 candles stamped newest - 8 min ..
    # newest; that tick adds 1; a day later, just before the next prune, 9 + 1 440
    assert sizes[1_438] == 1_443 and sizes[1_439] == 10
    assert max(sizes) == sizes[2_878] == 1_449
    recording = read_recording(tmp_path / "r.rec")
    assert (
        len(recording.candles[(SYMBOL, "1m")]) == 5_004 and recording.revisions == []
    )  # rows 6..5 009


class AsyncFeed:
    """An exchange whose fetch is a coroutine (as CcxtCandles' is)."""

    def __init__(self, clock: VirtualClock) -> None:
        self.replay = ReplayCandles(market(), clock)

    async def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:
        return self.replay.fetch(symbol, interval, since_ms, limit)


async def once_awaiting(symbol: str, when: datetime) -> Signal | None:
    price = await get_average_price(symbol)
    if round(when.timestamp() * 1000) == T0 + 2 * TTL:
        return Signal("long", price * 1.05, price * 0.95, 1)
    return None


@pytest.mark.anyio
async def test_candles_of_an_async_source_are_recorded_too(tmp_path: Path) -> None:
    results = await live_until_closed(tmp_path, AsyncFeed, once_awaiting)
    assert [r.action for r in results] == ["opened", "closed"]
    recording = read_recording(rec_file(tmp_path))
    assert recording.runs[0].ticks == [T0, T0 + TTL, T0 + 2 * TTL, T0 + 3 * TTL]
    rows = recording.candles[(SYMBOL, "1m")]
    assert sorted(rows) == [T0 + k * MIN for k in range(-4, 4)]
    assert rows[T0 - 4 * MIN] == (106.0, 107.0, 105.0, 106.0, 1.0)


@pytest.mark.anyio
async def test_damage_inside_the_file_is_no_torn_tail(tmp_path: Path) -> None:
    """A bad CRC in the first tick record, with whole records after it: reading names the
    offset instead of dropping the rest, and the next run moves the file aside."""
    await live_until_closed(tmp_path)
    path = rec_file(tmp_path)
    data = bytearray(path.read_bytes())
    first_tick = data.index(b"T" + struct.pack("<q", T0))  # its payload, after an 8-byte header
    data[first_tick + 1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=f"damaged record at byte {first_tick - 8} with "):
        read_recording(path)
    reset_engine()
    await live_until_closed(tmp_path)
    (moved,) = path.parent.glob(f"{path.name}.corrupt-*")
    assert moved.read_bytes() == bytes(data)
    assert len(read_recording(path).runs) == 1
