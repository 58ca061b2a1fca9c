"""Broker overhead per order: what the broker actor itself costs, the network excluded.

An exchange answering at once (no I/O) stands behind the real BrokerActor and OrderJournal;
each round opens a signal (one entry order) and closes it (one exit order), with the tick's
reconciliation (unanswered lookups, holdings, the position check) around each. Per order:
the journal's fsync'd intent line (before the request), its answer line (written, not
fsync'd: a lost answer is looked up on restart) and the bookkeeping.
Median over 500 orders, best of 3 rounds, with a journal already 2000 orders long (a
long-running bot), on the temporary directory's disk; the same with fsync skipped shows the
bookkeeping alone.
Target <= 1 ms per order.

Run: `python benchmarks/bench_broker.py`. Always exits 0 (benchmarks report, tests assert).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import anyio

from backtestkit.actors.broker import (
    BrokerActor,
    MarketRules,
    OrderJournal,
    OrderReport,
    OrderRequest,
)
from backtestkit.bus import Bus, SignalRow

TARGET_MS = 1.0
WARM_ORDERS = 2000
ORDERS = 500
RULES = MarketRules(symbol="BTC/USDT", base="BTC", quote="USDT", amount_step=0.00001)


class InstantExchange:
    """Fills every market order at once at the engine's price; holds what was bought."""

    name = "instant"

    def __init__(self) -> None:
        self.orders: dict[str, OrderReport] = {}
        self.base = 0.0

    async def market(self, symbol: str) -> MarketRules:
        return RULES

    async def place(self, request: OrderRequest) -> OrderReport:
        report = OrderReport(
            client_id=request.client_id, exchange_id=str(len(self.orders)), status="closed",
            amount=request.amount, filled=request.amount, average=request.price,
            fee=0.0, fee_currency="USDT", at=request.at,
        )  # fmt: skip
        self.orders[request.client_id] = report
        self.base += request.amount if request.side == "buy" else -request.amount
        return report

    async def lookup(self, market: str, client_id: str) -> OrderReport | None:
        return self.orders.get(client_id)

    async def cancel(self, market: str, client_id: str) -> OrderReport | None:
        return self.orders.get(client_id)

    async def balance(self, asset: str) -> float | None:
        return None

    async def position(self, rules: MarketRules) -> float | None:
        return self.base

    async def close(self) -> None:
        return None


def row(i: int) -> SignalRow:
    return SignalRow(
        id=f"bench-{i}", position="long", price_open=42_000.0, price_take_profit=42_420.0,
        price_stop_loss=41_790.0, minute_estimated_time=60, note="", scheduled_at=i,
        pending_at=i, symbol="BTCUSDT", exchange_name="bench", strategy_name="bench",
        is_scheduled=False,
    )  # fmt: skip


async def per_order_ms(directory: Path) -> list[float]:
    actor = BrokerActor(
        InstantExchange(), OrderJournal(directory / "orders.jsonl"), symbol="BTCUSDT", bus=Bus()
    )
    samples = []
    for i in range(WARM_ORDERS // 2 + ORDERS // 2):
        for pending in (row(i), None):  # the entry, then the exit
            started = time.perf_counter()
            await actor.settle(pending, i)
            if i >= WARM_ORDERS // 2:
                samples.append((time.perf_counter() - started) * 1000)
    actor.journal.close()
    return samples


def measure(fsync: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="bench_broker_") as tmp:
        if fsync:
            samples = anyio.run(per_order_ms, Path(tmp))
        else:
            with mock.patch.object(os, "fdatasync", lambda fd: None):
                samples = anyio.run(per_order_ms, Path(tmp))
    return statistics.median(samples)


def disk_sync_ms() -> float:
    """The floor this disk sets: median of one 200-byte append + fdatasync."""
    with tempfile.TemporaryDirectory(prefix="bench_broker_disk_") as tmp:
        fd = os.open(Path(tmp) / "sync", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        samples = []
        for _ in range(ORDERS):
            started = time.perf_counter()
            os.write(fd, b"x" * 199 + b"\n")
            os.fdatasync(fd)
            samples.append((time.perf_counter() - started) * 1000)
        os.close(fd)
    return statistics.median(samples)


def main() -> int:
    disk = disk_sync_ms()
    with_fsync = min(measure(True) for _ in range(3))  # best of 3: the disk is shared
    bookkeeping = measure(False)
    verdict = "OK" if with_fsync <= TARGET_MS else "MISSED"
    print(
        f"broker.order_overhead: median {with_fsync:.3f} ms per order, best of 3 (1 "
        "fdatasync'd intent, 1 answer line, reconciliation; network excluded; journal "
        f"{WARM_ORDERS}+ orders long; target <= {TARGET_MS:g} ms) {verdict}; "
        f"bookkeeping alone (fsync skipped) {bookkeeping:.3f} ms; "
        f"one bare append + fdatasync on this disk: {disk:.3f} ms (reference: none, "
        "backtest-kit places no orders)"
    )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
