"""Smoke test: every examples/*.py runs to completion (exit code 0) as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
TIMEOUT_S = 120


def test_examples_exist() -> None:
    assert {"backtest_sma.py", "live_paper.py"} <= {path.name for path in EXAMPLES}


@pytest.mark.parametrize("script", EXAMPLES, ids=[path.stem for path in EXAMPLES])
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
