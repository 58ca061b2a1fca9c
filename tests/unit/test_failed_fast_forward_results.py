"""Every close the engine publishes is in the run's results (issue 23, item 3).

When the fast-forward of a new signal fails (its forward window cannot be fetched, comes back
empty, or the fast-forward itself raises), the signal stays open and a later tick closes it.
That close went out on the bus and into `get_data`, but `Backtest.run_sync` and the CLI's
`--jsonl` left it out. One test per failure path, on hand-made data: candles o/c 100, h 100.5,
l 99.5 (VWAP exactly 100); the strategy opens one long at 00:10 (TP 102, SL 98, 30 minutes),
which no tick can close by price, so the tick at 00:40 closes it `time_expired` at 100
(SPEC 3.2: the first tick with elapsed >= 30 minutes); PnL by SPEC 8 with the default 0.1 %
slippage and fee: ((99.9 - 100.1) / 100.1) * 100 - 0.2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from backtestkit.actors import Backtest, Signal, add_exchange, add_frame, add_strategy
from backtestkit.actors.backtest import replayer
from backtestkit.actors.market import Candle
from backtestkit.actors.market.intervals import MINUTE_MS
from backtestkit.adapters.candles import CsvCandles
from backtestkit.bus import listen_error, topics

T = 1786924800000  # 2026-08-17T00:00Z
OPEN_AT = T + 10 * MINUTE_MS
CLOSE_AT = T + 40 * MINUTE_MS
PNL = ((99.9 - 100.1) / 100.1) * 100 - 0.2
CSV_HEADER = "timestamp,open,high,low,close,volume\n"


def enter_at_ten(symbol: str, when: datetime) -> Signal | None:
    if when == datetime(2026, 8, 17, 0, 10, tzinfo=UTC):
        return Signal("long", 102.0, 98.0, 30)
    return None


def csv_rows(fat_finger_at: int | None) -> str:
    rows = []
    for i in range(-60, 180):
        low = "0.001" if i == fat_finger_at else "99.5"
        rows.append(f"{T + i * MINUTE_MS},100,100.5,{low},100,1\n")
    return CSV_HEADER + "".join(rows)


class FlatSource:
    """A fetch source (no table): the forward request (limit > 5) answers [] the first time."""

    def __init__(self) -> None:
        self.forward_requests = 0

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Candle]:
        if limit > 5:
            self.forward_requests += 1
            if self.forward_requests == 1:
                return []
        return [Candle(since_ms + i * MINUTE_MS, 100, 100.5, 99.5, 100, 1) for i in range(limit)]


def run_and_compare(exchange: str) -> tuple[list[Any], list[str]]:
    add_frame("two-hours", start=T, end=T + 120 * MINUTE_MS, interval="1m")
    add_strategy("ten", interval="1m", get_signal=enter_at_ten)
    published: list[Any] = []
    subscription = topics.transition.observable.subscribe(
        lambda r: published.append(r) if r.action == "closed" else None
    )
    failures: list[str] = []
    listen_error(lambda e: failures.append(str(e)))
    try:
        results = Backtest.run_sync("BTCUSD", strategy="ten", exchange=exchange, frame="two-hours")
    finally:
        subscription.dispose()
    [closed] = results
    assert (closed.action, closed.close_reason) == ("closed", "time_expired")
    assert closed.close_timestamp == CLOSE_AT
    assert closed.signal.pending_at == OPEN_AT and closed.signal.price_open == 100.0
    assert closed.current_price == 100.0
    assert closed.pnl.pnl_percentage == pytest.approx(PNL, abs=1e-12)
    assert [r.signal.id for r in published] == [closed.signal.id]  # results == the bus
    data = Backtest.get_data("BTCUSD", "ten")
    assert data.total_signals == 1 and data.signal_list[0].signal.id == closed.signal.id
    return results, failures


def test_forward_fetch_failed_fat_finger_candle(tmp_path: Path) -> None:
    """The probe's case: one candle at 00:20 with low 0.001 inside the open position. The
    forward window (00:06 .. 00:39) fails SPEC 7.5's anomaly check (forward_fetch_failed); the
    ticks whose VWAP window holds 00:20 (00:20 .. 00:24) fail too; the tick at 00:40 closes."""
    path = tmp_path / "candles.csv"
    path.write_text(csv_rows(fat_finger_at=20))
    add_exchange("fat", candles=CsvCandles(path))
    _results, failures = run_and_compare("fat")
    assert sum("anomalously low price 0.001" in f for f in failures) == 1 + 5


def test_empty_forward_window() -> None:
    source = FlatSource()
    add_exchange("gappy", candles=source)
    _results, failures = run_and_compare("gappy")
    assert source.forward_requests == 1 and failures == []


def test_fast_forward_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast-forward itself raises once (fast_forward_failed); the ticks close the signal."""
    calls: list[int] = []
    real = replayer.fast_forward

    async def failing_once(machine: Any, candles: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("fast-forward broke")
        return await real(machine, candles)

    monkeypatch.setattr(replayer, "fast_forward_now", lambda machine, candles: None)
    monkeypatch.setattr(replayer, "fast_forward", failing_once)
    source = FlatSource()
    source.forward_requests = 1  # the forward window is served at once
    add_exchange("flat2", candles=source)
    _results, failures = run_and_compare("flat2")
    assert calls == [1] and failures == ["fast-forward broke"]


SCRIPT = """\
from datetime import UTC, datetime
from backtestkit.actors import Signal, add_exchange, add_frame, add_strategy
from backtestkit.adapters.candles import CsvCandles

def enter_at_ten(symbol, when):
    if when == datetime(2026, 8, 17, 0, 10, tzinfo=UTC):
        return Signal("long", 102.0, 98.0, 30)
    return None

add_exchange("fat", candles=CsvCandles("candles.csv"))
add_frame("two-hours", start=datetime(2026, 8, 17, tzinfo=UTC),
          end=datetime(2026, 8, 17, 2, tzinfo=UTC), interval="1m")
add_strategy("ten", interval="1m", get_signal=enter_at_ten)
"""


def test_cli_jsonl_holds_the_close(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "candles.csv").write_text(csv_rows(fat_finger_at=20))
    done = subprocess.run(
        [sys.executable, "-m", "backtestkit.adapters.cli", "backtest", "script.py",
         "--symbol", "BTCUSD", "--strategy", "ten", "--exchange", "fat", "--frame", "two-hours",
         "--jsonl", "out.jsonl"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "BACKTESTKIT_LOG_LEVEL": "critical"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [line] = (tmp_path / "out.jsonl").read_text().splitlines()
    closed = json.loads(line)
    assert closed["action"] == "closed" and closed["close_reason"] == "time_expired"
    assert closed["close_timestamp"] == CLOSE_AT
