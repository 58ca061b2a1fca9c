"""Research numbers count every closed signal of a run, not the reference's newest 250."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta

import anyio
import numpy as np
import pytest
import walker_strategies as ws

from backtestkit.actors import (
    Backtest,
    Walker,
    add_exchange,
    add_frame,
    add_strategy,
    add_sweep,
    add_walker,
    set_config,
    walk_forward,
)
from backtestkit.actors.testing import reset_engine
from backtestkit.actors.walker import WalkForwardResult
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.bus import Closed

SYMBOL = "BTCUSDT"
MINUTE = 60_000
DAY = 86_400_000
EXPECTED_OVERLAPS = 3  # trades of later windows opening while the last kept one is open


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


def _churn() -> str:
    """Always long with take-profit and stop-loss 0.1 % away: hundreds of trades in 2 days."""
    set_config(
        CC_PERCENT_SLIPPAGE=0.01,
        CC_PERCENT_FEE=0.01,
        CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=0.05,
        CC_MIN_STOPLOSS_DISTANCE_PERCENT=0.05,
    )
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.trending_candles()}))
    add_frame("two-days", start=ws.START, end=ws.START + 2 * DAY)
    (name,) = add_sweep(
        "churn", get_signal=ws.long_grid, grid={"take": [0.001], "stop": [0.001]}, interval="1m"
    )
    return name


def _closed(strategy: str, frame: str = "two-days") -> list[Closed]:
    out: list[Closed] = []

    async def go() -> None:
        async for result in Backtest.run(SYMBOL, strategy=strategy, exchange="mem", frame=frame):
            if isinstance(result, Closed):
                out.append(result)

    anyio.run(go)
    return out


def test_research_compounds_every_yielded_closed_signal() -> None:
    name = _churn()
    closed = _closed(name)
    n = len(closed)
    assert n > 250
    stats = Backtest.get_data(SYMBOL, name)
    # The reference's statistics keep the newest 250 (SPEC 9.1) ...
    assert stats.total_signals == 250
    assert list(stats.signal_list) == closed[::-1][:250]
    # ... research counts all of them.
    research = Backtest.research(SYMBOL, name, frame="two-days")
    pnls = [c.pnl.pnl_percentage for c in closed]
    product = 10_000.0 * math.prod(1 + p / 100 for p in pnls)
    newest = 10_000.0 * math.prod(1 + p / 100 for p in pnls[-250:])
    assert research.trades == n
    assert research.equity_final == pytest.approx(product, rel=1e-12)
    assert abs(product - newest) > 1.0  # the capped series would be another number
    assert research.win_rate_pct == pytest.approx(100 * sum(p > 0 for p in pnls) / n, rel=1e-12)
    # Exposure: the frame's minutes from each entry minute to its exit minute, inclusive.
    bars = 2 * 1440 + 1
    held = np.zeros(bars, dtype=bool)
    for c in closed:
        first = max(0, (c.signal.pending_at - ws.START) // MINUTE)
        last = min(bars - 1, (c.close_timestamp - ws.START) // MINUTE)
        held[first : last + 1] = True
    assert research.exposure_pct == pytest.approx(100 * held.mean(), rel=1e-12)
    # The first trade opened in the first minutes, not 250 trades before the end.
    assert research.start == ws.START

    report = Backtest.get_report(SYMBOL, name)
    assert report.endswith(
        f"*This report lists and counts the newest 250 of {n} closed signals (the reference's "
        f"cap); research metrics count all {n}.*"
    )
    assert "**Total signals:** 250" in report


def test_a_short_run_report_has_no_cap_line() -> None:
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.trending_candles()}))
    add_frame("day", start=ws.START, end=ws.START + DAY)
    add_strategy("sma", interval="1m", get_signal=ws.sma_5_20)
    closed = _closed("sma", "day")
    assert 0 < len(closed) < 250
    report = Backtest.get_report(SYMBOL, "sma")
    assert report.endswith("(higher is better)")
    assert "research metrics" not in report


def _walk(resume_dir: str | None = None, workers: int = 1) -> None:
    async def go() -> None:
        async for _ in Walker.run(SYMBOL, walker="w", resume_dir=resume_dir, workers=workers):
            pass

    anyio.run(go)


def test_walker_daily_returns_count_every_trade_on_every_executor(tmp_path: object) -> None:
    name = _churn()
    add_strategy("sma", interval="1m", get_signal=ws.sma_5_20)
    add_walker("w", strategies=[name, "sma"], exchange="mem", frame="two-days")
    closed = _closed(name)
    by_day = [0.0, 0.0, 0.0]
    for c in closed:
        by_day[(c.close_timestamp - ws.START) // DAY] += c.pnl.pnl_percentage / 100
    _walk()
    stored = Walker.get_data(SYMBOL, "w").strategy_results[-1].stats
    assert stored.total_signals == 250 and len(stored.trades) == len(closed)
    assert stored.trades.pnl_percentage.tolist() == [c.pnl.pnl_percentage for c in closed]
    check = Walker.get_overfitting(SYMBOL, "w")
    assert check.days == 3
    # A resumed walk (statistics from disk) and a process pool give the same check.
    _walk(resume_dir=str(tmp_path))
    resumed_dir_walk = Walker.get_overfitting(SYMBOL, "w")
    _walk(resume_dir=str(tmp_path))
    assert Walker.get_overfitting(SYMBOL, "w") == resumed_dir_walk == check
    _walk(workers=2)
    assert Walker.get_overfitting(SYMBOL, "w") == check
    pooled = Walker.get_data(SYMBOL, "w").strategy_results[-1].stats
    assert pooled.trades.close_ms.tolist() == [c.close_timestamp for c in closed]
    from backtestkit.actors.reports.walker_overfitting import daily_returns

    assert daily_returns(pooled, ws.START, ws.START + 2 * DAY).tolist() == pytest.approx(
        by_day, rel=1e-12
    )


def test_anchored_walk_forward_never_stitches_overlapping_positions() -> None:
    """Each test window starts flat; a position of the previous window still open when the next
    window's first trade opens would make two at once: that later trade is left out."""
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.trending_candles()}))
    add_frame("four-days", start=ws.START, end=ws.START + 4 * DAY - MINUTE)
    names = add_sweep(
        "long", get_signal=ws.long_grid, grid={"take": [0.02], "stop": [0.03]}, interval="5m"
    )
    add_walker("wf", strategies=names, exchange="mem", frame="four-days", metric="total_pnl")

    async def go() -> WalkForwardResult:
        return await walk_forward(
            SYMBOL, walker="wf", train=timedelta(days=1), test=timedelta(days=1), anchored=True
        )

    result = anyio.run(go)
    tests = [f.test_stats for f in result.folds if f.test_stats is not None]
    assert len(tests) == 3
    every = sorted((c for s in tests for c in s.signal_list), key=lambda c: c.signal.pending_at)
    kept: list[Closed] = []
    for c in every:
        if not kept or c.signal.pending_at >= kept[-1].close_timestamp:
            kept.append(c)
    assert result.overlaps_skipped == len(every) - len(kept) == EXPECTED_OVERLAPS
    assert sorted(result.signals, key=lambda c: c.signal.pending_at) == kept
    ledger = result.statistics.trades
    assert ledger.close_ms.tolist() == [c.close_timestamp for c in result.signals]
    assert result.equity[-1][1] == pytest.approx(sum(c.pnl.pnl_percentage for c in kept))


