"""The command line and the candles' symbol and units (issues 23 and 26): an empty --symbol,
a symbol the file is not declared for and seconds in a CSV are usage errors (exit 2, one line
naming the fix), before anything runs or is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "examples" / "schemas.py"
DATA = ROOT / "examples" / "data" / "bitstamp_BTCUSD_1m.csv"
CLI = [sys.executable, "-m", "backtestkit.adapters.cli"]
QUIET_LOGS = {**os.environ, "BACKTESTKIT_LOG_LEVEL": "warning"}
SMA = ["--strategy", "sma-cross", "--exchange", "bitstamp", "--frame", "aug-2026"]


def usage_error(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [*CLI, *map(str, args)], cwd=cwd, env=QUIET_LOGS, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr.rstrip("\n")


@pytest.mark.parametrize(
    "command",
    [
        ["backtest", SCHEMAS, *SMA],
        ["walk", SCHEMAS, "--walker", "compare"],
        ["live", SCHEMAS, "--strategy", "sma-cross", "--exchange", "bitstamp"],
    ],
)
def test_empty_symbol_is_refused(tmp_path: Path, command: list[str | Path]) -> None:
    message = usage_error(*command, "--symbol", "", cwd=tmp_path)
    assert message == (
        "backtestkit: error: argument --symbol: must be a symbol such as BTCUSD, got '' "
        f"(see 'backtestkit {command[0]} --help')"
    )
    assert not (tmp_path / "dump").exists()


def test_eth_on_the_btc_file_is_refused_naming_the_symbol_it_serves(tmp_path: Path) -> None:
    message = usage_error(
        "backtest", SCHEMAS, "--symbol", "ETHUSDT", *SMA, "--report", "r.md", cwd=tmp_path
    )
    assert message == (
        "backtestkit: error: CsvCandles: no candles for symbol 'ETHUSDT'; it serves BTCUSD "
        f"({DATA})"
    )
    assert not (tmp_path / "r.md").exists()
    message = usage_error("walk", SCHEMAS, "--symbol", "ETHUSDT", "--walker", "compare",
                          cwd=tmp_path)  # fmt: skip
    assert message.endswith(f"no candles for symbol 'ETHUSDT'; it serves BTCUSD ({DATA})")


def test_seconds_in_the_file_name_the_fix(tmp_path: Path) -> None:
    start = 1786924800 - 3600  # seconds: an hour of warm-up before 2026-08-17
    rows = "".join(f"{start + 60 * i},100,100.5,99.5,100,1\n" for i in range(26 * 60))
    (tmp_path / "candles.csv").write_text("Time,Open,High,Low,Close,Volume\n" + rows)
    (tmp_path / "script.py").write_text(
        "from datetime import UTC, datetime\n"
        "from backtestkit.actors import add_exchange, add_frame, add_strategy\n"
        "from backtestkit.adapters.candles import CsvCandles\n"
        "add_exchange('csv', candles=CsvCandles('candles.csv', symbol='BTCUSD'))\n"
        "add_exchange('csv-s', candles=CsvCandles('candles.csv', symbol='BTCUSD',"
        " time_unit='s'))\n"
        "add_frame('aug', start=datetime(2026, 8, 17, tzinfo=UTC),"
        " end=datetime(2026, 8, 18, tzinfo=UTC))\n"
        "add_strategy('idle', interval='5m', get_signal=lambda symbol, when: None)\n"
    )
    args = ["backtest", "script.py", "--symbol", "BTCUSD", "--strategy", "idle", "--frame", "aug"]
    assert usage_error(*args, "--exchange", "csv", cwd=tmp_path) == (
        "backtestkit: error: candles.csv: row 2: field timestamp: 1786921200 looks like "
        "seconds since 1970 (2026-08-16 23:00 UTC), not milliseconds: pass time_unit='s'"
    )
    done = subprocess.run(
        [*CLI, *args, "--exchange", "csv-s", "--quiet"], cwd=tmp_path, env=QUIET_LOGS,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
