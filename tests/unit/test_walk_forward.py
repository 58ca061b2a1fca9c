"""Walk-forward on the Walker: fold boundaries, the train winner traded on the test window,
the stitched out-of-sample list and equity, walk-forward efficiency, executors agree."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
import walker_strategies as ws

from backtestkit.actors import (
    Backtest,
    Walker,
    add_exchange,
    add_frame,
    add_sweep,
    add_walker,
    walk_forward,
)
from backtestkit.actors.testing import reset_engine
from backtestkit.actors.walker import WalkForwardResult, walk_forward_folds
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.bus import Closed

SYMBOL = "BTCUSDT"
MINUTE = 60_000
DAY = 86_400_000


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


def test_rolling_folds_of_a_nine_day_frame() -> None:
    folds = walk_forward_folds(
        ms(2024, 1, 1), ms(2024, 1, 10), MINUTE, train=timedelta(days=3), test=timedelta(days=1)
    )
    assert len(folds) == 6
    first, last = folds[0], folds[-1]
    assert (first.train_start_ms, first.train_end_ms) == (ms(2024, 1, 1), ms(2024, 1, 3, 23, 59))
    assert (first.test_start_ms, first.test_end_ms) == (ms(2024, 1, 4), ms(2024, 1, 4, 23, 59))
    assert (last.train_start_ms, last.train_end_ms) == (ms(2024, 1, 6), ms(2024, 1, 8, 23, 59))
    assert (last.test_start_ms, last.test_end_ms) == (ms(2024, 1, 9), ms(2024, 1, 9, 23, 59))
    for fold in folds:
        assert fold.train_end_ms < fold.test_start_ms
    # the test windows tile the frame after the first train window
    for before, after in itertools.pairwise(folds):
        assert after.test_start_ms == before.test_end_ms + MINUTE


def test_anchored_folds_grow_the_train_window_from_the_frame_start() -> None:
    folds = walk_forward_folds(
        ms(2024, 1, 1),
        ms(2024, 1, 10),
        MINUTE,
        train=3 * DAY,
        test=DAY,
        step=2 * DAY,
        anchored=True,
    )
    assert [(f.train_start_ms, f.train_end_ms, f.test_start_ms) for f in folds] == [
        (ms(2024, 1, 1), ms(2024, 1, 3, 23, 59), ms(2024, 1, 4)),
        (ms(2024, 1, 1), ms(2024, 1, 5, 23, 59), ms(2024, 1, 6)),
        (ms(2024, 1, 1), ms(2024, 1, 7, 23, 59), ms(2024, 1, 8)),
    ]
    assert all(f.train_end_ms < f.test_start_ms for f in folds)


def test_a_gap_keeps_the_test_window_away_from_the_train_window() -> None:
    folds = walk_forward_folds(
        ms(2024, 1, 1), ms(2024, 1, 10), MINUTE, train=3 * DAY, test=DAY, gap=timedelta(hours=6)
    )
    assert len(folds) == 5  # the sixth test window would end at 01-10 05:59, after the frame
    first = folds[0]
    assert first.train_end_ms == ms(2024, 1, 3, 23, 59)
    assert (first.test_start_ms, first.test_end_ms) == (ms(2024, 1, 4, 6), ms(2024, 1, 5, 5, 59))
    assert all(f.test_start_ms - f.train_end_ms == 6 * 60 * MINUTE + MINUTE for f in folds)
    with pytest.raises(ValueError, match="gap must not be negative"):
        walk_forward_folds(0, 10 * DAY, MINUTE, train=DAY, test=DAY, gap=-MINUTE)


def test_fold_errors_name_the_window() -> None:
    hour = 60 * MINUTE
    with pytest.raises(
        ValueError, match=r"train \(9000000\) must be a whole number of frame steps"
    ):
        walk_forward_folds(0, 10 * DAY, hour, train=150 * MINUTE, test=2 * hour)
    with pytest.raises(ValueError, match="test must span at least two frame steps"):
        walk_forward_folds(0, 10 * DAY, MINUTE, train=DAY, test=MINUTE)
    with pytest.raises(ValueError, match="do not fit in the frame"):
        walk_forward_folds(0, 2 * DAY, MINUTE, train=2 * DAY, test=DAY)


def _register() -> list[str]:
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.trending_candles()}))
    add_frame("frame", start=ws.START, end=ws.START + 4 * DAY)
    names = add_sweep(
        "long",
        get_signal=ws.long_grid,
        grid={"take": [0.008, 0.02], "stop": [0.006, 0.03]},
        interval="5m",
    )
    add_walker("w", strategies=names, exchange="mem", frame="frame", metric="total_pnl")
    return names


def _run(**options: Any) -> WalkForwardResult:
    async def go() -> WalkForwardResult:
        with anyio.fail_after(240):
            return await walk_forward(
                SYMBOL, walker="w", train=timedelta(days=2), test=timedelta(days=1), **options
            )

    return anyio.run(go)


def test_each_fold_trades_the_train_winner_on_its_test_window() -> None:
    _register()
    result = _run()
    assert len(result.folds) == 2
    for fr in result.folds:
        fold = fr.fold
        assert fold.train_end_ms < fold.test_start_ms
        span = f"{fold.train_start_ms}-{fold.train_end_ms}"
        trained = Walker.get_data(SYMBOL, f"w@train:{span}").strategy_results
        assert len(trained) == 4
        best = max(trained, key=lambda r: r.stats.total_pnl or float("-inf"))
        assert fr.best_strategy == best.strategy_name
        assert fr.train_metric == best.stats.total_pnl
        assert fr.train_stats is not None and fr.test_stats is not None
        assert fr.train_stats.total_signals > 0 and fr.test_stats.total_signals > 0
        assert all(c.signal.pending_at <= fold.train_end_ms for c in fr.train_stats.signal_list)
        assert all(
            fold.test_start_ms <= c.signal.pending_at <= fold.test_end_ms
            for c in fr.test_stats.signal_list
        )
    # The test run is a plain backtest of the winner on the test frame.
    fr = result.folds[1]
    assert fr.best_strategy is not None and fr.test_stats is not None
    add_frame("check", start=fr.fold.test_start_ms, end=fr.fold.test_end_ms)

    async def direct() -> None:
        async for _ in Backtest.run(
            SYMBOL, strategy=fr.best_strategy, exchange="mem", frame="check"
        ):
            pass

    anyio.run(direct)
    assert Backtest.get_data(SYMBOL, fr.best_strategy).signal_list == fr.test_stats.signal_list

    # Stitched out-of-sample list, equity and efficiency.
    tests = [f.test_stats for f in result.folds if f.test_stats is not None]
    # One position at a time: fold 1's run starts flat while fold 0's last trade is still open;
    # taken by open time, a trade opening before the last kept close is left out.
    every = sorted((c for s in tests for c in s.signal_list), key=lambda c: c.signal.pending_at)
    assert len(every) == sum(s.total_signals for s in tests) == 19
    kept: list[Closed] = []
    for c in every:
        if not kept or c.signal.pending_at >= kept[-1].close_timestamp:
            kept.append(c)
    assert result.overlaps_skipped == len(every) - len(kept) == 1
    assert sorted(result.signals, key=lambda c: c.signal.pending_at) == kept
    assert all(
        b.signal.pending_at >= a.close_timestamp for a, b in itertools.pairwise(kept)
    )
    closes = [c.close_timestamp for c in result.signals]
    assert closes == sorted(closes)
    assert result.equity[0] == (result.folds[0].fold.test_start_ms, 0.0)
    assert len(result.equity) == len(result.signals) + 1
    assert result.equity[-1][1] == pytest.approx(sum(c.pnl.pnl_percentage for c in result.signals))
    assert result.statistics.total_signals == len(result.signals)
    oos = sum(c.pnl.pnl_percentage for c in kept) / 2 * 365  # two one-day test windows
    ins = sum(f.train_stats.total_pnl or 0.0 for f in result.folds if f.train_stats) / 4 * 365
    assert result.oos_annual_return == pytest.approx(oos)
    assert result.is_annual_return == pytest.approx(ins)
    assert ins > 0
    assert result.efficiency == pytest.approx(oos / ins)

    table = result.to_frame()
    assert list(table["fold"]) == [0, 1]
    assert list(table["best_strategy"]) == [f.best_strategy for f in result.folds]
    assert (table["train_end"] < table["test_start"]).all()
    assert list(table["test_start"]) == [
        datetime.fromtimestamp((ws.START + d * DAY) / 1000, tz=UTC) for d in (2, 3)
    ]


@pytest.mark.slow
def test_walk_forward_on_a_process_pool_and_dask_equals_in_process(dask_cluster: str) -> None:
    _register()
    sequential = _run()
    assert _run(workers=2) == sequential
    assert _run(dask=dask_cluster) == sequential


def test_with_a_gap_no_train_trade_closes_in_the_test_window() -> None:
    _register()
    # the signals live at most 240 minutes: a 5-hour gap covers them
    result = _run(gap=timedelta(hours=5))
    assert len(result.folds) == 1
    fold = result.folds[0]
    assert fold.fold.test_start_ms == ws.START + 2 * DAY + 5 * 60 * MINUTE
    assert fold.train_stats is not None and fold.train_stats.total_signals > 0
    assert max(c.close_timestamp for c in fold.train_stats.signal_list) < fold.fold.test_start_ms
