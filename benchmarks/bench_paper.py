"""Paper session from the command line (issue 24): `backtestkit live --replay-from ... --replay-to
...` over two days of the shipped Bitstamp candles (2 880 ticks of 60 001 ms), then `backtestkit
parity` on its state dir, each timed as a user runs it (a fresh process, imports included).
Target: the live command under 60 s.

Run: `python benchmarks/bench_paper.py`. Always exits 0 (benchmarks report, tests assert).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "backtestkit.adapters.cli"]
LIVE_TARGET_S = 60.0
SESSION = [
    "--symbol", "BTCUSD", "--strategy", "sma-cross", "--exchange", "bitstamp",
    "--replay-from", "2026-08-17T01:00Z", "--replay-to", "2026-08-19T01:00Z", "--quiet",
]  # fmt: skip


def timed(args: list[str], cwd: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "BACKTESTKIT_LOG_LEVEL": "error"}
    started = time.perf_counter()
    done = subprocess.run(
        [*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    return time.perf_counter() - started, done


def main() -> int:
    schemas = str(ROOT / "examples" / "schemas.py")
    with tempfile.TemporaryDirectory(prefix="bench_paper_") as tmp:
        live_s, live = timed(["live", schemas, *SESSION, "--state-dir", "state"], tmp)
        parity_s, parity = timed(["parity", "state", "--script", schemas], tmp)
    ok = live.returncode == 0 and parity.returncode == 0
    verdict = "OK" if ok and live_s <= LIVE_TARGET_S else "MISSED"
    answer = parity.stdout.splitlines()[0] if parity.stdout else parity.stderr.strip()
    print(
        f"live.paper_session: {live_s:.2f} s for two days of replay from the CLI (exit "
        f"{live.returncode}), then parity {parity_s:.2f} s ({answer}) "
        f"(target <= {LIVE_TARGET_S:g} s) {verdict}"
    )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
