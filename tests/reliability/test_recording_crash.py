"""SIGKILL during recording loses no recorded minute a signal depended on, and parity still holds.

The crash suite's trader (tests/reliability/crash_worker.py: the golden fuzz strategy with limit
entries, cancellations and a risk profile, on virtual time) is killed at every commit of its live
recording (before the write, after the write but before the fsync, after the fsync but before the
state write) and at random instants. Afterwards:
* every transition the consumer was handed (the journal) is in the recording, at its tick, and
  that tick is a recorded minute;
* `parity` over the recording (several runs, one per incarnation) finds 0 mismatches and every
  restart explained;
* the consumer's history still equals the uninterrupted run's.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import orjson
import pytest

from backtestkit.actors import parity
from backtestkit.actors.testing import reset_engine

from . import crash_worker
from .test_crash_injection import SEED, Trader, candles, reference

__all__ = ["candles", "reference"]  # the fixtures, shared with the crash suite

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def check_recording(trader: Trader) -> tuple[int, int]:
    """(signals compared, runs); asserts the two properties of the module docstring."""
    reset_engine()
    crash_worker.register(SEED)
    result = parity(trader.state_dir)
    recording = result.recording
    ticks = {tick for run in recording.runs for tick in run.ticks}
    recorded = {(item["action"], item["signal"]["id"], tick) for tick, item in recording.signals}
    handed = [
        orjson.loads(line)
        for line in trader.journal.read_bytes().splitlines()
        if line and orjson.loads(line)["action"] in ("opened", "closed", "cancelled")
    ]
    assert len(handed) >= 10
    for entry in handed:
        assert entry["tick"] in ticks, entry
        assert (entry["action"], entry["id"], entry["tick"]) in recorded, entry
    assert result.first_divergence().endswith(" 0 mismatches")
    assert result.ok, [note for note in result.replay.restarts if not note.explained]
    assert recording.torn_bytes == 0
    return len(result.comparisons), len(recording.runs)


def test_the_uninterrupted_recording_replays(reference: Trader) -> None:
    compared, runs = check_recording(reference)
    assert runs == 1 and compared >= 10


@pytest.mark.parametrize(
    "phase", ["record:before_commit", "record:after_write", "record:after_fsync"]
)
def test_killed_at_every_recording_commit(
    tmp_path: Path, candles: object, reference: Trader, phase: str
) -> None:
    """Each incarnation dies at its 3rd recording commit (the 1st records the run's start, the
    2nd is the interrupted tick's again), so every transition's commit is hit in the phase."""
    trader = Trader(tmp_path, candles)  # type: ignore[arg-type]
    trader.run(lambda i: ((3, phase), None))
    assert trader.kills >= 40
    assert trader.history() == reference.history()
    compared, runs = check_recording(trader)
    yielded = [entry for entry in reference.history() if entry[0] != "scheduled"]
    assert runs == trader.incarnations and compared >= len(yielded)


def test_killed_at_random_instants_the_recording_still_replays(
    tmp_path: Path, candles: object, reference: Trader
) -> None:
    rng = random.Random(20261206)
    kills = runs = 0
    while kills < 20:
        trader = Trader(tmp_path / f"run-{runs}", candles)  # type: ignore[arg-type]
        trader.root.mkdir()
        trader.run(lambda i: (None, rng.uniform(0.0, reference.seconds)))
        assert trader.history() == reference.history(), f"run {runs}"
        check_recording(trader)
        kills += trader.kills
        runs += 1
