"""Live with a broker: the PaperBroker's fills, and a refused entry closing its signal.

Candles: tests/data/kaggle_BTCUSD_1m.csv. At 13:00Z the strategy opens a long; the paper
broker fills it at the open of the 13:01 candle (8320.69) plus 0.1 % slippage, with a 0.1 %
fee; the signal expires after 2 minutes (the tick at 13:02:00.002 closes it). The run is
stopped as the close is yielded, before the broker settles it; the restart at 13:03:00.003
sends the exit, which fills at the 13:04 candle's open (8347.54) less 0.1 %.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from backtestkit.actors import Live, Signal, VirtualClock, add_exchange, add_strategy
from backtestkit.actors.broker import OrderRejected, OrderReport, OrderRequest, PaperBroker
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import CsvCandles, ReplayCandles

from .rows import START_MS

DATA = Path(__file__).resolve().parents[1] / "data" / "kaggle_BTCUSD_1m.csv"
OPEN_13_01, OPEN_13_04 = 8320.69, 8347.54  # rows 22 and 25 of the CSV


def _market(clock: VirtualClock) -> None:
    add_exchange("replay", candles=ReplayCandles(CsvCandles(DATA), clock))

    def once(symbol: str, when: datetime) -> Signal | None:
        if int(when.timestamp() * 1000) != START_MS:
            return None
        return Signal("long", 9000.0, 8000.0, 2, id="paper-1")

    add_strategy("once", interval="1m", get_signal=once)


class EndOfRun(Exception):
    pass


class BoundedClock(VirtualClock):
    def __init__(self, start: int, ticks: int) -> None:
        super().__init__(start)
        self.end = start + ticks * 60_001

    async def sleep(self, ms: int) -> None:
        if self.now() + ms > self.end:
            raise EndOfRun
        await super().sleep(ms)


def _run(state: Path, broker: Any, ticks: int = 6, start: int = START_MS) -> list[Any]:
    reset_engine()  # a new process: nothing kept in memory
    clock = BoundedClock(start, ticks)
    _market(clock)
    results: list[Any] = []

    async def main() -> None:
        stream = Live.run(
            "BTCUSD",
            strategy="once",
            exchange="replay",
            clock=clock,
            state_dir=state,
            broker=broker(),
        )
        try:
            async for result in stream:
                results.append(result)
                if result.action == "closed":
                    break
        except EndOfRun:
            pass
        await stream.aclose()  # type: ignore[attr-defined]

    anyio.run(main)
    return results


def _journal(state: Path) -> list[dict[str, Any]]:
    path = state / "broker" / "BTCUSD_once.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_paper_fills_at_the_next_candle_open_with_slippage_and_fee(tmp_path: Path) -> None:
    results = _run(tmp_path, lambda: PaperBroker.for_exchange("replay"))
    assert [r.action for r in results] == ["opened", "closed"]
    answers = [e["order"] for e in _journal(tmp_path) if e["k"] == "answer"]
    fills = [a for a in answers if a["status"] == "closed"]
    assert len(fills) == 1  # the exit was never sent: the run stopped at the close
    entry = fills[0]
    assert entry["average"] == pytest.approx(OPEN_13_01 * 1.001)
    assert entry["at"] == START_MS + 60_000
    assert entry["fee"] == pytest.approx(entry["filled"] * OPEN_13_01 * 1.001 * 0.001)
    assert entry["filled"] == pytest.approx(100 / results[0].signal.price_open)

    # the restart finds the signal closed on disk and its entry held: it sells exactly that
    later = START_MS + 3 * 60_001
    assert _run(tmp_path, lambda: PaperBroker.for_exchange("replay"), ticks=3, start=later) == []
    answers = [e["order"] for e in _journal(tmp_path) if e["k"] == "answer"]
    exit_ = [a for a in answers if a["status"] == "closed"][-1]
    assert exit_["average"] == pytest.approx(OPEN_13_04 * 0.999)
    assert exit_["filled"] == entry["filled"]
    assert exit_["at"] == START_MS + 4 * 60_000


class RefusingBroker(PaperBroker):
    async def place(self, request: OrderRequest) -> OrderReport:
        raise OrderRejected("insufficient_balance", "paper: not enough USD")


def test_a_refused_entry_closes_the_signal_with_its_reason(tmp_path: Path) -> None:
    results = _run(tmp_path, lambda: RefusingBroker.for_exchange("replay"))
    assert [r.action for r in results] == ["opened", "closed"]
    closed = results[1]
    assert closed.close_reason == "order_rejected"
    assert closed.pnl.pnl_percentage == 0.0
    assert closed.signal.note == "order rejected (insufficient_balance): paper: not enough USD"
    assert closed.close_timestamp == START_MS  # settled right after the opening tick
    slot = tmp_path / "signal" / "BTCUSD_once" / "BTCUSD.json"
    assert orjson.loads(slot.read_bytes()) is None  # the cleared slot is on disk
    assert "order_rejected" in Live.get_report("BTCUSD", "once")
