"""The plugin examples (examples/plugins/) on the hand-made market of hand_market.py, whose
every close is known (see its docstring).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from hand_market import EXPECTED, LONG_TP, MIN, T0, run_market
from hand_market import minute_of as _minute
from reactivex.subject import Subject

from backtestkit.bus import Closed, topics

PLUGINS = Path(__file__).resolve().parents[1] / "examples" / "plugins"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"plugin_{name}", PLUGINS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_market_closes_as_designed() -> None:
    closed: list[Closed] = []
    topics.transition.subscribe(closed.append, where=lambda r: r.action == "closed")  # type: ignore[arg-type]
    run_market()
    got = [(r.symbol, _minute(r.close_timestamp), r.close_reason) for r in closed]
    assert got == [row[:3] for row in EXPECTED]
    assert [r.pnl.pnl_percentage for r in closed] == pytest.approx([row[3] for row in EXPECTED])


def test_trade_journal_writes_one_line_per_closed_signal(tmp_path: Path) -> None:
    journal = load("trade_journal").TradeJournal(tmp_path / "journal.jsonl")
    unsubscribe = journal.attach()
    run_market()
    unsubscribe()
    lines = [json.loads(line) for line in journal.path.read_text().splitlines()]
    assert len(lines) == 6
    assert [(e["symbol"], _minute(e["close_timestamp"]), e["close_reason"]) for e in lines] == [
        row[:3] for row in EXPECTED
    ]
    assert [e["pnl_percentage"] for e in lines] == pytest.approx([row[3] for row in EXPECTED])
    assert lines[0] == {
        "close_timestamp": T0 + 30 * MIN,
        "symbol": "AAA",
        "strategy": "plan",
        "signal_id": f"plan:AAA:{T0 + 20 * MIN}",
        "position": "long",
        "price_open": 100.0,
        "price_close": 101.0,
        "close_reason": "take_profit",
        "pnl_percentage": pytest.approx(LONG_TP),
    }
    assert lines[2]["position"] == "short" and lines[2]["price_close"] == 99.0


def test_minute_notifier_batches_by_close_minute() -> None:
    notifier = load("minute_notifier")
    end = Subject[bool]()
    sent: list[str] = []
    notifier.notify(sent.append, end)
    run_market()
    assert sent == []  # batches go out when `until` fires, never on wall time
    end.on_next(True)
    assert sent == [
        "2026-01-01 00:30 UTC: 2 closed: AAA take_profit +0.60 %, BBB take_profit +0.60 %",
        "2026-01-01 00:45 UTC: 1 closed: AAA stop_loss -1.40 %",
        "2026-01-01 01:10 UTC: 1 closed: AAA take_profit +0.60 %",
        "2026-01-01 00:55 UTC: 1 closed: BBB stop_loss -1.40 %",
        "2026-01-01 01:34 UTC: 1 closed: BBB time_expired -0.40 %",
    ]


def test_minute_batches_keys_and_members() -> None:
    notifier = load("minute_notifier")
    end = Subject[bool]()
    batches: list[tuple[int, list[Closed]]] = []
    notifier.minute_batches(topics.transition.observable, end).subscribe(batches.append)
    run_market()
    end.on_next(True)
    assert [(_minute(key), [r.symbol for r in batch]) for key, batch in batches] == [
        (30, ["AAA", "BBB"]),
        (45, ["AAA"]),
        (70, ["AAA"]),
        (55, ["BBB"]),
        (94, ["BBB"]),
    ]


def test_rolling_win_rate_over_merged_symbols() -> None:
    rates: list[tuple[Closed, float]] = []
    load("rolling_win_rate").rolling_win_rate(["AAA", "BBB"], window=3).subscribe(rates.append)
    run_market()
    assert [(r.symbol, _minute(r.close_timestamp)) for r, _ in rates] == [
        (row[0], row[1]) for row in EXPECTED
    ]
    # outcomes W L W | W L L -> windows of 3: W, WL, WLW, LWW, WWL, WLL
    assert [rate for _, rate in rates] == pytest.approx(
        [100, 50, 200 / 3, 200 / 3, 200 / 3, 100 / 3]
    )


def test_rolling_win_rate_ignores_other_symbols() -> None:
    rates: list[tuple[Closed, float]] = []
    load("rolling_win_rate").rolling_win_rate(["BBB"], window=2).subscribe(rates.append)
    run_market()
    assert [rate for _, rate in rates] == [100.0, 50.0, 0.0]
