"""One incarnation of a live trader for the crash suite, run in a forked child process.

It trades the fuzz strategy of the golden fixtures through ReplayCandles on a virtual clock,
persists into `state_dir`, and appends every transition it yields to a journal (plain
`write(2)` calls: the page cache survives SIGKILL). `progress` gets `S <when>` when a tick
starts and `D <when>` when it ends. `crash_at = (n, phase)` makes the process SIGKILL itself at
the n-th state write of this incarnation, at that phase of the write; a phase `record:<phase>`
means the n-th commit (fsync'd write) of the live recording instead.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import orjson

from backtestkit.actors import (
    Live,
    RiskValidation,
    VirtualClock,
    add_exchange,
    add_risk,
    add_strategy,
)
from backtestkit.actors.live import JsonStateStore, RecordingWriter
from backtestkit.actors.live.recording import recording_path
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import CsvCandles, ReplayCandles
from backtestkit.bus import topics

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
sys.path.insert(0, str(GOLDEN))
from strategies import fuzz  # noqa: E402

DATA = GOLDEN.parent / "data" / "kaggle_BTCUSD_1m.csv"
SYMBOL = "BTCUSD"
STRATEGY = "fuzz"


class EndOfReplay(Exception):
    """The virtual clock reached the end of the replay window."""


class ProgressClock(VirtualClock):
    def __init__(self, start_ms: int, end_ms: int, progress_fd: int) -> None:
        super().__init__(start_ms)
        self.end_ms = end_ms
        self.progress_fd = progress_fd
        self.started = False

    def now(self) -> int:
        if not self.started:
            self.started = True
            os.write(self.progress_fd, f"S {self._now}\n".encode())
        return self._now

    async def sleep(self, ms: int) -> None:
        os.write(self.progress_fd, f"D {self._now}\n".encode())
        if self._now + ms > self.end_ms:
            raise EndOfReplay
        self.started = False
        await super().sleep(ms)


def outside_third_minutes(check: Any) -> None:
    if (check.timestamp // 60_000) % 7 == 0:
        raise ValueError("every seventh minute is closed")


def register(seed: int, callbacks: dict[str, Any] | None = None) -> None:
    """The risk profile and the fuzz strategy (parity registers them without callbacks)."""
    add_risk(
        "sevens",
        validations=[RiskValidation(outside_third_minutes, note="sevens")],
        max_concurrent_positions=1,  # a ghost left in the book would block every signal
    )
    add_strategy(STRATEGY, interval="1m", get_signal=fuzz(seed), risk="sevens", callbacks=callbacks)


def run(
    *,
    candles: CsvCandles,
    start_ms: int,
    end_ms: int,
    state_dir: Path,
    journal: Path,
    progress: Path,
    crash_at: tuple[int, str] | None,
    seed: int,
) -> None:
    """Trade from start_ms until the replay ends (or until the planned crash)."""
    reset_engine()
    journal_fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    progress_fd = os.open(progress, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    clock = ProgressClock(start_ms, end_ms, progress_fd)
    writes = 0

    def on_phase(phase: str, path: Path) -> None:
        nonlocal writes
        if phase == "before_write":
            writes += 1
        if crash_at is not None and (writes, phase) == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    commits = 0

    def on_record_phase(phase: str, path: Path) -> None:
        nonlocal commits
        if phase == "before_commit":
            commits += 1
        if crash_at is not None and (commits, f"record:{phase}") == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def note(entry: dict[str, Any]) -> None:
        os.write(journal_fd, orjson.dumps(entry) + b"\n")

    def on_active(symbol: str, row: Any, price: float, backtest: bool) -> None:
        note({"action": "restored", "id": row.id, "tick": clock._now})

    add_exchange("kaggle", candles=ReplayCandles(candles, clock))
    register(seed, callbacks={"on_active": on_active})
    topics.partial_profit.subscribe(lambda event: None)  # partial levels get persisted too
    topics.partial_loss.subscribe(lambda event: None)
    topics.transition.subscribe(
        lambda r: (
            note({"action": "scheduled", "id": r.signal.id, "tick": clock._now})
            if r.action == "scheduled"
            else None
        )
    )
    store = JsonStateStore(state_dir, on_phase=on_phase)
    recorder = RecordingWriter(
        recording_path(Path(state_dir), SYMBOL, STRATEGY), on_phase=on_record_phase
    )

    async def trade() -> None:
        try:
            async for result in Live.run(
                SYMBOL,
                strategy=STRATEGY,
                exchange="kaggle",
                clock=clock,
                state_dir=store,
                record=recorder,
            ):
                entry: dict[str, Any] = {
                    "action": result.action,
                    "id": result.signal.id,
                    "tick": clock._now,
                    "price": result.current_price,
                }
                if result.action == "closed":
                    entry["reason"] = result.close_reason  # type: ignore[union-attr]
                    entry["pnl"] = result.pnl.pnl_percentage  # type: ignore[union-attr]
                note(entry)
        except EndOfReplay:
            os.write(progress_fd, b"END\n")

    anyio.run(trade)
