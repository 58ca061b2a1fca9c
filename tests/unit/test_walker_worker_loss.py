"""A walker worker process that dies (issue 23, item 7).

* its strategies run once more, each in a fresh worker of its own: a worker lost once costs
  nothing (the results equal an in-process walk);
* a strategy whose second run is lost too is a failed strategy: named in `get_data`, the
  report, `walker_complete`, the error topic, the CLI summary, and the CLI exits 1;
* workers, the forkserver and the resource tracker die with the walk's process (SIGKILL), and
  SIGTERM stops a CLI walk gracefully (exit 130, nothing left behind).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
import walker_strategies as ws

from backtestkit.actors import Walker, add_exchange, add_frame, add_strategy, add_sweep, add_walker
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.adapters.executors.process_pool import WorkerLostError
from backtestkit.bus import listen_error, listen_walker_complete

SYMBOL = "BTCUSDT"
pytestmark = pytest.mark.slow
UNIT = Path(__file__).resolve().parent


def setup(marker: Path, victim: Any) -> list[str]:
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.make_candles(days=1)}))
    add_frame("day", start=ws.START, end=ws.START + 1440 * ws.MINUTE)
    add_strategy("a", interval="1m", get_signal=ws.sma_5_20)
    [victim_name] = add_sweep("victim", get_signal=victim, interval="1m",
                              grid={"marker": [str(marker)]})  # fmt: skip
    add_strategy("c", interval="1m", get_signal=ws.sma_3_12)
    add_strategy("ref", interval="1m", get_signal=ws.sma_5_20)  # the victim's healthy twin
    return ["a", victim_name, "c"]


def walk(walker: str, **options: Any) -> dict[str, Any]:
    async def collect() -> dict[str, Any]:
        with anyio.fail_after(180):
            return {
                c.strategy_name: c.stats async for c in Walker.run(SYMBOL, walker=walker, **options)
            }

    return anyio.run(collect)


def trades(stats: Any) -> list[tuple[int, float]]:
    return [(c.signal.pending_at, c.pnl.pnl_percentage) for c in stats.signal_list]


def test_a_worker_lost_once_costs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "died"
    names = setup(marker, ws.dies_once)
    add_walker(
        "twin", strategies=["a", "ref", "c"], exchange="mem", frame="day", metric="total_pnl"
    )
    add_walker("w", strategies=names, exchange="mem", frame="day", metric="total_pnl")
    expected = walk("twin")
    errors: list[BaseException] = []
    listen_error(errors.append)
    got = walk("w", workers=2)
    assert marker.exists()  # a worker really was killed at the victim's 100th frame
    assert list(got) == names and errors == []
    assert trades(got[names[1]]) == trades(expected["ref"]) and len(trades(expected["ref"])) > 5
    assert trades(got["a"]) == trades(expected["a"]) and trades(got["c"]) == trades(expected["c"])
    data = Walker.get_data(SYMBOL, "w")
    assert data.failed_strategies == ()
    assert "Strategies Failed" not in Walker.get_report(SYMBOL, "w")


def test_a_strategy_that_kills_every_worker_fails_alone(tmp_path: Path) -> None:
    marker = tmp_path / "kills"
    names = setup(marker, ws.kills_its_worker)
    victim = names[1]
    add_walker("w", strategies=names, exchange="mem", frame="day", metric="total_pnl")
    add_walker("healthy", strategies=["a", "c"], exchange="mem", frame="day", metric="total_pnl")
    expected = walk("healthy")
    errors: list[BaseException] = []
    listen_error(errors.append)
    completes: list[Any] = []
    listen_walker_complete(completes.append)
    got = walk("w", workers=2)
    assert len(marker.read_text().split()) == 2  # its first run and its run again, both killed
    assert list(got) == ["a", "c"]  # the others lost their worker once at most, and finished
    assert trades(got["a"]) == trades(expected["a"]) and trades(got["c"]) == trades(expected["c"])
    [lost] = [e for e in errors if isinstance(e, WorkerLostError)]
    assert str(lost).startswith(f"strategy {victim}: its worker process died twice")
    [complete] = completes
    assert complete.failed_strategies == (victim,) and complete.total_strategies == 3
    data = Walker.get_data(SYMBOL, "w")
    assert data.failed_strategies == (victim,) and data.total_strategies == 3
    report = Walker.get_report(SYMBOL, "w").splitlines()
    tested = report.index("**Strategies Tested:** 3")
    assert report[tested + 1] == f"**Strategies Failed:** 1 ({victim})"


CLI_SCRIPT = """\
import sys
sys.path.insert(0, {unit!r})
import walker_strategies as ws
from backtestkit.actors import add_exchange, add_frame, add_strategy, add_sweep, add_walker
from backtestkit.adapters.candles import MemoryCandles

