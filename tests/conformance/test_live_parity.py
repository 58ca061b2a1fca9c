"""Parity: a recorded live paper run replayed as a backtest gives the same signals, and a late
feed, a changed candle or a late tick is reported at the first signal that depended on it.

Market and strategy are those of test_live_vs_backtest (whose hand-worked live values are reused):
"follow" opens a long at the VWAP P whenever it is flat (TP P * 1.006, SL P * 0.994, 30 min),
on tests/data/kaggle_BTCUSD_1m.csv from S = 2018-03-23T12:51Z, live ticks at S + k * 60 001 ms.
Worked there: signal #1 opens at tick 0, #2 closes it at tick 5 (stop_loss), #3 opens at tick 6
(12:57:00.006) at the VWAP of the 5 candles 12:53 .. 12:57 (8304.948384: windows are read
from the tick's minute).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from backtestkit.actors import Live, Signal, VirtualClock, add_exchange, add_strategy, get_candles
from backtestkit.actors import get_average_price as average
from backtestkit.actors.live import parity_async
from backtestkit.actors.live.ticker import TICK_TTL_MS as TTL
from backtestkit.actors.market.candles import Candles
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import CsvCandles, ReplayCandles

from .e2e_sources import spec_vwap
from .test_live_vs_backtest import DATA, MIN, STRATEGY, SYMBOL, TP_FACTOR, S, live_expected, window
from .test_live_vs_backtest import follow as follow_strategy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data" / "bitstamp_BTCUSD_1m.csv"
DAY = 24 * 60 * MIN
TICK6 = S + 6 * TTL  # 12:57:00.006, the third signal's (an open's) tick
BAR = S + 6 * MIN  # the candle stamped 12:57


class EndOfRun(Exception):
    pass


class PaperClock(VirtualClock):
    """Virtual time until `end`; `late` = (tick time, extra ms slept after it)."""

    def __init__(self, start: int, end: int, late: tuple[int, int] | None = None) -> None:
        super().__init__(start)
        self.end = end
        self.late = late

    async def sleep(self, ms: int) -> None:
        if self.late is not None and self.now() == self.late[0]:
            ms += self.late[1]
        if self.now() + ms > self.end:
            raise EndOfRun
        await super().sleep(ms)


class Feed:
    """ReplayCandles of a CSV, with one tick served differently (`change` rewrites its rows)."""

    def __init__(self, path: Path, clock: VirtualClock, at: int, change: Any = None) -> None:
        self.replay = ReplayCandles(CsvCandles(path), clock)
        self.clock, self.at, self.change = clock, at, change

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:
        served = self.replay.fetch(symbol, interval, since_ms, limit)
        if self.change is None or self.clock.now() != self.at:
            return served
        return Candles.from_rows([row for c in served if (row := self.change(c)) is not None])


def late_by_a_minute(candle: Any) -> Any:
    """The feed lags one minute: the candle of the current minute is not there yet."""
    return None if candle.timestamp == BAR else dataclasses.astuple(candle)


def volume_times_ten(candle: Any) -> Any:
    row = dataclasses.astuple(candle)
    return (*row[:5], row[5] * 10) if candle.timestamp == BAR else row


async def paper_run(
    state_dir: Path,
    *,
    strategy: str = STRATEGY,
    get_signal: Any = follow_strategy,
    interval: str = "1m",
    data: Path = DATA,
    start: int = S,
    change: Any = None,
    late: tuple[int, int] | None = None,
    end: int | None = None,
) -> list[Any]:
    clock = PaperClock(start, start + DAY - 1 if end is None else end, late)
    add_exchange("paper", candles=Feed(data, clock, TICK6, change))
    add_strategy(strategy, interval=interval, get_signal=get_signal)
    results: list[Any] = []
    run = Live.run(SYMBOL, strategy=strategy, exchange="paper", clock=clock, state_dir=state_dir)
    try:
        async for result in run:
            results.append(result)
    except EndOfRun:
        pass
    finally:
        await run.aclose()  # type: ignore[attr-defined]
    return results


def sma_cross(symbol: str, when: datetime) -> Signal | None:
    """examples/backtest_sma.py's strategy: SMA(5) crossing SMA(20) of 1m closes."""
    closes = get_candles(symbol, "1m", 30).close
    if len(closes) < 21:
        return None
    fast_now, fast_prev = closes[-5:].mean(), closes[-6:-1].mean()
    slow_now, slow_prev = closes[-20:].mean(), closes[-21:-1].mean()
    price = float(average(symbol))  # type: ignore[arg-type]
    if fast_prev <= slow_prev and fast_now > slow_now:
        return Signal("long", price * 1.01, price * 0.993, 240)
    if fast_prev >= slow_prev and fast_now < slow_now:
        return Signal("short", price * 0.99, price * 1.007, 240)
    return None


