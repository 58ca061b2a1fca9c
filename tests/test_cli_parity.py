"""`backtestkit parity STATE_DIR --script SCRIPT.py`, run as a user runs it (a subprocess).

The script below registers the "follow" strategy of tests/conformance/test_live_vs_backtest.py
(a long at the VWAP P whenever flat: TP P * 1.006, SL P * 0.994, 30 min) on the kaggle CSV; run
as a program it paper-trades 6 hours live from S = 2018-03-23T12:51Z on a virtual clock (so the
recording is made by the engine, not by this test). With LATE_FEED=1 the feed lacks the candle of
the current minute at tick 6 (12:57:00.006), where live opens its 2nd position: worked by hand in
that module, the backtest opens it at the VWAP of 12:53 .. 12:57, 8304.948384 (windows from
the tick's minute).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "kaggle_BTCUSD_1m.csv"
CLI = [sys.executable, "-m", "backtestkit.adapters.cli"]
ENV = {**os.environ, "BACKTESTKIT_LOG_LEVEL": "warning"}
S = 1_521_809_460_000
TICK6 = S + 6 * 60_001
SCRIPT = f"""\
import os, sys
import anyio
from backtestkit.actors import Live, Signal, VirtualClock, add_exchange, add_strategy
from backtestkit.actors import get_average_price
from backtestkit.actors.market.candles import Candles
from backtestkit.adapters.candles import CsvCandles, ReplayCandles

S, END = {S}, {S} + 6 * 3_600_000
clock = VirtualClock(S)

class Feed:
    replay = ReplayCandles(CsvCandles({str(DATA)!r}), clock)

    def fetch(self, symbol, interval, since, limit):
        served = self.replay.fetch(symbol, interval, since, limit)
        if os.environ.get("LATE_FEED") and clock.now() == {TICK6}:
            return Candles.from_rows([c for c in served if c.timestamp < {TICK6} - 6])
        return served

def follow(symbol, when):
    price = get_average_price(symbol)
    return Signal("long", price * 1.006, price * 0.994, 30)

add_exchange("paper", candles=Feed())
add_strategy("follow", interval="1m", get_signal=follow)

async def main():
    results = Live.run("BTCUSD", strategy="follow", exchange="paper", clock=clock,
                       state_dir=sys.argv[1])
    async for result in results:
        if clock.now() > END:
            break
    await results.aclose()

if __name__ == "__main__":
    anyio.run(main)
"""


def run(
    *args: str | Path, cwd: Path, env: dict[str, str] = ENV
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def paper(tmp_path: Path, *, late: bool) -> Path:
    script = tmp_path / "paper.py"
    script.write_text(SCRIPT)
    state = tmp_path / "state"
    env = {**ENV, "LATE_FEED": "1"} if late else ENV
    done = run(sys.executable, script, state, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    return state


class Verdict(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self.classes.append(dict(attrs).get("class") or "")


def test_parity_of_a_clean_paper_run_exits_0(tmp_path: Path) -> None:
    state = paper(tmp_path, late=False)
    done = run(*CLI, "parity", state, "--script", tmp_path / "paper.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first, md_line, html_line = done.stdout.splitlines()
    assert re.fullmatch(r"parity: (\d+) signals, 0 mismatches", first)
    assert md_line == "Markdown report: dump/parity/BTCUSD_follow.md"
    assert html_line == "HTML report: dump/parity/BTCUSD_follow.html"
    report = (tmp_path / "dump" / "parity" / "BTCUSD_follow.md").read_text()
    assert "**Parity holds: " in report and "| Mismatched signals | 0 |" in report
    page = Verdict()
    page.feed((tmp_path / "dump" / "parity" / "BTCUSD_follow.html").read_text())
    assert "verdict ok" in page.classes


def test_parity_of_a_late_feed_exits_1_naming_the_signal_and_field(tmp_path: Path) -> None:
    state = paper(tmp_path, late=True)
    md, html = tmp_path / "out" / "p.md", tmp_path / "out" / "p.html"
    done = run(
        *CLI, "parity", state, "--script", "paper.py", "--symbol", "BTCUSD",
        "--strategy", "follow", "--report", md, "--html", html, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    first = done.stdout.splitlines()[0]
    match = re.fullmatch(
        rf"parity: first divergence at signal #3 \(follow:BTCUSD:{TICK6}\): "
        r"signal\.price_open: live ([0-9.]+) != backtest ([0-9.]+)",
        first,
    )
    assert match is not None, first
    assert round(float(match.group(2)), 6) == 8304.948384
    assert float(match.group(1)) != float(match.group(2))
    assert "## First divergence: signal #3" in md.read_text()
    page = Verdict()
    page.feed(html.read_text())
    assert "verdict diverges" in page.classes


def test_parity_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "paper.py").write_text(SCRIPT)
    (tmp_path / "empty").mkdir()
    cases = {
        "state dir not found: nope": ["nope"],
        "parity: give --symbol and --strategy together (or neither)": [
            "empty",
            "--symbol",
            "BTCUSD",
        ],
        "state dir empty: 0 live recordings (none); name the symbol and strategy to compare": [
            "empty"
        ],
    }
    for message, args in cases.items():
        done = run(*CLI, "parity", *args, "--script", "paper.py", cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr == f"backtestkit: error: {message}\n"
