"""Persisted live state is never dropped, overwritten, shared or traded unchecked (issue 23).

* a slot row naming another exchange, strategy or symbol stops the run before its first tick
  with an error naming the file, the signal and each difference; the row stays byte for byte;
  `adopt=True` takes it over under the run's names;
* one process at a time holds a state dir: a second one (the same strategy, or another
  strategy sharing its risk book) fails at once naming the dir and the holder's pid;
* a restored row breaking SPEC 4 or time sanity is quarantined and never traded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from backtestkit.actors import Live, Signal, SignalRow, VirtualClock, add_exchange, add_strategy
from backtestkit.actors.live import (
    ForeignStateError,
    JsonStateStore,
    StateDirLockedError,
    hold_state_dir,
)
from backtestkit.actors.live.state_json import row_to_json
from backtestkit.actors.market import Candle
from backtestkit.bus import listen_error, listen_signal_live

from .lock_holder import START, FlatCandles, register

pytestmark = pytest.mark.anyio
HOLDER = Path(__file__).with_name("lock_holder.py")
TICK = 60_001


def long_row(**changes: Any) -> SignalRow:
    """A long opened at 100 (TP 102, SL 98, 600 min) by "bot" on "paper" at START."""
    fields: dict[str, Any] = dict(
        id="sig-1",
        position="long",
        price_open=100.0,
        price_take_profit=102.0,
        price_stop_loss=98.0,
        minute_estimated_time=600,
        note="",
        scheduled_at=START,
        pending_at=START,
        symbol="BTCUSD",
        exchange_name="paper",
        strategy_name="bot",
        is_scheduled=False,
    )
    fields.update(changes)
    return SignalRow(**fields)


def slot(state_dir: Path, kind: str = "signal", strategy: str = "bot") -> Path:
    return state_dir / kind / f"BTCUSD_{strategy}" / "BTCUSD.json"


def write_row(state_dir: Path, row: SignalRow, kind: str = "signal") -> bytes:
    path = slot(state_dir, kind, row.strategy_name)
    JsonStateStore(state_dir).write(path, row_to_json(row))
    return path.read_bytes()


def bot(exchange: str = "paper", *, candles: Any = None) -> list[str]:
    """Register exchange `exchange` (flat candles at 100 unless `candles`) and strategy "bot",
    whose get_signal records each call and answers None."""
    add_exchange(exchange, candles=candles if candles is not None else FlatCandles())
    asked: list[str] = []

    def get_signal(symbol: str, when: Any) -> Signal | None:
        asked.append(symbol)
        return None

    add_strategy("bot", interval="1m", get_signal=get_signal)
    return asked


async def first_results(
    state_dir: Path, exchange: str = "paper", *, adopt: bool = False
) -> list[Any]:
    """Run "bot" live from START + 1 min until its first transition; that transition."""
    clock = VirtualClock(START + 60_000)
    seen: list[Any] = []
    with anyio.fail_after(10):
        run = Live.run(
            "BTCUSD",
            strategy="bot",
            exchange=exchange,
            clock=clock,
            state_dir=state_dir,
            adopt=adopt,
            record=False,
        )
        try:
            async for result in run:
                seen.append(result)
                break
        finally:
            await run.aclose()  # type: ignore[attr-defined]  # the consumer is done with it
    return seen


# -- 1. a row of another run ------------------------------------------------------------------


async def test_renamed_exchange_refuses_to_start_and_keeps_the_position(tmp_path: Path) -> None:
    """The probe's case: a long persisted by exchange "paper", the bot restarted with the
    exchange registered as "paper-v2". Before: the row was 'not ours', the slot read empty
    and the next write overwrote it. Now: ForeignStateError before any tick, the file intact."""
    before = write_row(tmp_path, long_row())
    asked = bot("paper-v2")
    with pytest.raises(ForeignStateError) as caught:
        await first_results(tmp_path, "paper-v2")
    error = caught.value
    assert error.path == slot(tmp_path)
    assert error.differences == ["exchangeName 'paper' != run 'paper-v2'"]
    assert str(slot(tmp_path)) in str(error) and "sig-1" in str(error)
    assert asked == []  # no tick ran: get_signal was never asked
    assert slot(tmp_path).read_bytes() == before
    assert sorted(p.name for p in slot(tmp_path).parent.iterdir()) == ["BTCUSD.json"]


async def test_row_naming_another_symbol_is_refused(tmp_path: Path) -> None:
    before = write_row(tmp_path, long_row(symbol="ETHUSD"))
    path = slot(tmp_path)  # the row sits in BTCUSD's slot but names ETHUSD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(before)
    bot()
    with pytest.raises(ForeignStateError) as caught:
        await first_results(tmp_path)
    assert caught.value.differences == ["symbol 'ETHUSD' != run 'BTCUSD'"]
    assert path.read_bytes() == before


async def test_foreign_scheduled_row_is_refused_too(tmp_path: Path) -> None:
    scheduled = long_row(id="sched-1", price_open=99.0, exchange_name="old", is_scheduled=True)
    before = write_row(tmp_path, scheduled, kind="schedule")
    bot()
    with pytest.raises(ForeignStateError) as caught:
        await first_results(tmp_path)
    assert caught.value.row_id == "sched-1"
    assert slot(tmp_path, "schedule").read_bytes() == before


async def test_adopt_takes_the_row_over_and_monitors_it(tmp_path: Path) -> None:
    """adopt=True: the long is restored under "paper-v2" (the file rewritten with the new name,
    nothing else changed) and closes at its take-profit when the price reaches 102."""
    write_row(tmp_path, long_row())

    class Risen:
        def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Any]:
            return [Candle(since_ms + i * 60_000, 102.5, 103, 102, 102.5, 10) for i in range(limit)]

    asked = bot("paper-v2", candles=Risen())
    [closed] = await first_results(tmp_path, "paper-v2", adopt=True)
    assert (closed.action, closed.close_reason, closed.signal.id) == (
        "closed",
        "take_profit",
        "sig-1",
    )
    assert closed.signal.exchange_name == "paper-v2"
    assert asked == []
    assert orjson.loads(slot(tmp_path).read_bytes()) is None  # cleared once the close was taken


# -- 2. one process per state dir -------------------------------------------------------------


def start_holder(state_dir: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(HOLDER.parents[2]))
    holder = subprocess.Popen(
        [sys.executable, str(HOLDER), str(state_dir)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "ready"
    return holder


def stop_holder(holder: subprocess.Popen[str]) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)


async def test_second_process_is_refused_naming_dir_and_pid(tmp_path: Path) -> None:
    """A live trader runs strategy "holder" from tmp_path in another process; this process's
    run of another strategy that shares its risk book ("one", one position) fails at its first
    step, naming the dir and the holder's pid; once the holder is SIGKILLed the OS has dropped
    its lock and the same run starts (and restores nothing it should not)."""
    holder = start_holder(tmp_path)
    try:
        register("second")
        run = Live.run(
            "BTCUSD",
            strategy="second",
            exchange="paper",
            clock=VirtualClock(START),
            state_dir=tmp_path,
            record=False,
        )
        with anyio.fail_after(5), pytest.raises(StateDirLockedError) as caught:
            await run.__aiter__().__anext__()
        assert caught.value.pid == holder.pid
        assert caught.value.directory == tmp_path.resolve()
        assert str(tmp_path.resolve()) in str(caught.value)
        assert f"process {holder.pid}" in str(caught.value)
        with pytest.raises(StateDirLockedError):  # the same strategy is refused as well
            hold_state_dir(tmp_path).release()
    finally:
        stop_holder(holder)
    with hold_state_dir(tmp_path):  # the lock died with its process
        pass
    held = orjson.loads(slot(tmp_path, strategy="holder").read_bytes())
    assert held["strategyName"] == "holder"  # the holder's position is on disk, untouched


def test_lock_is_shared_inside_one_process(tmp_path: Path) -> None:
    """Two holders in one process (two strategies, a broker journal) share the lock; it is
    released with the last one, after which another process could take it."""
    first = hold_state_dir(tmp_path, holder="a")
    second = hold_state_dir(tmp_path / ".", holder="b")
    assert (tmp_path / ".lock").read_text() == f"{os.getpid()} a\n"  # the first holder's name
    first.release()
    first.release()  # idempotent
    code = (
        "import sys; from backtestkit.actors.live import hold_state_dir; "
        "hold_state_dir(sys.argv[1])"
    )
    probe = [sys.executable, "-c", code, str(tmp_path)]
    assert subprocess.run(probe, capture_output=True, timeout=30).returncode == 1
    second.release()
    assert subprocess.run(probe, capture_output=True, timeout=30).returncode == 0


# -- 4. restored rows are checked -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"price_take_profit": 89.62},
            "Long: price_take_profit (89.62) must be > price_open (100.0)",
        ),
        ({"minute_estimated_time": -5}, "minute_estimated_time must be a positive integer, got -5"),
        (
            {"pending_at": START + 86_400_000},
            f"pendingAt {START + 86_400_000} is in the future (now {START + 60_000})",
        ),
        (
            {"scheduled_at": START + 60_000, "pending_at": START},
            f"pendingAt {START} is before scheduledAt {START + 60_000}",
        ),
        ({"position": "short"}, "Short: price_take_profit (102.0) must be < price_open (100.0)"),
    ],
    ids=[
        "tp-below-entry",
        "negative-lifetime",
        "pending-in-future",
        "pending-before-scheduled",
        "short-with-long-prices",
    ],
)
async def test_invalid_restored_row_is_quarantined(
    tmp_path: Path, changes: dict[str, Any], problem: str
) -> None:
    """The probe's cases: a long whose take-profit was edited below its entry (it used to be
    restored and closed as take_profit at -10.38 %), a lifetime of -5 (accepted), a pendingAt
    a day ahead (stuck with no error). Each is moved aside to `.corrupt-*` with its bytes,
    reported on the error topic with the rule it breaks, and never traded: no close, no new
    position (the strategy is refused until the file is removed)."""
    before = write_row(tmp_path, long_row(**changes))
    asked = bot()
    seen: list[BaseException] = []
    listen_error(seen.append)
    clock = VirtualClock(START + 60_000)
    ticks: list[Any] = []

    async def stop_at_third(result: Any) -> None:
        ticks.append(result.action)
        if len(ticks) == 3:
            await Live.stop("BTCUSD", "bot")

    listen_signal_live(stop_at_third)
    results: list[Any] = []
    with anyio.fail_after(10):
        async for result in Live.run(
            "BTCUSD",
            strategy="bot",
            exchange="paper",
            clock=clock,
            state_dir=tmp_path,
            record=False,
        ):
            results.append(result)
    assert results == [] and ticks == ["idle"] * 3
    [moved] = [p for p in slot(tmp_path).parent.iterdir() if ".corrupt-" in p.name]
    assert moved.read_bytes() == before
    assert not slot(tmp_path).exists()
    assert any(problem in str(e) and str(moved) in str(e) for e in seen), [str(e) for e in seen]
    assert asked == []  # refused: get_signal is not asked while the file waits for the user
