"""Live mode survives SIGKILL at any instant: no lost, duplicated or ghost position.

A forked child trades on a virtual clock and is killed at every persisted transition (before
the write, between the temp write and the rename, after the rename) and at random instants. It
is restarted at the tick it was in, or after it when that tick's effects are all on disk, just
as a supervisor restarting a crashed trader at once would. The transitions it reported (deduped
by signal id: delivery is at least once, ids are stable) and its final state files must equal an
uninterrupted run's.

BACKTESTKIT_CRASH_WINDOW_HOURS widens the replay window (more transitions, more kills at each
phase); BACKTESTKIT_CRASH_RANDOM_KILLS raises the number of random-instant kills (default 60).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from backtestkit.adapters.candles import CsvCandles

from . import crash_worker
from .children import run_child

TTL = 60_001
START = 1_521_810_000_000  # 2018-03-23T13:00Z, inside tests/data/kaggle_BTCUSD_1m.csv
HOURS = float(os.environ.get("BACKTESTKIT_CRASH_WINDOW_HOURS", "16"))
END = START + int(HOURS * 3_600_000)
SEED = 1
RANDOM_KILLS = int(os.environ.get("BACKTESTKIT_CRASH_RANDOM_KILLS", "60"))

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


class Trader:
    """A sequence of incarnations sharing one state directory and one journal."""

    def __init__(self, root: Path, candles: CsvCandles) -> None:
        self.root = root
        self.state_dir = root / "state"
        self.journal = root / "journal.jsonl"
        self.candles = candles
        self.incarnations = 0
        self.kills = 0
        self.seconds = 0.0

    def incarnation(
        self, start_ms: int, crash_at: tuple[int, str] | None, kill_after_s: float | None
    ) -> tuple[bool, list[str], list[dict[str, Any]]]:
        """Run one child from start_ms; returns (finished, progress lines, its journal lines)."""
        progress = self.root / f"progress-{self.incarnations}.txt"
        journal_before = self.journal.stat().st_size if self.journal.exists() else 0
        self.incarnations += 1
        killed = run_child(
            lambda: crash_worker.run(
                candles=self.candles,
                start_ms=start_ms,
                end_ms=END,
                state_dir=self.state_dir,
                journal=self.journal,
                progress=progress,
                crash_at=crash_at,
                seed=SEED,
            ),
            kill_after_s,
        )
        text = progress.read_text() if progress.exists() else ""
        entries = []
        if self.journal.exists():  # a kill in the child's first instant leaves none
            with self.journal.open("rb") as handle:
                handle.seek(journal_before)
                entries = [orjson.loads(line) for line in handle.read().splitlines() if line]
        finished = text.endswith("END\n")
        self.kills += killed
        return finished, text.splitlines(), entries

    def restart_point(
        self, current: int, progress: list[str], entries: list[dict[str, Any]]
    ) -> int:
        """The tick to restart from: the interrupted one, or the next if it fully landed."""
        starts = [int(line.split()[1]) for line in progress if line.startswith("S ")]
        if not starts:
            return current
        tick = starts[-1]
        if f"D {tick}" in progress:
            return tick + TTL
        for entry in entries:
            if entry["tick"] != tick or entry["action"] not in ("closed", "cancelled"):
                continue
            folder = "signal" if entry["action"] == "closed" else "schedule"
            slot = self.slot(folder)
            if slot is None or slot.get("id") != entry["id"]:
                return tick + TTL  # the clear is on disk: the tick completed its transition
        return tick

    def slot(self, folder: str) -> dict[str, Any] | None:
        path = self.state_dir / folder / f"BTCUSD_{crash_worker.STRATEGY}" / "BTCUSD.json"
        if not path.exists():
            return None
        value: dict[str, Any] | None = orjson.loads(path.read_bytes())
        return value

    def run(self, plan: Any) -> None:
        """Incarnations until the replay ends; `plan(i)` -> (crash_at, kill_after_s)."""
        start = START
        while True:
            crash_at, kill_after = plan(self.incarnations)
            finished, progress, entries = self.incarnation(start, crash_at, kill_after)
            if finished:
                return
            start = self.restart_point(start, progress, entries)
            assert self.incarnations < 5000, "no progress"

    def history(self) -> list[tuple[Any, ...]]:
        """Transitions in order, each once (a replayed close carries the same id and data)."""
        seen: set[tuple[str, str]] = set()
        out: list[tuple[Any, ...]] = []
        lines = self.journal.read_bytes().splitlines() if self.journal.exists() else []
        for line in lines:
            entry = orjson.loads(line)
            action = "opened" if entry["action"] == "restored" else entry["action"]
            key = (action, entry["id"])
            if key in seen:
                continue
            seen.add(key)
            if action == "closed":
                out.append((*key, entry["tick"], entry["price"], entry["reason"], entry["pnl"]))
            elif action == "cancelled":
                out.append((*key, entry["tick"], entry["price"]))
            else:
                out.append(key)
        return out

    def final_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "pending": self.slot("signal"),
            "scheduled": self.slot("schedule"),
        }
        risk = self.state_dir / "risk" / "sevens" / "positions.json"
        state["risk"] = (
            sorted(k for k, _ in orjson.loads(risk.read_bytes())) if risk.exists() else []
        )
        leftovers = [p.name for p in self.state_dir.rglob("*") if p.name.startswith(".tmp-")]
        state["temporaries"] = leftovers
        return state


@pytest.fixture(scope="module")
def candles() -> CsvCandles:
    source = CsvCandles(crash_worker.DATA)
    source.table(crash_worker.SYMBOL, "1m")  # loaded once, shared copy-on-write by the forks
    return source


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, candles: CsvCandles) -> Trader:
    trader = Trader(tmp_path_factory.mktemp("uninterrupted"), candles)
    started = time.monotonic()
    trader.run(lambda i: (None, None))
    trader.seconds = time.monotonic() - started
    assert trader.kills == 0
    return trader


def test_the_uninterrupted_run_trades(reference: Trader) -> None:
    actions = [entry[0] for entry in reference.history()]
    assert actions.count("opened") >= 5
    assert actions.count("closed") >= 5
    assert "scheduled" in actions and "cancelled" in actions


@pytest.mark.parametrize(
    ("phase", "nth"),
    [("after_rename", 1), ("before_write", 2), ("before_rename", 2)],
)
def test_killed_at_every_persisted_transition(
    tmp_path: Path, candles: CsvCandles, reference: Trader, phase: str, nth: int
) -> None:
    """Each incarnation dies at its nth state write (nth=2 when the first write would be the
    same interrupted write again), so every transition is hit in the given phase."""
    trader = Trader(tmp_path, candles)
    trader.run(lambda i: ((nth, phase), None))
    print(f"{phase}: {trader.kills} kills, {len(trader.history())} transitions")
    assert trader.kills >= 40
    assert trader.history() == reference.history()
    assert trader.final_state() == {**reference.final_state(), "temporaries": []}


def test_killed_at_random_instants(tmp_path: Path, candles: CsvCandles, reference: Trader) -> None:
    """Whole runs with SIGKILLs at random times until RANDOM_KILLS kills have landed."""
    rng = random.Random(20261127)
    whole = reference.seconds  # one uninterrupted run, fork included
    kills = runs = 0
    while kills < RANDOM_KILLS:
        trader = Trader(tmp_path / f"run-{runs}", candles)
        trader.root.mkdir()
        trader.run(lambda i: (None, rng.uniform(0.0, whole)))
        assert trader.history() == reference.history(), f"run {runs}"
        assert trader.final_state() == {**reference.final_state(), "temporaries": []}
        kills += trader.kills
        runs += 1
    print(f"random instants: {kills} kills over {runs} runs")
