"""`backtestkit analyze bias`, run as a user runs it (a subprocess of the CLI module)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "backtestkit.adapters.cli"]
QUIET_LOGS = {**os.environ, "BACKTESTKIT_LOG_LEVEL": "warning"}
DATA = ROOT / "tests" / "data" / "kaggle_BTCUSD_1m.csv"
SCRIPT = f"""\
import sys
from datetime import UTC, datetime

sys.path.insert(0, {str(ROOT / "tests" / "fixtures")!r})
from bias_strategies import one_candle_peek, sma_cross

from backtestkit.actors import add_exchange, add_frame, add_strategy
from backtestkit.adapters.candles import CsvCandles

add_exchange("kaggle", candles=CsvCandles({str(DATA)!r}))
add_frame("day", start=datetime(2018, 3, 24, tzinfo=UTC), end=datetime(2018, 3, 25, tzinfo=UTC))
add_strategy("clean", interval="15m", get_signal=sma_cross)
add_strategy("peek", interval="15m", get_signal=one_candle_peek)
"""
ARGS = ["--symbol", "BTCUSD", "--exchange", "kaggle", "--frame", "day"]
FRAME_START = int(datetime(2018, 3, 24, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bias_script.py").write_text(SCRIPT)
    return tmp_path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, env=QUIET_LOGS, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def test_analyze_bias_reports_each_strategy(project: Path) -> None:
    done = run("analyze", "bias", "bias_script.py", *ARGS, "--strategy", "clean", "--strategy",
               "peek", "--warmup", "120", "--jsonl", "bias.jsonl", cwd=project)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "Look-ahead bias on BTCUSD (kaggle, frame day, safe profile, histories: full, 120 min)"
    )
    rows = [orjson.loads(line) for line in (project / "bias.jsonl").read_bytes().splitlines()]
    assert [(r["strategy"], r["biased"]) for r in rows] == [("clean", False), ("peek", True)]
    clean, peek = rows
    assert clean["signals_checked"] > 0 and clean["signals_changed"] == 0
    assert clean["first"] is None
    assert peek["signals_changed"] == peek["signals_checked"] > 0
    # 00:00 is the first decision; the cut history ends at 23:59, so the peek at the forming
    # candle (row 679 of the 679 rows since 2018-03-23 12:41) falls off the end
    assert peek["first"]["timestamp"] == FRAME_START
    assert peek["first"]["field"] == "outcome"
    assert (
        peek["first"]["error"] == "IndexError: index 679 is out of bounds for axis 0 with size 679"
    )
    assert any(line.startswith("peek ") and "2018-03-24 00:00 outcome" in line for line in lines)


def test_fail_on_bias_exits_1(project: Path) -> None:
    done = run("analyze", "bias", "bias_script.py", *ARGS, "--strategy", "peek",
               "--fail-on-bias", "--quiet", "--workers", "1", cwd=project)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "backtestkit: look-ahead bias in peek"
    clean = run("analyze", "bias", "bias_script.py", *ARGS, "--strategy", "clean",
                "--fail-on-bias", "--quiet", "--workers", "1", cwd=project)  # fmt: skip
    assert clean.returncode == 0, clean.stderr


def test_usage_errors_are_one_line(project: Path) -> None:
    done = run("analyze", "bias", "bias_script.py", *ARGS, "--strategy", "nope", cwd=project)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "backtestkit: error: strategy 'nope': not found; registered strategies: 'clean', 'peek'"
    )
    done = run("analyze", "bias", "bias_script.py", *ARGS, "--strategy", "clean",
               "--warmup", "0", cwd=project)  # fmt: skip
    assert done.returncode == 2
    assert "--warmup: must be an integer >= 1, got '0'" in done.stderr
    done = run("analyze", "bias", "bias_script.py", "--symbol", "BTCUSD", cwd=project)
    assert done.returncode == 2 and "required" in done.stderr


def test_the_no_signal_sample_is_chosen_on_the_command_line(project: Path) -> None:
    done = run("analyze", "bias", "bias_script.py", *ARGS, "--strategy", "clean", "--warmup",
               "120", "--idle-sample", "0", "--jsonl", "-", cwd=project)  # fmt: skip
    assert done.returncode == 0, done.stderr
    sampled = orjson.loads(done.stdout.splitlines()[-1])
    # without the sample only the instants in the 15 minutes before each of the 4 signals
    assert sampled["strategy"] == "clean" and 0 < sampled["idle_checked"] <= 4
    done = run("analyze", "bias", "bias_script.py", *ARGS, "--strategy", "clean",
               "--idle-sample", "-1", cwd=project)  # fmt: skip
    assert done.returncode == 2
    assert "--idle-sample: must be an integer >= 0, got '-1'" in done.stderr
