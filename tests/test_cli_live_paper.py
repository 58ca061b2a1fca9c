"""`backtestkit live --replay-from ISO [--replay-to ISO]` then `backtestkit parity`, run as a user
runs them (subprocesses) on the shipped Bitstamp candles (2026-08-17T00:00Z .. 2026-08-30T23:59Z).

The paper session ticks every 60 001 ms of virtual time from --replay-from; new entries stop at
--replay-to (or the data's end), an open position is followed until it closes or the data runs
out; then the run ends by itself with a one-line summary and the Markdown report, exit 0.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backtestkit.actors.live import read_recording
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "examples" / "schemas.py"
CLI = [sys.executable, "-m", "backtestkit.adapters.cli"]
ENV = {**os.environ, "BACKTESTKIT_LOG_LEVEL": "warning"}
SMA = ["--symbol", "BTCUSD", "--strategy", "sma-cross", "--exchange", "bitstamp"]
FROM = 1_786_928_400_000  # 2026-08-17T01:00Z
TO = FROM + 2 * 86_400_000  # 2026-08-19T01:00Z
DATA_END = 1_788_134_340_000  # 2026-08-30T23:59Z, the file's last candle
MIN, TTL = 60_000, 60_001
LINE = re.compile(
    r"(?P<action>opened|closed) +sma-cross:BTCUSD:(?P<id>\d+) (long|short) BTCUSD .*"
    r"\((?P<iso>[0-9T:.-]+Z)\)"
)


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120
    )


def usage_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr.rstrip("\n")


def test_a_two_day_paper_session_ends_by_itself_and_parity_holds(tmp_path: Path) -> None:
    done = run(
        "live", SCHEMAS, *SMA, "--state-dir", "state", "--replay-from", "2026-08-17T01:00Z",
        "--replay-to", "2026-08-19T01:00:00+00:00", "--jsonl", "results.jsonl", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == (
        "live: sma-cross on BTCUSD via bitstamp, state in state; paper session on bitstamp's "
        "candles from 2026-08-17T01:00:00.000Z, new entries until 2026-08-19T01:00:00.000Z, "
        "data until 2026-08-30T23:59:00.000Z"
    )
    *trades, summary, report = done.stdout.splitlines()
    results = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(trades) == len(results) >= 4
    for line, result in zip(trades, results, strict=True):
        match = LINE.fullmatch(line)
        assert match is not None, line
        assert (match["action"], match["id"]) == (
            result["action"],
            result["signal"]["id"].rsplit(":", 1)[1],
        )
    actions = [r["action"] for r in results]
    assert actions == ["opened", "closed"] * (len(actions) // 2)  # one position at a time, closed
    opens = [r["signal"]["pending_at"] for r in results if r["action"] == "opened"]
    assert opens[0] >= FROM and opens[-1] < TO  # no entry after --replay-to
    assert all((when - FROM) % TTL == 0 for when in opens)  # on the 60 001 ms ticks
    closed = len(actions) // 2
    assert summary.startswith(f"run ended: {closed} closed signals, ")
    assert report == "Markdown report: dump/live/sma-cross.md"
    assert (tmp_path / "dump" / "live" / "sma-cross.md").exists()
    # the run ended at its last tick before --replay-to, or at a close after it
    (recorded,) = read_recording(tmp_path / "state" / "recording" / "BTCUSD_sma-cross.rec").runs
    last_close = results[-1]["close_timestamp"]
    last_tick = FROM + (TO - 1 - FROM) // TTL * TTL if last_close < TO else last_close
    assert recorded.ticks == list(range(FROM, last_tick + 1, TTL))

    checked = run("parity", "state", "--script", SCHEMAS, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[0] == f"parity: {len(results)} signals, 0 mismatches"


def test_a_paper_session_without_replay_to_ends_at_the_data(tmp_path: Path) -> None:
    start = DATA_END - 3 * 60 * MIN  # 2026-08-30T20:59Z
    done = run("live", SCHEMAS, *SMA, "--state-dir", "state", "--replay-from",
               "2026-08-30T20:59", "--quiet", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (recorded,) = read_recording(tmp_path / "state" / "recording" / "BTCUSD_sma-cross.rec").runs
    # tick k at start + k * 60 001 ms reads the minute start + k min: the last tick reads the
    # file's last candle, and the clock goes no further
    assert recorded.ticks == [start + k * TTL for k in range(3 * 60 + 1)]
    assert done.stdout == ""  # --quiet
    assert run("parity", "state", "--script", SCHEMAS, "--quiet", cwd=tmp_path).returncode == 0


def test_replay_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 with one line, before anything runs (in this process: `main` as the CLI runs it)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feed.py").write_text(
        "from backtestkit.actors import add_exchange, add_strategy\n"
        "class Feed:\n"
        "    def fetch(self, symbol, interval, since, limit):\n"
        "        return []\n"
        "add_exchange('feed', candles=Feed())\n"
        "add_strategy('idle', interval='1m', get_signal=lambda symbol, when: None)\n"
    )
    span = (
        "one-minute candles of BTCUSD on 'bitstamp' run from 2026-08-17T00:00:00.000Z to "
        "2026-08-30T23:59:00.000Z"
    )
    sma = ["live", str(SCHEMAS), *SMA, "--state-dir", "state"]
    cases = {
        (*sma, "--replay-to", "2026-08-18"): "--replay-to needs --replay-from",
        (*sma, "--replay-from", "yesterday"): (
            "argument --replay-from: must be an ISO 8601 date or date-time such as "
            "2026-08-17T01:00Z, got 'yesterday' (see 'backtestkit live --help')"
        ),
        (*sma, "--replay-from", "2026-08-16T23:59Z"): (
            f"--replay-from 2026-08-16T23:59:00.000Z: outside the data; the {span}"
        ),
        (*sma, "--replay-from", "2026-09-01"): (
            f"--replay-from 2026-09-01T00:00:00.000Z: outside the data; the {span}"
        ),
        (*sma, "--replay-from", "2026-08-18T02:00+02:00", "--replay-to", "2026-08-18"): (
            "--replay-to 2026-08-18T00:00:00.000Z must be after --replay-from "
            "2026-08-18T00:00:00.000Z"
        ),
        ("live", "feed.py", "--symbol", "BTCUSD", "--strategy", "idle", "--exchange", "feed",
         "--replay-from", "2026-08-18"): (
            "--replay-from: exchange 'feed' serves Feed; a replay needs candles from a file or "
            "table (CsvCandles, ParquetCandles, MemoryCandles)"
        ),
    }  # fmt: skip
    for argv, message in cases.items():
        reset_engine()
        assert main(list(argv)) == 2, argv
        assert capsys.readouterr().err == f"backtestkit: error: {message}\n", argv
    assert not (tmp_path / "state").exists()  # nothing ran


def test_live_on_a_feed_that_stopped_exits_1_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "stale.py").write_text(
        "from backtestkit.actors import add_exchange, add_strategy, set_config\n"
        "from backtestkit.adapters.candles import CsvCandles\n"
        f"add_exchange('bitstamp', candles=CsvCandles({str(ROOT / 'examples' / 'data' / 'bitstamp_BTCUSD_1m.csv')!r}))\n"  # noqa: E501
        "add_strategy('idle', interval='1m', get_signal=lambda symbol, when: None)\n"
        "set_config(CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES=1)\n"
    )
    done = run("live", "stale.py", "--symbol", "BTCUSD", "--strategy", "idle", "--exchange",
               "bitstamp", "--state-dir", "state", "--quiet", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stderr
    # on the wall clock the shipped data ended long ago: its first tick finds no candle
    assert done.stderr.rstrip("\n").splitlines()[-1] == (
        "backtestkit: error: live BTCUSD on exchange 'bitstamp': no new one-minute candle for 1 "
        "minute (CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES); last candle seen: none since the run "
        "started (the exchange's data ends at 2026-08-30T23:59:00.000Z); no open position"
    )
    assert "Traceback" not in done.stderr


def test_live_help_describes_the_paper_session(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["live", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for part in (
        "--replay-from ISO paper-trade on a virtual clock from this instant",
        "--replay-to ISO with --replay-from: no new entry from this instant on",
        "CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES minutes, default 15: exit 1",
        "'backtestkit parity STATE_DIR --script SCRIPT.py'",
    ):
        assert part in text, part


def test_a_position_open_when_the_data_ends_stays_for_the_next_start(tmp_path: Path) -> None:
    (tmp_path / "hold.py").write_text(
        "from backtestkit.actors import Signal, add_exchange, add_strategy, get_average_price\n"
        "from backtestkit.adapters.candles import CsvCandles\n"
        f"add_exchange('bitstamp', candles=CsvCandles({str(ROOT / 'examples' / 'data' / 'bitstamp_BTCUSD_1m.csv')!r}))\n"  # noqa: E501
        "def hold(symbol, when):\n"
        "    price = get_average_price(symbol)\n"
        "    return Signal('long', price * 1.1, price * 0.9, 1000)\n"
        "add_strategy('hold', interval='1m', get_signal=hold)\n"
    )
    args = ["--symbol", "BTCUSD", "--strategy", "hold", "--exchange", "bitstamp"]
    first = run("live", "hold.py", *args, "--state-dir", "state", "--replay-from",
                "2026-08-30T23:00Z", cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    opened = "hold:BTCUSD:1788130800000"  # the first tick, 2026-08-30T23:00Z
    assert first.stdout.splitlines()[0].startswith(f"opened    {opened} long BTCUSD open ")
    assert first.stdout.splitlines()[1] == (
        f"run ended: 0 closed signals; {opened} stays open in the state dir for the next start"
    )
    # the next start restores it (no new entry) and again ends at the data with it open
    again = run("live", "hold.py", *args, "--state-dir", "state", "--replay-from",
                "2026-08-30T23:30Z", cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == (
        f"run ended: 0 closed signals; {opened} stays open in the state dir for the next start"
    )
    checked = run("parity", "state", "--script", "hold.py", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[0] == "parity: 1 signals, 0 mismatches"
