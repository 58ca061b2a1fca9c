"""Portfolio mode: many symbols on one clock (issue 28).

Without a binding shared limit every symbol's results equal its own Backtest (which the golden
tests pin to the reference engine); with `max_concurrent_positions=1` shared by three symbols
no two positions overlap in time and every rejection names the symbol holding the slot."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import pytest
from portfolio_market import STRATEGIES, SYMBOLS, register

from backtestkit.actors import Backtest, Closed, Portfolio, TickResult, add_risk, add_strategy
from backtestkit.actors.testing import reset_engine
from backtestkit.bus import BacktestProgress, RiskEvent, listen_progress_backtest, listen_risk


def _dicts(results: list[TickResult]) -> list[dict[str, object]]:
    return [r.to_dict() for r in results]


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_each_symbol_equals_its_single_backtest(name: str) -> None:
    register(name)
    single = {
        s: _dicts(Backtest.run_sync(s, strategy=name, exchange="mem", frame="f")) for s in SYMBOLS
    }
    merged = Portfolio.run_sync(SYMBOLS, strategy=name, exchange="mem", frame="f")
    assert sum(len(v) for v in single.values()) == len(merged) > 0
    for symbol in SYMBOLS:
        assert _dicts([r for r in merged if r.symbol == symbol]) == single[symbol]
    # time order: each result's event minute (close / cancel, else the tick) never goes back
    stamps = [getattr(r, "close_timestamp", None) or r.signal.scheduled_at for r in merged]
    assert stamps == sorted(stamps)


def _one_slot_run(
    order: list[str] | None = None, name: str = "staggered"
) -> tuple[list[TickResult], list[RiskEvent]]:
    reset_engine()
    register(name, order=order, risk="one")
    add_risk("one", max_concurrent_positions=1)
    events: list[RiskEvent] = []
    stop = listen_risk(events.append)
    results = Portfolio.run_sync(SYMBOLS, strategy=name, exchange="mem", frame="f")
    stop()
    return results, events


@pytest.mark.parametrize("name", ["staggered", "scheduled-limit", "fuzz-2"])
def test_one_slot_shared_by_three_symbols_never_overlaps(name: str) -> None:
    """Market entries (staggered), limit entries checked when they fill (scheduled-limit) and
    a mix of both with random lifetimes (fuzz-2)."""
    results, events = _one_slot_run(name=name)
    closed = sorted(
        (r for r in results if isinstance(r, Closed)), key=lambda r: r.signal.pending_at
    )
    assert {r.symbol for r in closed} == set(SYMBOLS)  # every symbol gets the slot sometimes
    for before, after in pairwise(closed):
        assert after.signal.pending_at >= before.close_timestamp, (before, after)
    stats = Portfolio.get_data(SYMBOLS, name)
    assert stats.rejections and len(stats.rejections) == len(events)
    for rejection in stats.rejections:
        holder = [
            r.symbol
            for r in closed
            if r.signal.pending_at <= rejection.timestamp < r.close_timestamp
        ]
        assert rejection.held_by == tuple(holder) and len(holder) == 1
        assert holder[0] != rejection.symbol
        assert rejection.comment == "max_concurrent_positions=1 reached"
    # single backtests of the same symbols, one after the other, share nothing in time
    singles = [Backtest.run_sync(s, strategy=name, exchange="mem", frame="f") for s in SYMBOLS]
    assert len(closed) < sum(sum(isinstance(r, Closed) for r in rs) for rs in singles)


def test_one_slot_portfolio_is_deterministic_whatever_the_load_order() -> None:
    first, _ = _one_slot_run()
    again, _ = _one_slot_run()
    reordered, _ = _one_slot_run(order=list(reversed(SYMBOLS)))
    assert _dicts(first) == _dicts(again) == _dicts(reordered)


def test_symbol_order_breaks_ties() -> None:
    """BTCUSD and HALF signal at the same minutes: the symbol given first takes the slot."""
    register("always-long", risk="one", order=["BTCUSD", "HALF"])
    add_risk("one", max_concurrent_positions=1)
    ahead = Portfolio.run_sync(
        ["BTCUSD", "HALF"], strategy="always-long", exchange="mem", frame="f"
    )
    behind = Portfolio.run_sync(
        ["HALF", "BTCUSD"], strategy="always-long", exchange="mem", frame="f"
    )
    assert ahead[0].symbol == "BTCUSD" and behind[0].symbol == "HALF"
    assert [r.signal.pending_at for r in ahead] == [r.signal.pending_at for r in behind]


@pytest.mark.parametrize(
    ("symbols", "message"),
    [
        ([], "portfolio: no symbols given"),
        (["BTCUSD", "BTCUSD"], "portfolio: symbol 'BTCUSD' given twice"),
        (["BTCUSD", ""], "portfolio: symbols must be non-empty strings, got ''"),
    ],
)
def test_bad_symbols_are_named(symbols: list[str], message: str) -> None:
    register("always-long")
    with pytest.raises(ValueError, match=message):
        Portfolio.run(symbols, strategy="always-long", exchange="mem", frame="f")


@pytest.mark.parametrize("capital", [0, -5, float("nan"), float("inf")])
def test_bad_capital_is_named(capital: float) -> None:
    register("always-long")
    with pytest.raises(ValueError, match="portfolio: capital must be a finite number > 0"):
        Portfolio.run(SYMBOLS, strategy="always-long", exchange="mem", frame="f", capital=capital)


def test_dump_list_and_background(tmp_path: Path) -> None:
    register("staggered")
    cancel = Portfolio.background(SYMBOLS, strategy="staggered", exchange="mem", frame="f")
    deadline = time.monotonic() + 60
    while Portfolio.list()[0].status == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    cancel()
    (status,) = Portfolio.list()
    assert (status.symbol, status.name, status.status) == (
        "BTCUSD,HALF,SHIFT",
        "staggered",
        "fulfilled",
    )
    stats = Portfolio.get_data(SYMBOLS, "staggered")
    assert sum(h.portfolio_total_trades for h in stats.heat.values()) > 0
    path = Portfolio.dump(SYMBOLS, "staggered", tmp_path / "p.md")
    assert path.read_text() == Portfolio.get_report(SYMBOLS, "staggered")
    assert path.read_text().startswith("# Portfolio: staggered on BTCUSD, HALF, SHIFT\n")


@pytest.mark.anyio
async def test_stop_takes_no_new_signal() -> None:
    register("staggered")
    seen: list[TickResult] = []
    async for result in Portfolio.run(SYMBOLS, strategy="staggered", exchange="mem", frame="f"):
        seen.append(result)
        if len(seen) == 3:
            await Portfolio.stop(SYMBOLS, "staggered")
    stopped_at = seen[2].close_timestamp  # type: ignore[union-attr]
    # after the stop only the positions open then close (at most one per symbol)
    assert len(seen) - 3 <= len(SYMBOLS)
    assert all(r.signal.pending_at <= stopped_at for r in seen[3:])
    again = Portfolio.run(SYMBOLS, strategy="staggered", exchange="mem", frame="f")
    assert len(seen) < len([r async for r in again])


def test_each_symbol_reports_its_progress() -> None:
    register("staggered")
    events: list[BacktestProgress] = []
    stop = listen_progress_backtest(events.append)
    Portfolio.run_sync(SYMBOLS, strategy="staggered", exchange="mem", frame="f")
    stop()
    for symbol in SYMBOLS:
        mine = [e.processed_frames for e in events if e.symbol == symbol]
        assert mine == sorted(mine) and mine[-1] == events[0].total_frames == 4921
        assert 100 <= len(mine) <= 202


@pytest.mark.slow
def test_workers_give_the_in_process_results() -> None:
    """Two worker processes, one lane each at a time; merged, the list equals the clock's."""
    register("scheduled-limit")
    add_strategy("sma-cross", interval="5m", get_signal=STRATEGIES["sma-cross"][1])
    both = ["scheduled-limit", "sma-cross"]
    here = _dicts(Portfolio.run_sync(SYMBOLS, strategy=both, exchange="mem", frame="f"))
    there = Portfolio.run_sync(SYMBOLS, strategy=both, exchange="mem", frame="f", workers=2)
    assert _dicts(there) == here and len(here) > 200
    heat = Portfolio.get_data(SYMBOLS, both).heat
    assert sum(h.portfolio_total_trades for h in heat.values()) == sum(
        isinstance(r, Closed) for r in there
    )


def test_workers_refuse_what_binds_the_symbols() -> None:
    register("risky-long")  # its risk profile "hours" is shared by the symbols
    with pytest.raises(ValueError, match=r"risk profiles of \['risky-long'\] bind them"):
        Portfolio.run(SYMBOLS, strategy="risky-long", exchange="mem", frame="f", workers=2)
    with pytest.raises(ValueError, match="the capital bind them together"):
        Portfolio.run(
            SYMBOLS, strategy="risky-long", exchange="mem", frame="f", workers=2, capital=1e4
        )
    with pytest.raises(ValueError, match="portfolio: workers must be an integer >= 1, got 0"):
        Portfolio.run(SYMBOLS, strategy="risky-long", exchange="mem", frame="f", workers=0)
