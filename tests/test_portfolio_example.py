"""examples/portfolio_backtest.py on its real multi-symbol data (examples/data/bittrex_*_1m.csv).

* With no shared risk or capital, the portfolio's results for each of the 4 symbols x 2
  strategies equal the reference engine's single Backtest of that pair, bit for bit
  (tests/golden/portfolio-example.json, made by tests/golden/run_portfolio_example.sh).
* The example itself (one slot shared by all, 1 BTC) prints the portfolio summary; its
  positions never overlap, each refusal names the symbol holding the slot at that minute, and
  the first position's size, cost and PnL are checked by hand against the reference's trade.
* The data files are the ones examples/data/README.md describes (rows, gaps, SHA-256).
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from backtestkit.actors import Closed, Portfolio, Signal, add_strategy
from backtestkit.adapters.reports.portfolio_html import render_portfolio_html
from backtestkit.bus import TickResult

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "portfolio_backtest.py"
GOLDEN = json.loads((ROOT / "tests" / "golden" / "portfolio-example.json").read_text())
DATA = ROOT / "examples" / "data"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("portfolio_backtest_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_shape(result: TickResult) -> dict[str, Any]:
    """Our result with the fields the fixture keeps (the reference's names)."""
    signal = result.signal
    assert signal is not None
    closed = isinstance(result, Closed)
    shaped = {
        "action": result.action,
        "position": signal.position,
        "priceOpen": signal.price_open,
        "priceTakeProfit": signal.price_take_profit,
        "priceStopLoss": signal.price_stop_loss,
        "minuteEstimatedTime": signal.minute_estimated_time,
        "scheduledAt": signal.scheduled_at,
        "pendingAt": signal.pending_at,
        "currentPrice": result.current_price,
        "closeReason": result.close_reason if closed else None,
        "closeTimestamp": getattr(result, "close_timestamp", None),
        "pnlPercentage": result.pnl.pnl_percentage if closed else None,
    }
    return {key: value for key, value in shaped.items() if value is not None}


def test_every_symbol_and_strategy_matches_the_reference_backtest() -> None:
    example = load_example()
    example.add_market()
    calls: Counter[tuple[str, str]] = Counter()

    def counted(
        name: str, rule: Callable[[str, datetime], Signal | None]
    ) -> Callable[[str, datetime], Signal | None]:
        def get_signal(symbol: str, when: datetime) -> Signal | None:
            calls[(symbol, name)] += 1
            return rule(symbol, when)

        return get_signal

    for name, rule in (("breakout", example.breakout), ("dip", example.dip)):
        add_strategy(name, interval="5m", get_signal=counted(name, rule))
    results = Portfolio.run_sync(
        example.SYMBOLS, strategy=example.STRATEGIES, exchange="bittrex", frame="jan-2018"
    )
    ours: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        ours[(result.symbol, result.strategy_name)].append(reference_shape(result))
    runs = {(run["symbol"], run["strategy"]): run for run in GOLDEN["runs"]}
    assert sorted(runs) == sorted((s, n) for s in example.SYMBOLS for n in example.STRATEGIES)
    for key, run in runs.items():
        assert ours.get(key, []) == run["results"], key
        assert calls[key] == run["get_signal_calls"], key
        assert run["errors"] == []
    # the reference's per-pair closed counts (tests/golden/README.md), 34 in all
    assert {key: len(run["results"]) for key, run in runs.items()} == {
        ("ADABTC", "breakout"): 8, ("ADABTC", "dip"): 2, ("ETHBTC", "breakout"): 6,
        ("ETHBTC", "dip"): 0, ("LTCBTC", "breakout"): 6, ("LTCBTC", "dip"): 1,
        ("XLMBTC", "breakout"): 4, ("XLMBTC", "dip"): 7,
    }  # fmt: skip
    assert len(results) == 34


def test_the_example_shares_one_slot_and_prints_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    example = load_example()
    example.main()
    out = capsys.readouterr().out
    assert "| Symbols | ETHBTC, LTCBTC, XLMBTC, ADABTC |" in out
    assert "| Strategies | breakout, dip |" in out
    assert "| Starting capital | 1.0000 |" in out  # BTC: a ten-thousandth of the capital
    assert "## Per-symbol contribution" in out and "## Heatmap: dip" in out
    assert (tmp_path / "dump" / "portfolio" / "breakout+dip.md").is_file()
    stats = Portfolio.get_data(example.SYMBOLS, example.STRATEGIES)
    trades = sorted(stats.trades, key=lambda t: t.opened_at)
    assert {t.symbol for t in trades} == set(example.SYMBOLS)
    for before, after in itertools.pairwise(trades):
        assert after.opened_at >= before.closed_at, (before, after)  # one position at a time
    assert stats.rejections  # the slot binds on this data
    for refusal in stats.rejections:
        assert refusal.comment == "max_concurrent_positions=1 reached"
        (holder,) = refusal.held_by
        assert holder != refusal.symbol
        assert any(
            t.symbol == holder and t.opened_at <= refusal.timestamp < t.closed_at for t in trades
        ), refusal
    match = re.search(r"final equity ([0-9.]+) BTC, (\d+) trades, (\d+) entries refused", out)
    assert match is not None
    assert float(match[1]) == pytest.approx(1.0 + sum(t.pnl for t in trades), abs=5e-9)
    assert (int(match[2]), int(match[3])) == (len(trades), len(stats.rejections))

    # the first position: nothing else is open, so it is the reference's own first trade
    first = trades[0]
    reference = next(
        run["results"][0]
        for run in GOLDEN["runs"]
        if (run["symbol"], run["strategy"]) == (first.symbol, first.strategy_name)
    )
    assert first.opened_at == reference["pendingAt"]
    assert first.closed_at == reference["closeTimestamp"]
    assert first.price_open == reference["priceOpen"]
    assert first.pnl_percentage == reference["pnlPercentage"]
    # fixed_percentage: 2 % of 1 BTC at risk over a 1 % stop wants 2 BTC of coin; the 50 % cap
    # buys 0.5 BTC worth. Cost: slippage 0.1 % on the price, fee 0.1 % of the cost.
    quantity = 1.0 * 50 / 100 / first.price_open
    assert first.quantity == quantity
    assert first.cost == pytest.approx(quantity * first.price_open * 1.001, rel=1e-12)
    assert first.fee_open == pytest.approx(first.cost * 0.001, rel=1e-12)
    assert first.pnl == pytest.approx(first.cost * reference["pnlPercentage"] / 100, rel=1e-9)
    after_first = next(p for p in stats.equity if p.timestamp == first.closed_at)
    assert after_first.equity == pytest.approx(1.0 + first.pnl, rel=1e-12)

    # the HTML report shows the same money to 4 places (a ten-thousandth of 1 BTC)
    html = render_portfolio_html(stats)
    assert '<td data-label="value">1.0000</td>' in html
    for c in stats.contributions:
        row = f'<td data-label="Symbol">{c.symbol}</td><td data-label="Trades">{c.trades}</td>'
        money = f'<td data-label="PnL">{c.pnl:.4f}</td><td data-label="Fees">{c.fees:.4f}</td>'
        assert row + money in html


# rows, missing minutes and SHA-256 as examples/data/README.md states them
FILES = {
    "ETHBTC": (14_397, 1, "a5c41092ffc95266c1402110664652acfa3e1eaf487476a476272a8e294b323d"),
    "LTCBTC": (14_360, 38, "21e5924cfa6bef2f6590684a8f38bc12bfc965179a96b70bc1079ce46fa7ede6"),
    "XLMBTC": (14_373, 25, "3b26b0ef8aa6451b6adc839707a896751d5a8b70509e0bb12838dd04130cf958"),
    "ADABTC": (14_383, 14, "4baffc21d9f38ddaeafd08ff46730879918509166ad58e810af6064e99286427"),
}


@pytest.mark.parametrize("symbol", list(FILES))
def test_the_data_files_are_the_documented_ones(symbol: str) -> None:
    rows, missing, sha256 = FILES[symbol]
    path = DATA / f"bittrex_{symbol}_1m.csv"
    readme = (DATA / "README.md").read_text()
    assert f"| `{path.name}` | {rows:,} |".replace(",", " ") in readme
    assert sha256 in readme
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    lines = path.read_text().splitlines()
    assert lines[0] == "timestamp,open,high,low,close,volume"
    stamps = [int(line.split(",", 1)[0]) for line in lines[1:]]
    assert len(stamps) == rows
    steps = [(b - a) // 60_000 for a, b in itertools.pairwise(stamps)]
    assert min(steps) >= 1 and max(steps) == (2 if missing else 1)  # single missing minutes
    assert sum(step - 1 for step in steps) == missing
