"""Backtest statistics over the stored closed signals (SPEC 9.1), bit-exact with the reference.

Every sum is a plain running float sum that starts at 0.0 and walks the stored list in its
stored order (newest first). Builtin `sum()` is deliberately not used: on Python >= 3.12 it
sums floats with compensation and so differs from the reference's `reduce` in the last bits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from backtestkit.bus.results import Closed

from .backtest_statistics import BacktestStatistics
from .trade_ledger import TradeLedger

__all__ = ["backtest_statistics", "max_drawdown", "metric_fields", "no_metrics"]

_MS_PER_DAY = 1000 * 60 * 60 * 24
_SQRT_365 = math.sqrt(365)


def _safe(value: float) -> float | None:
    """SPEC 9 `isUnsafe`: NaN and +/-infinity become None."""
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class _PnlMetrics:
    """The pnl-only metrics shared by backtest (SPEC 9.1) and live (SPEC 9.2) statistics."""

    win_count: int
    loss_count: int
    win_rate: float
    avg_pnl: float
    total_pnl: float
    std_dev: float
    sharpe_ratio: float
    annualized_sharpe_ratio: float
    certainty_ratio: float


def _pnl_metrics(pnls: Sequence[float]) -> _PnlMetrics:
    """Counts and pnl metrics over a non-empty list of pnls, walked in the given order.

    Running sums start at 0.0 (the reference's `reduce(..., 0)`); unsafe values are returned
    as they are (the caller applies `_safe`).
    """
    n = len(pnls)
    win_count = 0
    loss_count = 0
    total_pnl = 0.0
    win_sum = 0.0
    loss_sum = 0.0
    for pnl in pnls:
        total_pnl = total_pnl + pnl
        if pnl > 0:
            win_count += 1
            win_sum = win_sum + pnl
        elif pnl < 0:
            loss_count += 1
            loss_sum = loss_sum + pnl
    avg_pnl = total_pnl / n
    win_rate = (win_count / n) * 100

    squares = 0.0
    for pnl in pnls:
        diff = pnl - avg_pnl
        squares = squares + diff * diff
    variance = squares / n
    std_dev = math.sqrt(variance) if variance >= 0 else math.nan
    sharpe_ratio = avg_pnl / std_dev if std_dev > 0 else 0.0
    annualized_sharpe_ratio = sharpe_ratio * _SQRT_365

    avg_win = win_sum / win_count if win_count > 0 else 0.0
    avg_loss = loss_sum / loss_count if loss_count > 0 else 0.0
    certainty_ratio = avg_win / abs(avg_loss) if avg_loss < 0 else 0.0
    return _PnlMetrics(
        win_count=win_count,
        loss_count=loss_count,
        win_rate=win_rate,
        avg_pnl=avg_pnl,
        total_pnl=total_pnl,
        std_dev=std_dev,
        sharpe_ratio=sharpe_ratio,
        annualized_sharpe_ratio=annualized_sharpe_ratio,
        certainty_ratio=certainty_ratio,
    )


def _expected_yearly_returns(
    avg_pnl: float, durations: Sequence[float], units_per_day: float
) -> float:
    """`avgPnl * 365 / avgDurationDays` (0 when the mean duration is not positive).

    `durations` is non-empty, in stored order, in a unit of which `units_per_day` make a day
    (ms for backtest, rounded minutes for live); the mean is `(running sum / n) / units_per_day`.
    """
    duration_sum = 0.0
    for duration in durations:
        duration_sum = duration_sum + duration
    avg_duration_days = (duration_sum / len(durations)) / units_per_day
    trades_per_year = 365 / avg_duration_days if avg_duration_days > 0 else 0.0
    return avg_pnl * trades_per_year


def max_drawdown(closed: Sequence[Closed]) -> float | None:
    """Largest peak-to-trough fall of the cumulative PnL (percent points, >= 0).

    `closed` is newest first; the walk is oldest first, the cumulative PnL starts at 0 and that
    starting 0 counts as a peak. None for an empty list, 0.0 when the curve never falls.
    """
    if not closed:
        return None
    cumulative = 0.0
    peak = 0.0
    worst = 0.0
    for result in reversed(closed):
        cumulative = cumulative + result.pnl.pnl_percentage
        if cumulative > peak:
            peak = cumulative
        fall = peak - cumulative
        if fall > worst:
            worst = fall
    return _safe(worst)


def metric_fields(
    pnls: Sequence[float], durations: Sequence[float], units_per_day: float
) -> dict[str, Any]:
    """The ten fields backtest (SPEC 9.1) and live (SPEC 9.2) statistics share, by name, over a
    non-empty list of pnls and their durations (see `_expected_yearly_returns`); unsafe values
    are None."""
    m = _pnl_metrics(pnls)
    yearly = _expected_yearly_returns(m.avg_pnl, durations, units_per_day)
    shared = {f.name: _safe(getattr(m, f.name)) for f in fields(m)}
    return {**shared, "expected_yearly_returns": _safe(yearly)}


def no_metrics(value: float | None = None) -> dict[str, Any]:
    """The shared fields without a pnl: no win or loss, a win rate of None (0/0) and every
    other metric `value` (backtest: None; live with events but none closed: 0.0, Q24)."""
    amounts = {f.name: value for f in fields(_PnlMetrics)} | {"expected_yearly_returns": value}
    return amounts | {"win_count": 0, "loss_count": 0, "win_rate": None}


def backtest_statistics(
    closed: Sequence[Closed], ledger: TradeLedger | None = None
) -> BacktestStatistics:
    """SPEC 9.1 over `closed` (the stored list: newest first, already capped at 250);
    `ledger` (every closed signal of the run) rides along for research metrics, by default
    the ledger of `closed` itself."""
    if ledger is None:
        ledger = TradeLedger.from_closed(closed)
    n = len(closed)
    if n == 0:
        return BacktestStatistics(
            signal_list=(),
            total_signals=0,
            **no_metrics(),
            max_drawdown=None,
            total_trades=0,
            ledger=ledger,
        )
    durations = [result.close_timestamp - result.signal.pending_at for result in closed]
    pnls = [result.pnl.pnl_percentage for result in closed]
    return BacktestStatistics(
        signal_list=tuple(closed),
        total_signals=n,
        **metric_fields(pnls, durations, _MS_PER_DAY),
        max_drawdown=max_drawdown(closed),
        total_trades=n,
        ledger=ledger,
    )
