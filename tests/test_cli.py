"""The `backtestkit` command line, run as a user runs it: a subprocess of
`python -m backtestkit.adapters.cli` (and the installed console script when present).

Exit codes: 0 success, 2 usage or configuration error (exactly one line on stderr), 1 failure
while running, 130 interrupted.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from backtestkit.actors import Backtest, Walker

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "examples" / "schemas.py"
CLI = [sys.executable, "-m", "backtestkit.adapters.cli"]
QUIET_LOGS = {**os.environ, "BACKTESTKIT_LOG_LEVEL": "warning"}
SMA = ["--symbol", "BTCUSD", "--strategy", "sma-cross", "--exchange", "bitstamp"]
CSV_HEADER = "timestamp,open,high,low,close,volume\n"
SCRIPT = """\
from datetime import UTC, datetime

from backtestkit.actors import add_exchange, add_frame, add_strategy
from backtestkit.adapters.candles import CsvCandles

add_exchange("csv", candles=CsvCandles("candles.csv"))
add_exchange("missing", candles=CsvCandles("missing.csv"))
add_frame("aug", start=datetime(2026, 8, 17, tzinfo=UTC), end=datetime(2026, 8, 18, tzinfo=UTC))
add_strategy("idle", interval="5m", get_signal=lambda symbol, when: None)
"""
ARGS = ["--symbol", "BTCUSD", "--strategy", "idle", "--frame", "aug"]


def run(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)],
        cwd=cwd,
        env=env or QUIET_LOGS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def error(done: subprocess.CompletedProcess[str]) -> str:
    """The one stderr line of a usage error (and nothing else)."""
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr.rstrip("\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with script.py and a well-formed candles.csv (a quiet day, 1440 minutes)."""
    (tmp_path / "script.py").write_text(SCRIPT)
    start = 1786924800000 - 60 * 60_000  # an hour of warm-up before 2026-08-17
    rows = [f"{start + i * 60_000},100,100.5,99.5,100,1\n" for i in range(26 * 60)]
    (tmp_path / "candles.csv").write_text(CSV_HEADER + "".join(rows))
    return tmp_path


# --- usage and configuration errors: exit 2, one line --------------------------------------


def test_unknown_strategy(project: Path) -> None:
    done = run("backtest", "script.py", "--symbol", "BTCUSD", "--strategy", "nope",
               "--exchange", "csv", "--frame", "aug", cwd=project)  # fmt: skip
    assert error(done) == (
        "backtestkit: error: strategy 'nope': not found; registered strategies: 'idle'"
    )


def test_unknown_exchange_frame_and_walker(project: Path) -> None:
    done = run("backtest", "script.py", *ARGS, "--exchange", "kraken", cwd=project)
    assert error(done) == (
        "backtestkit: error: exchange 'kraken': not found; registered exchanges: 'csv', 'missing'"
    )
    done = run("backtest", "script.py", *ARGS[:-1], "july", "--exchange", "csv", cwd=project)
    assert error(done) == "backtestkit: error: frame 'july': not found; registered frames: 'aug'"
    done = run("walk", "script.py", "--symbol", "BTCUSD", "--walker", "w", cwd=project)
    assert error(done) == "backtestkit: error: walker 'w': not found; registered walkers: none"


def test_missing_data_file(project: Path) -> None:
    done = run("backtest", "script.py", *ARGS, "--exchange", "missing", cwd=project)
    assert error(done) == "backtestkit: error: candle file not found: missing.csv"


def test_malformed_csv_row(project: Path) -> None:
    (project / "candles.csv").write_text(
        CSV_HEADER + "1786924800000,100,101,99,100,1\n1786924860000,100,101,99,abc,1\n"
    )
    done = run("backtest", "script.py", *ARGS, "--exchange", "csv", cwd=project)
    assert (
        error(done) == "backtestkit: error: candles.csv: row 3: field close: not a number ('abc')"
    )


def test_end_before_start(project: Path) -> None:
    (project / "frames.py").write_text(
        "from datetime import UTC, datetime\n"
        "from backtestkit.actors import add_frame\n"
        "\n"
        "add_frame('aug', start=datetime(2026, 8, 30, tzinfo=UTC),\n"
        "          end=datetime(2026, 8, 17, tzinfo=UTC))\n"
    )
    done = run("backtest", "frames.py", *ARGS, "--exchange", "csv", cwd=project)
    assert error(done) == (
        "backtestkit: error: frames.py:4: frame 'aug': start (2026-08-30 00:00:00+00:00) "
        "must be before end (2026-08-17 00:00:00+00:00)"
    )