def test_the_overfitting_check_does_not_depend_on_registration_order() -> None:
    """Two identical strategies tie on every metric and two that never trade tie at 0: the
    check is the same for every order, and its best strategy is the smallest tied name."""
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.trending_candles()}))
    add_frame("four-days", start=ws.START, end=ws.START + 4 * DAY - MINUTE)
    for name, fn in (("b", ws.sma_5_20), ("a", ws.sma_5_20), ("x", ws.never), ("y", ws.never),
                     ("c", ws.sma_3_12)):  # fmt: skip
        add_strategy(name, interval="5m", get_signal=fn)
    checks = []
    for index, order in enumerate(
        (["b", "a", "x", "y", "c"], ["y", "c", "a", "x", "b"], ["x", "y", "c", "b", "a"])
    ):
        add_walker(f"w{index}", strategies=order, exchange="mem", frame="four-days")

        async def walk(walker: str = f"w{index}") -> None:
            async for _ in Walker.run(SYMBOL, walker=walker):
                pass

        anyio.run(walk)
        checks.append(Walker.get_overfitting(SYMBOL, f"w{index}"))
    assert checks[0] == checks[1] == checks[2]
    assert checks[0].trials == 5 and checks[0].pbo is not None
    first = Walker.get_data(SYMBOL, "w0")
    values = {r.strategy_name: r.metric_value for r in first.strategy_results}
    assert values["a"] == values["b"] is not None
    top = max(v for v in values.values() if v is not None)
    expected = min(n for n, v in values.items() if v == top)
    assert checks[0].best_strategy == expected
    if expected == "a":  # the walker's own best keeps the reference's rule: the earlier of a tie
        assert first.best_strategy == "b"
