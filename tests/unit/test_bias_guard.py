"""The re-run guard: data read inside get_signal fails whatever reads it (Python open,
pyarrow's C++ Parquet reader, sqlite3), enforced by the kernel (Landlock) in the worker, while
the interpreter, site-packages and tzdata stay readable (a lazy ZoneInfo is not flagged)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backtestkit.actors import add_exchange, add_frame, add_strategy, add_sweep, analyze_bias
from backtestkit.actors.analysis.sandbox import landlock_abi
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import CsvCandles

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import bias_strategies as bs

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
DATA = Path(__file__).resolve().parents[1] / "data" / "kaggle_BTCUSD_1m.csv"


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


def test_reads_by_any_library_are_flagged_and_a_lazy_zoneinfo_is_not(tmp_path: Path) -> None:
    level = 8_600.0  # between the day's prices: both sides trade
    pq.write_table(pa.table({"level": [level]}), tmp_path / "level.parquet")
    with sqlite3.connect(tmp_path / "level.db") as db:
        db.execute("create table levels (level real)")
        db.execute("insert into levels values (?)", (level,))
    (tmp_path / "level.txt").write_text(str(level), encoding="utf-8")
    add_exchange("kaggle", candles=CsvCandles(DATA))
    add_frame("day", start=datetime(2018, 3, 24, tzinfo=UTC), end=datetime(2018, 3, 25, tzinfo=UTC))
    names = {}
    for fn, file in ((bs.parquet_level, "level.parquet"), (bs.sqlite_level, "level.db"),
                     (bs.file_level, "level.txt")):  # fmt: skip
        (names[fn.__name__],) = add_sweep(
            fn.__name__, get_signal=fn, grid={"path": [str(tmp_path / file)]}, interval="15m"
        )
    add_strategy("new_york_session", interval="15m", get_signal=bs.new_york_session)
    report = analyze_bias("BTCUSD", strategies=[*names.values(), "new_york_session"],
                          exchange="kaggle", frame="day", warmups=(None,), workers=2)  # fmt: skip
    new_york = report.strategy("new_york_session")
    assert new_york.signals_checked > 0 and not new_york.biased
    reads = {name: report.strategy(strategy) for name, strategy in names.items()}
    for name, found in reads.items():
        assert found.signals_checked > 0, name
    if landlock_abi() is None:  # the report says how little guards the reads
        assert report.guard.startswith("audit-hook (Landlock not available")
        assert reads["file_level"].biased and not reads["parquet_level"].biased
        return
    assert report.guard.startswith(f"landlock (ABI {landlock_abi()}:")
    assert report.lines()[-1] == f"re-run reads guarded by {report.guard}"
    for name, found in reads.items():
        assert found.signals_changed == found.signals_checked, name  # every signal fails
        assert found.first is not None and (found.first.baseline, found.first.truncated) == (
            "signal", "error"
        ), name  # fmt: skip
    assert reads["parquet_level"].first.error.startswith("PermissionError: ")  # type: ignore[union-attr]
    assert "level.parquet" in reads["parquet_level"].first.error  # type: ignore[union-attr]
    # the audit hook sees sqlite3.connect first (the kernel refuses it too: the test below)
    assert reads["sqlite_level"].first.error.startswith("PermissionError: get_signal opened ")  # type: ignore[union-attr]
    assert "level.db" in reads["sqlite_level"].first.error  # type: ignore[union-attr]
    assert reads["file_level"].first.error.startswith("PermissionError: ")  # type: ignore[union-attr]


PROBE = """
import sys, sqlite3
import pyarrow.parquet as pq
from backtestkit.actors.analysis.sandbox import enforce_reads
guard = enforce_reads()
print(guard.mechanism)
for name, read in (("open", lambda: open(sys.argv[1]).read()),
                   ("parquet", lambda: pq.read_table(sys.argv[2])),
                   ("sqlite3", lambda: sqlite3.connect(sys.argv[3]).execute("select 1").fetchall()),
                   ("zoneinfo", lambda: __import__("zoneinfo").ZoneInfo.no_cache("Asia/Tokyo")),
                   ("stdlib", lambda: __import__("csv"))):
    try:
        read()
        print(name, "read")
    except Exception as exc:
        print(name, type(exc).__name__)
"""


@pytest.mark.skipif(landlock_abi() is None, reason="the kernel has no Landlock")
def test_the_kernel_refuses_data_files_to_every_reader(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    pq.write_table(pa.table({"a": [1]}), tmp_path / "a.parquet")
    sqlite3.connect(tmp_path / "a.db").close()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *(str(tmp_path / f) for f in ("a.txt", "a.parquet", "a.db"))],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.splitlines() == [
        "landlock",
        "open PermissionError",
        "parquet PermissionError",
        "sqlite3 OperationalError",
        "zoneinfo read",
        "stdlib read",
    ]