def test_bad_date(project: Path) -> None:
    (project / "naive.py").write_text(
        "from datetime import datetime\n"
        "from backtestkit.actors import add_frame\n"
        "add_frame('aug', start=datetime(2026, 8, 17), end=datetime(2026, 8, 18))\n"
    )
    done = run("backtest", "naive.py", *ARGS, "--exchange", "csv", cwd=project)
    assert error(done) == (
        "backtestkit: error: naive.py:3: frame 'aug': start must be timezone-aware "
        "(e.g. datetime(..., tzinfo=timezone.utc)), got naive 2026-08-17T00:00:00"
    )


def test_missing_script_and_broken_script(project: Path) -> None:
    done = run("backtest", "nope.py", *ARGS, "--exchange", "csv", cwd=project)
    assert error(done) == "backtestkit: error: script not found: nope.py"
    (project / "broken.py").write_text("import os\nprint(undefined_name)\n")
    done = run("backtest", "broken.py", *ARGS, "--exchange", "csv", cwd=project)
    assert (
        error(done)
        == "backtestkit: error: broken.py:2: NameError: name 'undefined_name' is not defined"
    )


def test_usage_errors(project: Path) -> None:
    done = run("backtest", "script.py", "--symbol", "BTCUSD", cwd=project)
    assert error(done) == (
        "backtestkit: error: the following arguments are required: --strategy, --exchange, "
        "--frame (see 'backtestkit backtest --help')"
    )
    done = run("walk", "script.py", "--symbol", "X", "--walker", "w", "--workers", "0", cwd=project)
    assert error(done) == (
        "backtestkit: error: argument --workers: must be an integer >= 1, got '0' "
        "(see 'backtestkit walk --help')"
    )
    done = run("walk", "script.py", "--symbol", "X", "--walker", "w", "--workers", "2",
               "--dask", "tcp://localhost:8786", cwd=project)  # fmt: skip
    assert error(done) == (
        "backtestkit: error: argument --dask: not allowed with argument --workers "
        "(see 'backtestkit walk --help')"
    )


# --- failures while running: exit 1 ----------------------------------------------------------


def test_failure_while_running(project: Path) -> None:
    (project / "fails.py").write_text(
        SCRIPT + "\n\ndef boom(*args):\n    raise RuntimeError('boom')\n\n\n"
        "add_frame('bad', start=datetime(2026, 8, 17, tzinfo=UTC),\n"
        "          end=datetime(2026, 8, 18, tzinfo=UTC), callbacks={'on_timeframe': boom})\n"
    )
    done = run("backtest", "fails.py", *ARGS[:-1], "bad", "--exchange", "csv", cwd=project)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == "backtestkit: error: run failed: RuntimeError: boom"
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_fails_the_run(tmp_path: Path) -> None:
    done = run("backtest", SCHEMAS, *SMA, "--frame", "aug-2026", "--jsonl", "/dev/full",
               cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "backtestkit: error: run failed: OSError: [Errno 28] No space left on device"
    )


# --- successful runs ---------------------------------------------------------------------------


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows = 0
        self._trades = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._trades = dict(attrs).get("class") == "trades"
        elif tag == "tr" and self._trades:
            self.rows += 1