@pytest.mark.anyio
async def test_a_24_hour_paper_run_replays_with_zero_mismatches(tmp_path: Path) -> None:
    live = await paper_run(tmp_path)
    result = await parity_async(tmp_path)
    assert result.recording.ticks == result.replay.ticks == 1440
    assert result.recording.runs[0].ticks == [S + k * TTL for k in range(1440)]
    assert len(result.comparisons) == len(live) > 60
    assert result.mismatches == [] and result.ok
    assert result.first_divergence() == f"parity: {len(live)} signals, 0 mismatches"
    # the recording is what live did: the SPEC live rules worked by hand for the first 8
    worked = live_expected(8)
    recorded = [item for _, item in result.recording.signals[:8]]
    assert [
        (
            r["action"],
            r.get("close_timestamp") or r["signal"]["pending_at"],
            r["signal"]["price_open"],
            r["current_price"],
            r.get("close_reason"),
        )
        for r in recorded
    ] == [(e.action, e.when, e.price_open, e.price, e.reason) for e in worked]
    # history from the original CSV instead of the recorded candles: the same answer
    again = await parity_async(tmp_path, candles=CsvCandles(DATA))
    assert again.ok and len(again.comparisons) == len(live)


@pytest.mark.anyio
async def test_a_24_hour_sma_cross_run_on_the_example_data(tmp_path: Path) -> None:
    start = 1_786_928_400_000  # 2026-08-17T01:00Z, examples/data
    live = await paper_run(
        tmp_path,
        strategy="sma-cross",
        get_signal=sma_cross,
        interval="5m",
        data=EXAMPLES,
        start=start,
    )
    result = await parity_async(tmp_path, symbol=SYMBOL, strategy="sma-cross")
    assert len(live) >= 8 and {r.action for r in live} == {"opened", "closed"}
    assert result.ok and len(result.comparisons) == len(live)


@pytest.mark.anyio
async def test_a_feed_one_minute_late_is_the_first_divergence(tmp_path: Path) -> None:
    """At tick 6 the feed lacks the 12:57 candle: live opens on the VWAP of 12:53 .. 12:56,
    the backtest (history has 12:57 from tick 7 on) on 12:53 .. 12:57."""
    await paper_run(tmp_path, change=late_by_a_minute)
    result = await parity_async(tmp_path)
    first = result.first_mismatch
    assert first is not None and first.index == 2
    assert first.signal_id == f"{STRATEGY}:{SYMBOL}:{TICK6}"
    live_price = spec_vwap(window(TICK6)[:-1])
    assert round(spec_vwap(window(TICK6)), 6) == 8304.948384
    assert first.differences[0].field == "signal.price_open"
    assert (first.differences[0].live, first.differences[0].backtest) == (
        live_price,
        spec_vwap(window(TICK6)),
    )
    fields = [d.field for d in first.differences]
    assert fields[:3] == ["signal.price_open", "signal.price_take_profit", "signal.price_stop_loss"]
    assert first.live is not None and first.live["signal"]["price_take_profit"] == (
        live_price * TP_FACTOR
    )
    assert result.recording.late_candles(SYMBOL) == [(BAR, TICK6, TICK6 + TTL)]
    assert result.first_divergence() == (
        f"parity: first divergence at signal #3 ({STRATEGY}:{SYMBOL}:{TICK6}): "
        f"signal.price_open: live {live_price!r} != backtest {spec_vwap(window(TICK6))!r}"
    )


