"""The order journal, client order ids and the quantity checks, without an exchange."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backtestkit.actors.broker import (
    JournalCorrupt,
    MarketRules,
    OrderJournal,
    OrderRejected,
    OrderReport,
    OrderRequest,
    checked_amount,
    client_order_id,
    round_down,
)

RULES = MarketRules(
    symbol="BTC/USDT", base="BTC", quote="USDT", amount_step=0.001, min_amount=0.002, min_cost=10
)


def _request(cid: str = "c1") -> OrderRequest:
    return OrderRequest(
        client_id=cid,
        signal_id="s1",
        leg="entry",
        market="BTC/USDT",
        side="buy",
        amount=0.01,
        price=100.0,
        at=1,
    )


def _report(cid: str = "c1", status: str = "closed") -> OrderReport:
    return OrderReport(
        client_id=cid,
        exchange_id="7",
        status=status,  # type: ignore[arg-type]
        amount=0.01,
        filled=0.01,
        average=101.0,
        fee=0.001,
        fee_currency="USDT",
        at=2,
    )


def test_client_ids_are_stable_distinct_per_leg_and_binance_safe() -> None:
    signal = "2b9f6a0e-4c1d-4f7e-9a77-0d0f5c1e9b21"  # a uuid, the engine's default id
    ids = [client_order_id(signal, leg) for leg in ("entry", "exit", "exit-1", "exit-12")]
    assert len(set(ids)) == 4
    assert ids == [client_order_id(signal, leg) for leg in ("entry", "exit", "exit-1", "exit-12")]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,36}", cid) for cid in ids)
    assert client_order_id("other", "entry") != ids[0]
    with pytest.raises(ValueError, match="unknown order leg 'exits'"):
        client_order_id(signal, "exits")


def test_the_journal_replays_intents_answers_rejections_and_baselines(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    journal = OrderJournal(path)
    journal.baseline("BTC/USDT", 0.5)
    journal.intent(_request("a"))
    journal.intent(_request("b"))
    journal.answer(_report("a"))
    journal.reject("b", "insufficient_balance")
    journal.intent(_request("c"))
    journal.answer(_report("c", status="open"))
    journal.close()
    again = OrderJournal(path)
    assert again.baselines == {"BTC/USDT": 0.5}
    assert again.answers["a"] == _report("a")
    assert again.rejections == {"b": "insufficient_balance"}
    assert [r.client_id for r in again.unanswered()] == ["c"]  # open: not final yet
    assert again.intents["a"] == _request("a")


def test_a_torn_last_line_is_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    journal = OrderJournal(path)
    journal.intent(_request("a"))
    journal.close()
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"k":"intent","order":{"client_')  # killed mid-write
    again = OrderJournal(path)
    assert list(again.intents) == ["a"]
    assert path.read_bytes() == whole
    again.intent(_request("b"))  # the next line starts clean
    again.close()
    assert list(OrderJournal(path).intents) == ["a", "b"]


def test_a_damaged_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    journal = OrderJournal(path)
    journal.intent(_request("a"))
    journal.close()
    path.write_bytes(path.read_bytes() + b'{"k":"mystery"}\n')
    with pytest.raises(JournalCorrupt, match=rf"{re.escape(str(path))}:2: unreadable journal"):
        OrderJournal(path)
    assert path.read_bytes().count(b"\n") == 2  # nothing rewritten


def test_phases_come_in_write_ahead_order(tmp_path: Path) -> None:
    seen: list[str] = []
    journal = OrderJournal(tmp_path / "o.jsonl", on_phase=lambda p, cid: seen.append(p))
    journal.intent(_request())
    journal.answer(_report())
    journal.answer(_report())  # the same answer again is not written twice
    assert seen == ["before_intent", "after_intent", "before_answer", "after_answer"]


@pytest.mark.parametrize(
    ("amount", "step", "expected"),
    [(0.3, 0.1, 0.3), (0.0129999, 0.001, 0.012), (7.0, 0.5, 7.0), (1.23456, 0.0, 1.23456)],
)
def test_round_down_to_the_step(amount: float, step: float, expected: float) -> None:
    assert round_down(amount, step) == expected


def test_amounts_are_rounded_then_checked_against_the_minimums() -> None:
    assert checked_amount(0.0259, 1000.0, RULES) == 0.025
    with pytest.raises(OrderRejected, match=r"rounds to 0\.001, below the market's minimum amount"):
        checked_amount(0.0019, 10_000.0, RULES)
    with pytest.raises(OrderRejected, match="cost 9 USDT is below the market's minimum cost 10"):
        checked_amount(0.0099, 1000.0, RULES)  # 0.009 x 1000
    with pytest.raises(OrderRejected) as info:
        checked_amount(float("nan"), 1000.0, RULES)
    assert info.value.reason == "below_minimum"
