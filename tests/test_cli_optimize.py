"""`backtestkit optimize`, run as a user runs it: a search kept in a journal file, resumed by a
second command, with the usage errors of the new options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")
ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "backtestkit.adapters.cli"]
QUIET_LOGS = {**os.environ, "BACKTESTKIT_LOG_LEVEL": "warning"}
SCRIPT = f"""\
import sys
sys.path.insert(0, {str(ROOT / "tests" / "unit")!r})
import walker_strategies as ws
from walker_strategies import long_grid

from backtestkit.actors import add_exchange, add_frame
from backtestkit.adapters.candles import MemoryCandles

add_exchange("mem", candles=MemoryCandles({{"BTCUSDT": ws.trending_candles()}}))
add_frame("day", start=ws.START, end=ws.START + 86_400_000)


def space(trial):
    return {{"take": trial.suggest_categorical("take", [0.008, 0.012, 0.02]), "stop": 0.01}}
"""
ARGS = ["--symbol", "BTCUSDT", "--name", "long", "--get-signal", "long_grid", "--space", "space",
        "--exchange", "mem", "--frame", "day", "--interval", "5m",
        "--metric", "total_pnl"]  # fmt: skip


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, env=QUIET_LOGS, capture_output=True, text=True, timeout=180,
        check=False,
    )  # fmt: skip


def test_a_search_kept_in_a_journal_resumes(tmp_path: Path) -> None:
    (tmp_path / "search.py").write_text(SCRIPT)
    first = run("optimize", "search.py", *ARGS, "--trials", "3", "--storage", "s.journal",
                "--report", "out/search.md", cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0].startswith(
        "optimize long: study 'long': 3 trials complete, "
    )
    report = (tmp_path / "out" / "search.md").read_text()
    assert report.startswith("# Walker Comparison Report: long\n")
    assert "## Overfitting Check" in report
    second = run("optimize", "search.py", *ARGS, "--trials", "5", "--storage", "s.journal",
                 "--study-name", "long", "--quiet", cwd=tmp_path)  # fmt: skip
    assert second.returncode == 0, second.stderr
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "s.journal"))
    )
    study = optuna.load_study(study_name="long", storage=storage)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 5
    # three take values: at most three configurations were ever run
    assert len({t.user_attrs["strategy"] for t in study.trials}) <= 3


def test_usage_errors_name_the_option(tmp_path: Path) -> None:
    (tmp_path / "search.py").write_text(SCRIPT)
    args = [a if a != "long_grid" else "nope" for a in ARGS]
    done = run("optimize", "search.py", *args, "--trials", "2", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(
        "backtestkit: error: --get-signal 'nope': no such function in search.py; it defines "
    )
    assert "'long_grid'" in done.stderr and "'space'" in done.stderr
    done = run("optimize", "search.py", *ARGS, "--trials", "0", cwd=tmp_path)
    assert done.returncode == 2
    assert "--trials: must be an integer >= 1, got '0'" in done.stderr
