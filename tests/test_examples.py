"""Smoke test: every examples/*.py and examples/plugins/*.py runs to completion (exit code 0) as
a user would run it (files starting with "_" are shared helpers, not examples)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = [
    path
    for path in sorted(_ROOT.glob("*.py")) + sorted(_ROOT.glob("plugins/*.py"))
    if not path.name.startswith("_")
]
TIMEOUT_S = 120


def test_examples_exist() -> None:
    assert {
        "backtest_sma.py",
        "live_paper.py",
        "schemas.py",
        "trade_journal.py",
        "minute_notifier.py",
        "rolling_win_rate.py",
    } <= {path.name for path in EXAMPLES}


@pytest.mark.parametrize("script", EXAMPLES, ids=[str(p.relative_to(_ROOT)) for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path) -> None:
    """Run in a scratch working directory, so reports (./dump/...) land there."""
    env = {**os.environ, "BACKTESTKIT_LOG_LEVEL": "warning"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{script.name} printed nothing"


def test_make_run_writes_the_markdown_and_html_reports(tmp_path: Path) -> None:
    """`make run`: a summary table on stdout, dump/backtest/sma-cross.md and .html."""
    done = subprocess.run(
        [sys.executable, str(_ROOT / "backtest_sma.py")],
        cwd=tmp_path,
        env={**os.environ, "BACKTESTKIT_LOG_LEVEL": "warning"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "closed signals counted" in done.stdout and "max drawdown" in done.stdout
    report = tmp_path / "dump" / "backtest"
    assert (report / "sma-cross.md").read_text().startswith("# Backtest Report: sma-cross")
    html = (report / "sma-cross.html").read_text()
    assert "Simulation assumptions" in html and "data:image/png;base64," in html
