"""Trades and a per-bar equity series from a backtest's closed signals, for research metrics.

Each closed signal is one trade of the whole equity: its return is `pnl_percentage / 100`
(net of fees and slippage) and its PnL is the equity before it times that return, so equity
compounds from `capital`. The engine values a position only when it closes, so the equity is
realised equity: it steps at the bar of each close (the last bar at or before
`close_timestamp`) and is flat in between. A trade's entry bar is the last bar at or before
`pending_at` (the first bar when it opened before the first bar). Every closed signal of the
run counts (the statistics' ledger), not only the newest 250 the reference's report keeps.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from backtestkit.bus import Closed

from .backtest_statistics import BacktestStatistics
from .research_metrics import EquitySeries, ResearchMetrics, TradeRecord, research_metrics
from .trade_ledger import TradeLedger

__all__ = ["research_statistics", "trades_and_equity"]


def _bar_at_or_before(bars: Sequence[int], ts: int) -> int:
    return max(0, bisect.bisect_right(bars, ts) - 1)


def trades_and_equity(
    closed: Sequence[Closed] | TradeLedger, bars: Sequence[int], *, capital: float = 10_000.0
) -> tuple[list[TradeRecord], EquitySeries]:
    """`closed`: a run's ledger, or result objects in any order; `bars` ascending ms."""
    if capital <= 0:
        raise ValueError(f"capital must be positive, got {capital}")
    if not bars:
        raise ValueError("bars: no bar timestamps")
    ledger = closed if isinstance(closed, TradeLedger) else TradeLedger.from_closed(closed)
    trades: list[TradeRecord] = []
    steps: dict[int, float] = {}
    equity = capital
    for entry_ms, close_ms, pnl_percentage in zip(
        ledger.entry_ms.tolist(),
        ledger.close_ms.tolist(),
        ledger.pnl_percentage.tolist(),
        strict=True,
    ):
        fraction = pnl_percentage / 100
        pnl = equity * fraction
        equity = equity + pnl
        exit_bar = _bar_at_or_before(bars, close_ms)
        trades.append(
            TradeRecord(
                entry_time=entry_ms,
                exit_time=close_ms,
                entry_bar=min(_bar_at_or_before(bars, entry_ms), exit_bar),
                exit_bar=exit_bar,
                return_fraction=fraction,
                pnl=pnl,
            )
        )
        steps[exit_bar] = equity
    values: list[float] = []
    level = capital
    for index in range(len(bars)):
        level = steps.get(index, level)
        values.append(level)
    return trades, EquitySeries(tuple(bars), tuple(values))


def research_statistics(
    stats: BacktestStatistics,
    bars: Sequence[int],
    *,
    capital: float = 10_000.0,
    risk_free_rate: float = 0.0,
) -> ResearchMetrics:
    """Research metrics of every closed signal of a backtest (`stats.trades`, not only the
    newest 250 of `signal_list`) over `bars` (its frame's timestamps)."""
    trades, equity = trades_and_equity(stats.trades, bars, capital=capital)
    return research_metrics(trades, equity, risk_free_rate=risk_free_rate)
