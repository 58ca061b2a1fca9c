"""The reference engine (backtest-kit 1.5.25, Node) timed on our workloads in the same run.

`reference_bench.mjs` drives it through its public API on the very candles our benchmark uses,
written to a temporary file. It is found through $REFENG (default /tmp/refeng, installed as
tests/golden/README.md shows); without Node or the engine the figures recorded below are used
and labelled as such.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["ReferenceRun", "time_reference"]

SCRIPT = Path(__file__).with_name("reference_bench.mjs")
COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
# full-year runs of reference_bench.mjs on this project's 2-core machine, 2026-12-04
RECORDED_SECONDS = {"sma": 11.7, "idle": 26.1}


@dataclass(frozen=True)
class ReferenceRun:
    workload: str
    seconds: float
    closed: int | None  # closed signals it yielded; None when recorded
    measured: bool
    cpu_seconds: float | None = None  # CPU time of the run (all its threads); None when recorded

    @property
    def label(self) -> str:
        return "measured in this run" if self.measured else "recorded 2026-12-04, not installed"


def _engine() -> Path | None:
    folder = Path(os.environ.get("REFENG", "/tmp/refeng"))
    if shutil.which("node") is None:
        return None
    if not (folder / "node_modules/backtest-kit/build/index.mjs").is_file():
        return None
    return folder


_runs: dict[tuple[str, int, str], ReferenceRun] = {}


def time_reference(columns: dict[str, np.ndarray], workload: str, frames: int) -> ReferenceRun:
    """One run of the reference on `workload` ("sma" or "idle") over `frames` frames; kept for
    the rest of the `make bench` run (the walker benchmark reuses the SMA year)."""
    engine = _engine()
    if engine is None:
        return ReferenceRun(workload, RECORDED_SECONDS[workload], None, measured=False)
    table = np.column_stack([np.asarray(columns[name], dtype="<f8") for name in COLUMNS])
    key = (workload, frames, hashlib.sha256(table.tobytes()).hexdigest())
    if key not in _runs:
        _runs[key] = _run(engine, table, workload, frames)
    return _runs[key]


def _run(engine: Path, table: np.ndarray, workload: str, frames: int) -> ReferenceRun:
    with tempfile.TemporaryDirectory(prefix="bench_reference_") as tmp:
        path = Path(tmp) / "candles.f64"
        table.tofile(path)
        done = subprocess.run(
            ["node", str(SCRIPT), str(path), workload, str(frames)],
            env={**os.environ, "REFENG": str(engine)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"reference_bench.mjs {workload} failed: {done.stderr.strip()}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return ReferenceRun(
        workload,
        float(figures["seconds"]),
        int(figures["closed"]),
        True,
        float(figures["cpuSeconds"]),
    )
