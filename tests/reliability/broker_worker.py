"""One incarnation of a trading bot for the broker kill suite, run in a forked child.

It trades a long-only strategy (a signal every third minute, a two-minute lifetime) through the
real ccxt `binance` client against the local exchange server, on the server's clock, and
persists into `state_dir`. It appends each result it yields to `results` (plain write(2): the
page cache survives SIGKILL) and, once the restart's reconciliation ran, one `R` line with the
server's position, the journal's and the persisted pending signal's. `crash_at = (n, phase)`
SIGKILLs the process at the n-th journal step `phase` of this incarnation.
"""

from __future__ import annotations

import os
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import orjson

from backtestkit.actors import (
    Live,
    Signal,
    add_exchange,
    add_strategy,
    configure_logging,
    get_average_price,
)
from backtestkit.actors.broker import BrokerActor, OrderJournal
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.brokers import CcxtBroker, ServerClock
from backtestkit.adapters.candles import CsvCandles, ReplayCandles
from backtestkit.bus import SignalRow

DATA = Path(__file__).resolve().parents[1] / "data" / "kaggle_BTCUSD_1m.csv"
SYMBOL = "BTCUSD"
STRATEGY = "every-third"


class EndOfSession(Exception):
    """The server's clock reached the end of the session."""


class SessionClock(ServerClock):
    def __init__(self, url: str, end_ms: int) -> None:
        super().__init__(url)
        self.end_ms = end_ms

    async def sleep(self, ms: int) -> None:
        if self.now() + ms > self.end_ms:
            raise EndOfSession
        await super().sleep(ms)


def every_third(symbol: str, when: datetime) -> Signal | None:
    minute = int(when.timestamp()) // 60
    if minute % 3:
        return None
    price = get_average_price(symbol)
    return Signal("long", price * 1.006, price * 0.994, 2, id=f"m{minute}")


class ReportingBroker(BrokerActor):
    """Writes the positions once the restart's first settle has reconciled them."""

    def __init__(self, *args: Any, report_fd: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.report_fd = report_fd
        self.reported = False

    async def settle(self, pending: SignalRow | None, when: int) -> Any:
        refused = await super().settle(pending, when)
        if not self.reported:
            self.reported = True
            rules = await self.market()
            held = await self.broker.position(rules)
            expected = sum(self.held(rules).values())
            entry = 0.0
            if pending is not None:
                entry = self.held(rules).get(pending.id, 0.0)
            line = {"held": held, "journal": expected, "pending": entry, "blocked": self.blocked}
            os.write(self.report_fd, b"R " + orjson.dumps(line) + b"\n")
        return refused


def run(
    *,
    url: str,
    state_dir: Path,
    results: Path,
    end_ms: int,
    crash_at: tuple[int, str] | None,
) -> None:
    reset_engine()
    configure_logging("warning", force=True)
    results_fd = os.open(results, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    steps: dict[str, int] = {}

    def on_phase(phase: str, client_id: str) -> None:
        steps[phase] = steps.get(phase, 0) + 1
        if crash_at is not None and (steps[phase], phase) == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    clock = SessionClock(url, end_ms)
    add_exchange("sim", candles=ReplayCandles(CsvCandles(DATA), clock))
    add_strategy(STRATEGY, interval="1m", get_signal=every_third)
    journal = OrderJournal(state_dir / "broker" / "orders.jsonl", on_phase=on_phase)
    broker = CcxtBroker("binance", url=url, api_key="key", api_secret="secret", timeout_ms=5000)

    async def trade() -> None:
        actor = ReportingBroker(broker, journal, symbol=SYMBOL, bus=Live.bus, report_fd=results_fd)
        try:
            async for result in Live.run(
                SYMBOL,
                strategy=STRATEGY,
                exchange="sim",
                clock=clock,
                state_dir=state_dir,
                record=False,
                broker=actor,
            ):
                line = {"action": result.action, "id": result.signal.id}
                os.write(results_fd, orjson.dumps(line) + b"\n")
        except EndOfSession:
            os.write(results_fd, b"END\n")
        finally:
            await clock.close()

    anyio.run(trade)
