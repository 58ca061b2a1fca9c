"""The equity curve of a backtest: cumulative PnL % over the closed signals, oldest first."""

from __future__ import annotations

from dataclasses import dataclass

from backtestkit.actors.reports import BacktestStatistics

__all__ = ["EquityCurve", "equity_curve"]


@dataclass(frozen=True, slots=True)
class EquityCurve:
    """Points of the curve; the first is the starting 0 at the first signal's open time.

    `drawdown[i]` is `cumulative[i]` minus the running peak (<= 0, percent points), so
    `-min(drawdown)` is `BacktestStatistics.max_drawdown`.
    """

    timestamps: tuple[int, ...]
    cumulative: tuple[float, ...]
    drawdown: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.timestamps)

    @property
    def max_drawdown(self) -> float:
        return -min(self.drawdown, default=0.0)


def equity_curve(stats: BacktestStatistics) -> EquityCurve:
    """Walk `stats.signal_list` (stored newest first) oldest first, as max_drawdown does."""
    oldest_first = list(reversed(stats.signal_list))
    if not oldest_first:
        return EquityCurve((), (), ())
    timestamps = [oldest_first[0].signal.pending_at]
    cumulative = [0.0]
    drawdown = [0.0]
    total = 0.0
    peak = 0.0
    for result in oldest_first:
        total = total + result.pnl.pnl_percentage
        peak = max(peak, total)
        timestamps.append(result.close_timestamp)
        cumulative.append(total)
        drawdown.append(total - peak)
    return EquityCurve(tuple(timestamps), tuple(cumulative), tuple(drawdown))
