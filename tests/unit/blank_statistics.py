"""BacktestStatistics with every figure unset but the ones a test gives."""

from __future__ import annotations

from typing import Any

from backtestkit.actors import BacktestStatistics


def blank_statistics(*closed: Any, **values: Any) -> BacktestStatistics:
    """`closed` signals as the signal list (and the counts), figures None or 0 unless given."""
    base: dict[str, Any] = dict(
        signal_list=tuple(closed),
        total_signals=len(closed),
        win_count=0,
        loss_count=0,
        win_rate=None,
        avg_pnl=None,
        total_pnl=None,
        std_dev=None,
        sharpe_ratio=None,
        annualized_sharpe_ratio=None,
        certainty_ratio=None,
        expected_yearly_returns=None,
        max_drawdown=None,
        total_trades=len(closed),
    )
    base.update(values)
    return BacktestStatistics(**base)
