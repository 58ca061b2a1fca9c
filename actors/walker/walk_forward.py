"""Walk-forward analysis on the Walker: pick on the train window, trade the test window.

`await walk_forward(symbol, walker="w", train=timedelta(days=3), test=timedelta(days=1))`
cuts the walker's frame into folds (`folds.walk_forward_folds`, rolling or `anchored=True`).
For each fold it runs the walker's strategies on the train frame through `Walker.run` (so on
the chosen executor: in process, `workers=N`, `dask=...`), takes the best strategy by the
walker's metric and runs that one strategy on the test frame, also through `Walker.run`. The
folds' frames and walkers are registered as `<walker>@train:<start>-<end>` and
`<walker>@test:<start>-<end>[:<strategy>]` (content in the name, so a re-run reuses them). As
in any backtest, a signal opened inside a window runs to its close, which may fall after it;
`gap` (see `folds`) keeps train trades off the test window's candles.

The result stitches the test windows as one account holding one position at a time: taken in
order of their open time, an out-of-sample trade that opens before the previously kept one has
closed (a test run starts flat while the last fold's position may still be open) is left out and
counted in `overlaps_skipped`. `signals` holds the kept closed signals (oldest first; of each
fold only the newest 250 its statistics store), `equity` the cumulative PnL % at each kept close
over every kept trade (starting at 0 at the first test window), and `statistics` SPEC 9.1 over
`signals` with every kept trade in its ledger (research metrics count them all). The train
winner is the best by the walker's metric, a tie going to the smallest strategy name
(`ranking.research_best`), so the folds do not depend on registration order. A fold whose train
walk has no best strategy (no strategy had a metric value) has no test run. Walk-forward
efficiency is `oos_annual / is_annual`: annualised returns as plain sums of PnL (percent)
divided by the windows' days, times 365; `oos_annual` sums the kept out-of-sample trades over
the test windows, `is_annual` every train trade of the chosen strategies over the train windows.
None when `is_annual <= 0`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from backtestkit.bus import Closed, Serializable

from ..core.registration import add_frame, add_walker
from ..core.registry import registry
from ..market.intervals import FRAME_INTERVALS, interval_ms
from ..reports.backtest_statistics import BacktestStatistics
from ..reports.ranking import research_best
from ..reports.statistics import backtest_statistics
from ..reports.tabular import rows_frame
from ..reports.trade_ledger import TradeLedger
from ..reports.walker_models import WalkerResults
from .facade import Walker, WalkerMode
from .folds import Fold, walk_forward_folds
from .storage import NO_WALKER_DATA

__all__ = ["FoldResult", "WalkForwardResult", "walk_forward"]

_MS_PER_DAY = 86_400_000


@dataclass(frozen=True, slots=True, kw_only=True)
class FoldResult(Serializable):
    """One fold: the train winner, its train metric and statistics, its test statistics."""

    fold: Fold
    best_strategy: str | None
    train_metric: float | None
    train_stats: BacktestStatistics | None
    test_stats: BacktestStatistics | None


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkForwardResult(Serializable):
    walker_name: str
    symbol: str
    metric: str
    anchored: bool
    folds: tuple[FoldResult, ...]
    signals: tuple[Closed, ...]
    equity: tuple[tuple[int, float], ...]
    statistics: BacktestStatistics
    overlaps_skipped: int
    is_annual_return: float | None
    oos_annual_return: float | None
    efficiency: float | None

    def to_frame(self) -> Any:
        """One row per fold (windows as UTC datetimes, the winner, train and test PnL), as a
        pandas DataFrame (extra `pandas`); `statistics.to_frame()` has the stitched signals."""
        return rows_frame([_fold_row(r) for r in self.folds])


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _fold_row(result: FoldResult) -> dict[str, Any]:
    fold, train, test = result.fold, result.train_stats, result.test_stats
    return {
        "fold": fold.index,
        "train_start": _when(fold.train_start_ms),
        "train_end": _when(fold.train_end_ms),
        "test_start": _when(fold.test_start_ms),
        "test_end": _when(fold.test_end_ms),
        "best_strategy": result.best_strategy,
        "train_metric": result.train_metric,
        "train_total_pnl": None if train is None else train.total_pnl,
        "train_signals": None if train is None else train.total_signals,
        "test_total_pnl": None if test is None else test.total_pnl,
        "test_signals": None if test is None else test.total_signals,
    }


def _frame(name: str, start_ms: int, end_ms: int, interval: str) -> str:
    if name not in registry.frames:
        add_frame(name, start=start_ms, end=end_ms, interval=interval)
    return name


def _walker(name: str, strategies: list[str], exchange: str, frame: str, metric: str) -> str:
    if name not in registry.walkers:
        add_walker(name, strategies=strategies, exchange=exchange, frame=frame, metric=metric)
    return name


async def _results(
    walker_mode: WalkerMode, symbol: str, name: str, fold: Fold, options: dict[str, Any]
) -> WalkerResults:
    try:
        return await walker_mode.run_to_end(symbol, walker=name, **options)
    except ValueError as exc:
        if str(exc) != NO_WALKER_DATA:
            raise
        raise RuntimeError(
            f"walk-forward fold {fold.index}: walker {name!r} produced no result "
            "(every strategy failed or the walk was stopped)"
        ) from None


def _days(start_ms: int, end_ms: int, step_ms: int) -> float:
    return (end_ms - start_ms + step_ms) / _MS_PER_DAY


def _annual(pnl: float, days: float) -> float | None:
    return pnl / days * 365 if days > 0 else None


def _one_position_at_a_time(ledgers: list[TradeLedger]) -> tuple[TradeLedger, int]:
    """The folds' trades by open time, without those opening before the last kept close."""
    entries = np.concatenate([t.entry_ms for t in ledgers] or [np.zeros(0, np.int64)])
    closes = np.concatenate([t.close_ms for t in ledgers] or [np.zeros(0, np.int64)])
    pnls = np.concatenate([t.pnl_percentage for t in ledgers] or [np.zeros(0)])
    keep: list[int] = []
    busy_until = None
    for index in np.lexsort((closes, entries)).tolist():
        if busy_until is not None and int(entries[index]) < busy_until:
            continue
        keep.append(index)
        busy_until = int(closes[index])
    return TradeLedger.of(entries[keep], closes[keep], pnls[keep]), len(entries) - len(keep)


