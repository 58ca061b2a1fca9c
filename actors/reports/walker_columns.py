"""The walker tables' default columns (SPEC 10.3): the strategy comparison and the PNL table."""

from __future__ import annotations

from .columns import Column
from .formatting import iso_ms, signed, to_fixed

__all__ = ["WALKER_PNL_COLUMNS", "WALKER_STRATEGY_COLUMNS"]

_NA = "N/A"


def _fixed(value: float | None, digits: int, suffix: str = "") -> str:
    return _NA if value is None else to_fixed(value, digits) + suffix


def _signed(value: float | None) -> str:
    return _NA if value is None else signed(value, 2) + "%"


WALKER_STRATEGY_COLUMNS: tuple[Column, ...] = (
    Column("rank", "Rank", lambda _r, i: str(i + 1)),
    Column("strategy", "Strategy", lambda r, _i: r.strategy_name),
    Column("metric", "Metric", lambda r, _i: _fixed(r.metric_value, 2)),
    Column("total_signals", "Total Signals", lambda r, _i: str(r.stats.total_signals)),
    Column("win_rate", "Win Rate", lambda r, _i: _fixed(r.stats.win_rate, 2, "%")),
    Column("avg_pnl", "Avg PNL", lambda r, _i: _signed(r.stats.avg_pnl)),
    Column("total_pnl", "Total PNL", lambda r, _i: _signed(r.stats.total_pnl)),
    Column("sharpe_ratio", "Sharpe Ratio", lambda r, _i: _fixed(r.stats.sharpe_ratio, 3)),
    Column("std_dev", "Std Dev", lambda r, _i: _fixed(r.stats.std_dev, 3, "%")),
)
"""Rows are `WalkerStrategyResult`s, best first; the index gives the rank."""

WALKER_PNL_COLUMNS: tuple[Column, ...] = (
    Column("strategy", "Strategy", lambda r, _i: r.strategy_name),
    Column("signal_id", "Signal ID", lambda r, _i: r.result.signal.id),
    Column("symbol", "Symbol", lambda r, _i: r.result.signal.symbol),
    Column("position", "Position", lambda r, _i: r.result.signal.position.upper()),
    Column("pnl", "PNL (net)", lambda r, _i: signed(r.result.pnl.pnl_percentage, 2) + "%"),
    Column("close_reason", "Close Reason", lambda r, _i: r.result.close_reason),
    Column("open_timestamp", "Open Time", lambda r, _i: iso_ms(r.result.signal.pending_at)),
    Column("close_timestamp", "Close Time", lambda r, _i: iso_ms(r.result.close_timestamp)),
)
"""Rows are `WalkerSignalRow`s."""