@pytest.mark.anyio
async def test_a_changed_candle_is_the_first_divergence(tmp_path: Path) -> None:
    """At tick 6 the 12:57 candle comes with ten times its volume; from tick 7 on, as it is."""
    await paper_run(tmp_path, change=volume_times_ten)
    result = await parity_async(tmp_path)
    first = result.first_mismatch
    assert first is not None and first.index == 2
    rows = window(TICK6)
    changed = [*rows[:-1], (*rows[-1][:4], rows[-1][4] * 10)]
    diff = first.differences[0]
    assert (diff.field, diff.live, diff.backtest) == (
        "signal.price_open",
        spec_vwap(changed),
        spec_vwap(rows),
    )
    (revision,) = result.recording.revisions
    assert (revision.timestamp, revision.tick) == (BAR, TICK6 + TTL)
    assert revision.before[4] == rows[-1][4] * 10 and revision.after == rows[-1]
    report = result.markdown()
    assert "Diverges: " in report and "## First divergence: signal #3" in report
    assert "| revised | 1m 2018-03-23T12:57:00.000Z |" in report


@pytest.mark.anyio
async def test_a_late_tick_shows_against_the_regular_schedule(tmp_path: Path) -> None:
    """Live sleeps one minute too long after tick 5, so its tick 6 comes at 12:58:00.006. The
    recorded timeline replays that tick (parity holds); the regular one ticks 12:57:00.006 and
    the third signal differs first in its open time."""
    live = await paper_run(tmp_path, late=(S + 5 * TTL, MIN))
    assert live[2].action == "opened" and live[2].signal.pending_at == TICK6 + MIN
    recorded = await parity_async(tmp_path)
    assert recorded.ok
    regular = await parity_async(tmp_path, timeline="regular")
    first = regular.first_mismatch
    assert first is not None and first.index == 2
    diff = first.differences[0]
    assert (diff.field, diff.live, diff.backtest) == ("signal.scheduled_at", TICK6 + MIN, TICK6)
    assert [d.field for d in first.differences][:2] == ["signal.scheduled_at", "signal.pending_at"]
    assert first.backtest is not None
    assert first.backtest["signal"]["price_open"] == spec_vwap(window(TICK6))


@pytest.mark.anyio
async def test_parity_of_a_state_dir_without_recordings_says_so(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="0 live recordings"):
        await parity_async(tmp_path)
    with pytest.raises(FileNotFoundError, match="no live recording at"):
        await parity_async(tmp_path, symbol=SYMBOL, strategy=STRATEGY)


@pytest.mark.anyio
async def test_a_position_lost_at_a_restart_is_reported(tmp_path: Path) -> None:
    """Live opens #1 at tick 0 and stops after tick 3 with it open; its state file is lost, so
    the restart at tick 4 restores nothing and opens anew. Every signal matches (the backtest
    adopts what live restored) but the restart is unexplained: the replay held #1."""
    await paper_run(tmp_path, end=S + 3 * TTL)
    (tmp_path / "signal" / f"{SYMBOL}_{STRATEGY}" / f"{SYMBOL}.json").unlink()
    reset_engine()
    await paper_run(tmp_path, start=S + 4 * TTL, end=S + 5 * TTL)
    result = await parity_async(tmp_path)
    assert [item["action"] for _, item in result.recording.signals] == ["opened", "opened"]
    assert result.mismatches == [] and not result.ok
    (note,) = result.replay.restarts
    assert (note.when, note.live_pending, note.replay_pending, note.explained) == (
        S + 4 * TTL,
        None,
        f"{STRATEGY}:{SYMBOL}:{S}",
        False,
    )
    assert "a restart is unexplained" in result.markdown()