add_exchange("mem", candles=MemoryCandles({{"BTCUSDT": ws.make_candles(days=1)}}))
add_frame("day", start=ws.START, end=ws.START + 1440 * ws.MINUTE)
add_strategy("a", interval="1m", get_signal=ws.sma_5_20)
add_strategy("slow-1", interval="1m", get_signal=ws.slow_never)
add_strategy("slow-2", interval="1m", get_signal=ws.slow_never)
killer = add_sweep("killer", get_signal=ws.kills_its_worker, interval="1m",
                   grid={{"marker": [{marker!r}]}})
add_walker("w", strategies=["a", *killer], exchange="mem", frame="day", metric="total_pnl")
add_walker("slow", strategies=["slow-1", "slow-2"], exchange="mem", frame="day", metric="total_pnl")
"""


def cli(tmp_path: Path, *args: str) -> list[str]:
    script = tmp_path / "script.py"
    script.write_text(CLI_SCRIPT.format(unit=str(UNIT), marker=str(tmp_path / "kills")))
    return [sys.executable, "-m", "backtestkit.adapters.cli", "walk", str(script),
            "--symbol", SYMBOL, *args]  # fmt: skip


def test_cli_walk_names_the_failed_strategy_and_exits_1(tmp_path: Path) -> None:
    done = subprocess.run(
        cli(tmp_path, "--walker", "w", "--workers", "2"), capture_output=True, text=True,
        timeout=300, check=False, env={**os.environ, "BACKTESTKIT_LOG_LEVEL": "critical"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    victim = f"killer[marker={str(tmp_path / 'kills')!r}]"
    squeezed = "".join(done.stdout.split())  # the caption is centred and may wrap
    assert "".join(f"FAILED (1 of 2): {victim}".split()) in squeezed
    assert f"walk: 1 strategies failed: {victim}" in done.stderr


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children of children...), from /proc."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_slow_walk(tmp_path: Path) -> tuple[subprocess.Popen[str], set[int]]:
    """A CLI walk of two slow strategies on 2 workers; returns once both workers run."""
    walk_process = subprocess.Popen(
        cli(tmp_path, "--walker", "slow", "--workers", "2"), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "BACKTESTKIT_LOG_LEVEL": "critical"},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        family = descendants(walk_process.pid)
        # the forkserver, the resource tracker and two workers (children of the forkserver)
        if len(family) >= 4:
            time.sleep(0.5)  # the workers are busy with their strategies
            return walk_process, descendants(walk_process.pid)
        assert time.monotonic() < deadline, family
        time.sleep(0.05)


def wait_all_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left:
            return left
        time.sleep(0.05)
    return {pid for pid in pids if alive(pid)}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_a_killed_walk(tmp_path: Path) -> None:
    """SIGKILL of the walk's process: its workers, forkserver and resource tracker were alive
    12 minutes later; now all are gone within 3 s."""
    walk_process, family = start_slow_walk(tmp_path)
    walk_process.send_signal(signal.SIGKILL)
    walk_process.wait(timeout=10)
    assert wait_all_gone(family, 3.0) == set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_stops_a_walk_gracefully(tmp_path: Path) -> None:
    walk_process, family = start_slow_walk(tmp_path)
    walk_process.send_signal(signal.SIGTERM)
    assert walk_process.wait(timeout=10) == 130
    assert "interrupted" in (walk_process.stderr.read() if walk_process.stderr else "")
    assert wait_all_gone(family, 3.0) == set()