async def walk_forward(
    symbol: str,
    *,
    walker: str,
    train: timedelta | int,
    test: timedelta | int,
    step: timedelta | int | None = None,
    anchored: bool = False,
    gap: timedelta | int = 0,
    workers: int = 1,
    dask: Any = None,
    walker_mode: WalkerMode = Walker,
) -> WalkForwardResult:
    """Run every fold of the walker's frame; see the module docstring."""
    schema = registry.walker(walker)
    frame = registry.frame(schema.frame)
    step_ms = interval_ms(frame.interval, FRAME_INTERVALS, "frame")
    folds = walk_forward_folds(
        frame.start_ms,
        frame.end_ms,
        step_ms,
        train=train,
        test=test,
        step=step,
        anchored=anchored,
        gap=gap,
    )
    options: dict[str, Any] = {"workers": workers, "dask": dask}
    results: list[FoldResult] = []
    is_pnl = is_days = oos_days = 0.0
    for fold in folds:
        span = f"{fold.train_start_ms}-{fold.train_end_ms}"
        train_name = f"{walker}@train:{span}"
        _frame(train_name, fold.train_start_ms, fold.train_end_ms, frame.interval)
        strategies = list(schema.strategies)
        _walker(train_name, strategies, schema.exchange, train_name, schema.metric)
        trained = await _results(walker_mode, symbol, train_name, fold, options)
        ranked = trained.strategy_results
        best = research_best(
            [r.strategy_name for r in ranked], [r.metric_value for r in ranked], schema.metric
        )
        winner = next((r for r in ranked if r.strategy_name == best), None)
        test_stats = None
        if winner is not None:
            test_frame = f"{walker}@test:{fold.test_start_ms}-{fold.test_end_ms}"
            _frame(test_frame, fold.test_start_ms, fold.test_end_ms, frame.interval)
            test_name = f"{test_frame}:{winner.strategy_name}"
            _walker(test_name, [winner.strategy_name], schema.exchange, test_frame, schema.metric)
            tested = await _results(walker_mode, symbol, test_name, fold, options)
            test_stats = tested.strategy_results[0].stats
            is_pnl += float(winner.stats.trades.pnl_percentage.sum())
            is_days += _days(fold.train_start_ms, fold.train_end_ms, step_ms)
            oos_days += _days(fold.test_start_ms, fold.test_end_ms, step_ms)
        results.append(
            FoldResult(
                fold=fold,
                best_strategy=best,
                train_metric=None if winner is None else winner.metric_value,
                train_stats=None if winner is None else winner.stats,
                test_stats=test_stats,
            )
        )
    test_runs = [r.test_stats for r in results if r.test_stats is not None]
    ledger, skipped = _one_position_at_a_time([s.trades for s in test_runs])
    kept = Counter(zip(ledger.entry_ms.tolist(), ledger.close_ms.tolist(), strict=True))
    signals: list[Closed] = []
    by_open = sorted(
        (c for s in test_runs for c in s.signal_list),
        key=lambda c: (c.signal.pending_at, c.close_timestamp),
    )
    for closed in by_open:
        key = (closed.signal.pending_at, closed.close_timestamp)
        if kept[key] > 0:
            kept[key] -= 1
            signals.append(closed)
    signals.sort(key=lambda c: (c.close_timestamp, c.signal.pending_at))
    equity = [(folds[0].test_start_ms, 0.0)]
    total = 0.0
    for close_ms, pnl in zip(ledger.close_ms.tolist(), ledger.pnl_percentage.tolist(), strict=True):
        total = total + pnl
        equity.append((close_ms, total))
    oos_pnl = float(ledger.pnl_percentage.sum()) if len(ledger) else 0.0
    is_annual, oos_annual = _annual(is_pnl, is_days), _annual(oos_pnl, oos_days)
    return WalkForwardResult(
        walker_name=walker,
        symbol=symbol,
        metric=schema.metric,
        anchored=anchored,
        folds=tuple(results),
        signals=tuple(signals),
        equity=tuple(equity),
        statistics=backtest_statistics(signals[::-1], ledger),
        overlaps_skipped=skipped,
        is_annual_return=is_annual,
        oos_annual_return=oos_annual,
        efficiency=(
            oos_annual / is_annual
            if is_annual is not None and oos_annual is not None and is_annual > 0
            else None
        ),
    )
