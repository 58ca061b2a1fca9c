"""The broker survives SIGKILL at every journal step and at random instants.

A bot trades through the real ccxt `binance` client against the local exchange server (a
subprocess that outlives every kill, and the clock the bot follows). It is killed at each step
of an order's journal (the intent written, before the request; after the request, before the
answer is written; after the answer) and at random instants, then restarted at once, as a
supervisor would. After every restart's reconciliation the server's position must equal the
persisted state; at the end, no client order id was sent twice, and every closed signal has
exactly one filled entry and one filled exit on the server.

BACKTESTKIT_BROKER_KILLS sets the number of journal-step kills per step (default 50) and
random kills (default 60): 3 x 50 + 60 = 210 kills.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from backtestkit.actors.broker import client_order_id
from backtestkit.adapters.candles.ccxt import import_ccxt

from . import broker_worker
from .children import run_child
from .exchange_server import START_MS, ExchangeServer, exchange_server

PER_STEP = int(os.environ.get("BACKTESTKIT_BROKER_KILLS", "50"))
RANDOM_KILLS = int(os.environ.get("BACKTESTKIT_BROKER_RANDOM_KILLS", "60"))
STEPS = ("after_intent", "after_request", "after_answer")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork"),
]


class Bot:
    def __init__(self, root: Path, server: ExchangeServer) -> None:
        self.root, self.server = root, server
        self.state_dir = root / "state"
        self.results = root / "results.jsonl"
        self.incarnations = 0
        self.kills = 0
        self.reports: list[dict[str, Any]] = []

    def incarnation(
        self, crash_at: tuple[int, str] | None, kill_after_s: float | None, end_ms: int
    ) -> bool:
        """One child; True when it reached `end_ms` on the server's clock."""
        before = self.results.stat().st_size if self.results.exists() else 0
        self.incarnations += 1
        killed = run_child(
            lambda: broker_worker.run(
                url=self.server.url,
                state_dir=self.state_dir,
                results=self.results,
                end_ms=end_ms,
                crash_at=crash_at,
            ),
            kill_after_s,
        )
        self.kills += killed
        with self.results.open("rb") as handle:
            handle.seek(before)
            lines = handle.read().splitlines()
        self.reports += [orjson.loads(line[2:]) for line in lines if line.startswith(b"R ")]
        return b"END" in lines

    def closed_signals(self) -> set[str]:
        lines = self.results.read_bytes().splitlines()
        entries = [orjson.loads(x) for x in lines if x.startswith(b"{")]
        return {e["id"] for e in entries if e["action"] == "closed"}

    def pending(self) -> dict[str, Any] | None:
        path = self.state_dir / "signal" / f"BTCUSD_{broker_worker.STRATEGY}" / "BTCUSD.json"
        value: dict[str, Any] | None = orjson.loads(path.read_bytes()) if path.exists() else None
        return value


def test_sigkill_at_every_journal_step_and_at_random(tmp_path: Path) -> None:
    import_ccxt().binance()  # loaded once before the forks (2 s of imports otherwise, per child)
    shm = Path("/dev/shm")
    if shm.is_dir():  # a kill loses no page cache: fsync'd or not, the bytes survive SIGKILL
        tmp_path = Path(tempfile.mkdtemp(prefix="broker-kills-", dir=shm))
    plan: list[tuple[tuple[int, str] | None, float | None]] = []
    for n in range(PER_STEP):
        for step in STEPS:
            plan.append(((1 + n % 2, step), None))
    rng = random.Random(25)
    plan += [(None, rng.uniform(0.02, 0.3)) for _ in range(RANDOM_KILLS)]
    rng.shuffle(plan)
    try:
        _session(tmp_path, plan)
    finally:
        if str(tmp_path).startswith("/dev/shm"):
            shutil.rmtree(tmp_path, ignore_errors=True)


def _session(tmp_path: Path, plan: list[tuple[tuple[int, str] | None, float | None]]) -> None:
    far = START_MS + 3 * 86_400_000  # not reached while killed (the data lasts 3.4 days)
    with exchange_server() as server:
        bot = Bot(tmp_path, server)
        for crash_at, kill_after in plan:
            assert not bot.incarnation(crash_at, kill_after, far)
        end = int(server.get("/api/v3/time")["serverTime"]) + 30 * 60_000
        while not bot.incarnation(None, None, end):  # no more kills: 30 more minutes
            assert bot.incarnations < len(plan) + 5
        orders = server.orders()
        held = server.balance("BTC")
    print(
        f"broker kills: {bot.kills} kills over {bot.incarnations} incarnations, "
        f"{len(bot.reports)} reconciliations checked, {len(orders)} orders, "
        f"{len(bot.closed_signals())} closed signals"
    )
    assert bot.kills == len(plan)
    ids = Counter(order["client_id"] for order in orders)
    assert [cid for cid, count in ids.items() if count > 1] == []  # 0 duplicate orders
    # after every restart's reconciliation the server holds what the persisted state says
    assert len(bot.reports) >= PER_STEP  # most restarts get past their reconciliation
    for report in bot.reports:
        assert report["blocked"] is None
        assert report["held"] == pytest.approx(report["journal"], abs=1e-9)
        assert report["held"] == pytest.approx(report["pending"], abs=1e-9)
    by_id = {order["client_id"]: order for order in orders}
    closed = bot.closed_signals()
    assert len(closed) >= 40
    for signal_id in closed:
        entry = by_id[client_order_id(signal_id, "entry")]
        exit_ = by_id[client_order_id(signal_id, "exit")]
        assert (entry["side"], entry["status"]) == ("buy", "filled")
        assert (exit_["side"], exit_["status"]) == ("sell", "filled")
        assert exit_["filled"] == entry["filled"] > 0
        assert client_order_id(signal_id, "exit-1") not in by_id
    # every order on the server belongs to a closed signal or to the one still open
    pending = bot.pending()
    open_ids = {pending["id"]} if pending else set()
    owners = {client_order_id(s, leg): s for s in closed | open_ids for leg in ("entry", "exit")}
    assert set(by_id) <= set(owners)
    entry_of_open = sum(
        by_id[client_order_id(s, "entry")]["filled"]
        for s in open_ids
        if client_order_id(s, "entry") in by_id
    )
    assert held == pytest.approx(entry_of_open, abs=1e-9)  # 0 orphan positions