@pytest.fixture
def schemas_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/schemas.py registered in this process too (for the expected values)."""
    monkeypatch.syspath_prepend(str(SCHEMAS.parent))
    runpy.run_path(str(SCHEMAS))


def test_backtest_writes_jsonl_report_and_html(tmp_path: Path, schemas_here: None) -> None:
    out = tmp_path / "out"
    done = run("backtest", SCHEMAS, *SMA, "--frame", "aug-2026", "--jsonl", out / "r.jsonl",
               "--report", out / "r.md", "--html", out / "r.html", cwd=tmp_path,
               env={**os.environ, "BACKTESTKIT_LOG_LEVEL": "info"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "closed signals counted" in done.stdout and "HTML report:" in done.stdout
    logs = [json.loads(line) for line in done.stderr.splitlines()]  # JSON lines: not a terminal
    assert [e["event"] for e in logs] == ["report_saved", "report_saved"]

    expected = Backtest.run_sync("BTCUSD", strategy="sma-cross", exchange="bitstamp",
                                 frame="aug-2026")  # fmt: skip
    lines = (out / "r.jsonl").read_text().splitlines()
    assert len(lines) == len(expected) > 50
    assert [json.loads(line) for line in lines] == [
        json.loads(orjson.dumps(r.to_dict())) for r in expected
    ]
    assert (out / "r.md").read_text() == Backtest.get_report("BTCUSD", "sma-cross")
    rows = _Rows()
    rows.feed((out / "r.html").read_text())
    assert rows.rows == 1 + Backtest.get_data("BTCUSD", "sma-cross").total_signals  # + header


def test_quiet_backtest_prints_nothing(tmp_path: Path) -> None:
    done = run("backtest", SCHEMAS, *SMA, "--frame", "aug-2026", "--quiet", "--report", "r.md",
               cwd=tmp_path, env={k: v for k, v in os.environ.items()
                                  if k != "BACKTESTKIT_LOG_LEVEL"})  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert (tmp_path / "r.md").read_text().startswith("# Backtest Report: sma-cross")


def _walk_here() -> list[dict[str, Any]]:
    """The walker's contracts run in this process, as JSON values."""
    contracts: list[dict[str, Any]] = []

    async def walk() -> None:
        async for contract in Walker.run("BTCUSD", walker="compare"):
            contracts.append(json.loads(orjson.dumps(contract.to_dict())))

    anyio.run(walk)
    return contracts


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_walk_writes_jsonl(tmp_path: Path, schemas_here: None) -> None:
    done = run("walk", SCHEMAS, "--symbol", "BTCUSD", "--walker", "compare",
               "--jsonl", "walk.jsonl", "--report", "walk.md", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ranked by sharpe_ratio" in done.stdout
    contracts = _jsonl(tmp_path / "walk.jsonl")
    assert [c["strategy_name"] for c in contracts] == ["sma-5-20", "sma-10-40", "mean-reversion"]
    assert [c["strategies_tested"] for c in contracts] == [1, 2, 3]
    assert contracts == _walk_here()
    assert (tmp_path / "walk.md").read_text() == Walker.get_report("BTCUSD", "compare")


def test_walk_in_worker_processes_gives_the_same_contracts(
    tmp_path: Path, schemas_here: None
) -> None:
    done = run("walk", SCHEMAS, "--symbol", "BTCUSD", "--walker", "compare", "--workers", "2",
               "--jsonl", "walk.jsonl", "--quiet", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _jsonl(tmp_path / "walk.jsonl") == _walk_here()


# --- live ---------------------------------------------------------------------------------------


def test_live_configuration_error(project: Path) -> None:
    done = run("live", "script.py", "--symbol", "BTCUSD", "--strategy", "idle",
               "--exchange", "nope", cwd=project)  # fmt: skip
    assert error(done) == (
        "backtestkit: error: exchange 'nope': not found; registered exchanges: 'csv', 'missing'"
    )


def test_live_runs_until_interrupted(project: Path) -> None:
    process = subprocess.Popen(
        [*CLI, "live", "script.py", "--symbol", "BTCUSD", "--strategy", "idle",
         "--exchange", "csv", "--state-dir", "state"],
        cwd=project, env=QUIET_LOGS, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first.startswith("live: idle on BTCUSD via csv"), first
        time.sleep(0.5)  # inside the minute loop by now
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert err.rstrip().splitlines()[-1] == "backtestkit: interrupted"
    assert "Traceback" not in err


def test_live_refuses_a_foreign_saved_signal_and_adopts_it_when_told(project: Path) -> None:
    """A long saved under exchange "csv-old": `live` exits 1 naming the file and the
    difference, the file untouched; with --adopt the run starts, rewrites it under "csv", and
    SIGTERM stops it as Ctrl-C does (exit 130)."""
    (project / "flat.py").write_text(
        "from backtestkit.actors import add_exchange, add_strategy\n"
        "from backtestkit.actors.market import Candle\n"
        "class Flat:\n"
        "    def fetch(self, symbol, interval, since, limit):\n"
        "        times = [since + i * 60_000 for i in range(limit)]\n"
        "        return [Candle(t, 100, 100.5, 99.5, 100, 1) for t in times]\n"
        "add_exchange('csv', candles=Flat())\n"
        "add_strategy('idle', interval='5m', get_signal=lambda symbol, when: None)\n"
    )
    slot = project / "state" / "signal" / "BTCUSD_idle" / "BTCUSD.json"
    slot.parent.mkdir(parents=True)
    opened = int(time.time() // 60) * 60_000 - 60_000  # a minute ago: far from its 600-min expiry
    saved = {
        "id": "old-1", "position": "long", "priceOpen": 100.0, "priceTakeProfit": 102.0,
        "priceStopLoss": 98.0, "minuteEstimatedTime": 600, "note": "", "symbol": "BTCUSD",
        "exchangeName": "csv-old", "strategyName": "idle", "scheduledAt": opened,
        "pendingAt": opened, "_isScheduled": False,
    }  # fmt: skip
    slot.write_bytes(orjson.dumps(saved))
    args = ["live", "flat.py", "--symbol", "BTCUSD", "--strategy", "idle",
            "--exchange", "csv", "--state-dir", "state"]  # fmt: skip
    done = run(*args, cwd=project)
    assert done.returncode == 1, done.stderr
    assert f"state file {slot.relative_to(project)} holds signal old-1" in done.stderr
    assert "exchangeName 'csv-old' != run 'csv'" in done.stderr
    assert orjson.loads(slot.read_bytes()) == saved
    process = subprocess.Popen(
        [*CLI, *args, "--adopt"], cwd=project, env=QUIET_LOGS, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first.startswith("live: idle on BTCUSD via csv"), first
        deadline = time.monotonic() + 60
        while orjson.loads(slot.read_bytes())["exchangeName"] != "csv":
            assert time.monotonic() < deadline and process.poll() is None, process.poll()
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert orjson.loads(slot.read_bytes()) == {**saved, "exchangeName": "csv"}


# --- entry points -------------------------------------------------------------------------------


def test_module_and_console_script_help(tmp_path: Path) -> None:
    done = run("--help", cwd=tmp_path)
    assert done.returncode == 0 and "backtest" in done.stdout and "walk" in done.stdout
    script = shutil.which("backtestkit", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the backtestkit console script is not installed in this environment")
    done = subprocess.run([script, "backtest", "--help"], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0
    for option in ("--symbol", "--strategy", "--exchange", "--frame", "--jsonl", "--report",
                   "--html", "--quiet"):  # fmt: skip
        assert option in done.stdout


def test_jsonl_to_stdout_moves_the_summary_to_stderr(tmp_path: Path) -> None:
    done = run("backtest", SCHEMAS, *SMA, "--frame", "aug-2026", "--jsonl", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) > 50 and {line["action"] for line in lines} == {"closed"}
    assert "closed signals counted" in done.stderr


def test_live_lines() -> None:
    from hand_market import register_market

    from backtestkit.adapters.cli.live_lines import live_line
    from backtestkit.bus import topics

    seen: list[Any] = []
    topics.transition.subscribe(seen.append)
    register_market()
    Backtest.run_sync("AAA", strategy="plan", exchange="hand", frame="f")
    opened = next(r for r in seen if r.action == "opened")
    closed = next(r for r in seen if r.action == "closed")
    assert live_line(opened) == (
        "opened    plan:AAA:1767226800000 long AAA open 100 tp 101 sl 99 (2026-01-01T00:20:00.000Z)"
    )
    assert live_line(closed) == (
        "closed    plan:AAA:1767226800000 long AAA take_profit at 101 pnl +0.60 % "
        "(2026-01-01T00:30:00.000Z)"
    )


def test_jsonl_lines_are_flushed_as_they_go(tmp_path: Path) -> None:
    from hand_market import register_market

    from backtestkit.adapters.cli.jsonl import JsonlWriter

    register_market()
    path = tmp_path / "deep" / "r.jsonl"
    seen: list[int] = []
    with JsonlWriter(str(path)) as jsonl:
        for result in Backtest.run_sync("AAA", strategy="plan", exchange="hand", frame="f"):
            jsonl.write(result)
            seen.append(len(path.read_text().splitlines()))  # on disk before the next one
    assert seen == [1, 2, 3]
    first = json.loads(path.read_text().splitlines()[0])
    assert (first["action"], first["close_reason"], first["signal"]["position"]) == (
        "closed",
        "take_profit",
        "long",
    )
