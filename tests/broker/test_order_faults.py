"""Each injected fault ends in a defined state, with nothing lost: the real ccxt `binance`
client against the local exchange server (a subprocess), driven through the broker actor.

The server fills market orders at the open of the minute its clock is in: 13:00Z opens at
8311.06 in tests/data/kaggle_BTCUSD_1m.csv. The entry is sized at the signal's price (8300 here):
100 USD of it is 0.01204 BTC (the step is 0.00001). One server serves the module; each test
uses its own signal ids and leaves the account flat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability.exchange_server import ExchangeServer, exchange_server

from backtestkit.actors import add_sizing, set_config
from backtestkit.actors.broker import (
    BrokerActor,
    OrderJournal,
    OrderRejected,
    PaperBroker,
    PositionMismatch,
    TransientOrderError,
    client_order_id,
)
from backtestkit.adapters.brokers import CcxtBroker
from backtestkit.bus import Bus

from .rows import START_MS, long_row

OPEN_13_00 = 8311.06
AMOUNT = 0.01204  # 100 / 8300 = 0.0120481..., down to the step 0.00001


@pytest.fixture(scope="module")
def server() -> Iterator[ExchangeServer]:
    with exchange_server("--fault-delay", "1.2") as running:
        yield running


@pytest.fixture
def own_server() -> Iterator[ExchangeServer]:
    with exchange_server() as running:
        yield running


class Harness:
    def __init__(
        self, server: ExchangeServer, root: Path, secret: str = "secret", sizing: str | None = None
    ) -> None:
        self.server = server
        self.bus = Bus()
        self.errors: list[BaseException] = []
        self.bus.error.subscribe(self.errors.append)
        self.sleeps: list[float] = []
        self.journal = OrderJournal(root / "orders.jsonl")
        self.secret = secret
        self.broker = self._broker()
        self.actor = BrokerActor(
            self.broker,
            self.journal,
            symbol="BTCUSD",
            bus=self.bus,
            sleep=self._sleep,
            sizing=sizing,
        )

    def _broker(self) -> CcxtBroker:  # one per event loop: each settle runs in its own
        return CcxtBroker(
            "binance", url=self.server.url, api_key="key", api_secret=self.secret, timeout_ms=400
        )

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def orders(self, signal_id: str) -> dict[str, dict[str, Any]]:
        ids = {client_order_id(signal_id, leg): leg for leg in ("entry", "exit", "exit-1")}
        found: dict[str, dict[str, Any]] = {}
        for order in self.server.orders():
            leg = ids.get(order["client_id"])
            if leg is not None:
                assert leg not in found, f"{leg} of {signal_id} placed twice"
                found[leg] = order
        return found

    def settle(self, pending: Any, when: int = START_MS) -> Any:
        self.actor.broker = self.broker = self._broker()

        async def run() -> Any:
            try:
                return await self.actor.settle(pending, when)
            finally:
                await self.broker.close()

        return asyncio.run(run())


def test_a_clean_entry_and_exit(server: ExchangeServer, tmp_path: Path) -> None:
    h = Harness(server, tmp_path)
    row = long_row("clean")
    assert h.settle(row) is None
    assert h.settle(None) is None  # the signal closed: the exit sells what the entry filled
    orders = h.orders("clean")
    assert orders["entry"]["side"] == "buy" and orders["exit"]["side"] == "sell"
    assert orders["entry"]["filled"] == orders["exit"]["filled"] == AMOUNT
    assert orders["entry"]["average"] == OPEN_13_00
    assert h.errors == []


def test_a_timeout_after_the_order_arrived_is_adopted_not_resent(
    server: ExchangeServer, tmp_path: Path
) -> None:
    server.faults("order:timeout")  # the server fills the order, then answers too late
    h = Harness(server, tmp_path)
    assert h.settle(long_row("late")) is None
    orders = h.orders("late")
    assert list(orders) == ["entry"] and orders["entry"]["filled"] == AMOUNT
    assert h.journal.answers[client_order_id("late", "entry")].filled == AMOUNT
    assert h.sleeps == [0.5]  # one backoff (CC_BROKER_RETRY_DELAY_MS), then the lookup found it
    assert h.errors == []


@pytest.mark.parametrize("fault", ["order:500", "order:503", "order:drop"])
def test_a_failed_request_is_sent_again_once(
    server: ExchangeServer, tmp_path: Path, fault: str
) -> None:
    server.faults(fault)  # nothing carried out
    h = Harness(server, tmp_path)
    assert h.settle(long_row("again")) is None
    orders = h.orders("again")
    assert orders["entry"]["filled"] == AMOUNT
    assert h.sleeps == [0.5]
    assert h.errors == []


def test_rate_limit_waits_retry_after(server: ExchangeServer, tmp_path: Path) -> None:
    server.faults("order:429:2")  # Retry-After: 1
    h = Harness(server, tmp_path)
    assert h.settle(long_row("limited")) is None
    assert h.sleeps == [1.0, 1.0]
    assert h.orders("limited")["entry"]["filled"] == AMOUNT


def test_retries_exhausted_is_an_error_event_and_the_next_tick_recovers(
    server: ExchangeServer, tmp_path: Path
) -> None:
    set_config(CC_BROKER_RETRY_COUNT=2)
    server.faults("order:503:3", "order.get:503:2")
    h = Harness(server, tmp_path)
    assert h.settle(long_row("stubborn")) is None
    assert [type(e) for e in h.errors] == [TransientOrderError]
    assert h.sleeps == [0.5, 1.0]  # backoff doubles
    assert h.orders("stubborn") == {}
    cid = client_order_id("stubborn", "entry")
    assert [r.client_id for r in h.journal.unanswered()] == [cid]  # the intent waits
    again = Harness(server, tmp_path)  # the next tick (or a restart) looks it up first
    assert again.settle(long_row("stubborn")) is None
    assert again.orders("stubborn")["entry"]["filled"] == AMOUNT
    assert again.journal.unanswered() == []


def test_insufficient_balance_refuses_the_entry(server: ExchangeServer, tmp_path: Path) -> None:
    server.faults("order:reject")
    h = Harness(server, tmp_path)
    refused = h.settle(long_row("poor"))
    assert refused is not None and refused.reason == "insufficient_balance"
    assert "insufficient balance" in refused.message
    assert h.orders("poor") == {}
    assert h.journal.rejections == {client_order_id("poor", "entry"): "insufficient_balance"}
    assert h.settle(long_row("poor")) is not None  # refused again after a restart, not resent
    assert h.orders("poor") == {}


def test_a_short_on_a_spot_market_is_refused(server: ExchangeServer, tmp_path: Path) -> None:
    h = Harness(server, tmp_path)
    refused = h.settle(long_row("short", position="short"))
    assert refused is not None and refused.reason == "short_not_supported"
    assert h.orders("short") == {}  # never sells BTC the account happens to hold


def test_below_the_minimum_cost_is_refused_before_sending(
    server: ExchangeServer, tmp_path: Path
) -> None:
    set_config(CC_BROKER_QUOTE_AMOUNT=4)  # the market's minimum notional is 5
    h = Harness(server, tmp_path)
    refused = h.settle(long_row("tiny"))
    assert refused is not None and refused.reason == "below_minimum"
    assert "minimum cost 5" in refused.message
    assert h.journal.intents == {}  # nothing was sent, nothing journaled


def test_a_partial_fill_is_exited_for_what_filled(server: ExchangeServer, tmp_path: Path) -> None:
    server.faults("order:partial")
    held = server.balance("BTC")
    h = Harness(server, tmp_path)
    assert h.settle(long_row("half")) is None
    assert h.settle(None) is None
    orders = h.orders("half")
    assert orders["entry"]["status"] == "expired"
    assert orders["entry"]["filled"] == 0.00602  # half of 0.01204
    assert orders["exit"]["filled"] == 0.00602
    assert server.balance("BTC") == held


def test_unknown_symbol_is_refused(server: ExchangeServer, tmp_path: Path) -> None:
    h = Harness(server, tmp_path)
    h.actor.symbol = "DOGEUSD"
    refused = h.settle(long_row("doge"))
    assert refused is not None and refused.reason == "unknown_symbol"


def test_a_position_mismatch_blocks_new_entries(own_server: ExchangeServer, tmp_path: Path) -> None:
    server = own_server
    h = Harness(server, tmp_path)
    assert h.settle(None) is None  # the baseline: flat
    other = Harness(server, tmp_path / "someone-else")  # another bot buys on the account
    assert other.settle(long_row("foreign")) is None
    again = Harness(server, tmp_path)
    assert again.settle(None) is None
    assert [type(e) for e in again.errors] == [PositionMismatch]
    assert "holds 0.01204 BTC from this bot, the journal 0" in str(again.errors[0])
    blocked = again.settle(long_row("next"))
    assert blocked is not None and blocked.reason == "entries_blocked"
    assert again.orders("next") == {}


def test_a_wrong_secret_is_refused_by_the_server(server: ExchangeServer, tmp_path: Path) -> None:
    h = Harness(server, tmp_path, secret="wrong")
    assert h.settle(long_row("forged")) is None
    assert len(h.errors) == 1 and not isinstance(h.errors[0], OrderRejected | TransientOrderError)
    assert "Signature for this request is not valid" in str(h.errors[0])
    assert h.orders("forged") == {}


def test_a_sizing_schema_sizes_from_the_free_quote_balance(
    own_server: ExchangeServer, tmp_path: Path
) -> None:
    add_sizing("tenth", method="fixed_percentage", risk_percentage=0.1)
    h = Harness(own_server, tmp_path, sizing="tenth")
    assert h.settle(long_row("sized")) is None
    # 100 000 USD x 0.1 % / |8300 - 8217| = 1.2048192... BTC, down to the step 0.00001
    assert h.orders("sized")["entry"]["filled"] == 1.20481


def test_a_sizing_method_the_broker_cannot_feed_is_refused_at_start(tmp_path: Path) -> None:
    add_sizing("kelly", method="kelly_criterion")
    with pytest.raises(ValueError, match="sizing 'kelly' uses kelly_criterion"):
        BrokerActor(
            PaperBroker(lambda s, t: None),  # type: ignore[arg-type,return-value]
            OrderJournal(tmp_path / "o.jsonl"),
            symbol="BTCUSD",
            bus=Bus(),
            sizing="kelly",
        )


def test_an_entry_never_sent_is_not_sent_once_its_signal_closed(
    server: ExchangeServer, tmp_path: Path
) -> None:
    set_config(CC_BROKER_RETRY_COUNT=0)
    server.faults("order:503")
    h = Harness(server, tmp_path)
    assert h.settle(long_row("closed-early")) is None  # the entry failed: an error event
    assert [type(e) for e in h.errors] == [TransientOrderError]
    assert h.settle(None) is None  # the signal closed meanwhile: no entry, so no exit either
    assert h.orders("closed-early") == {}
    cid = client_order_id("closed-early", "entry")
    assert h.journal.rejections == {cid: "signal_closed_before_entry"}
    assert h.journal.unanswered() == []
