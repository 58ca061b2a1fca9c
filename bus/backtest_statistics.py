"""Statistics models carried by reports and walker events (SPEC 9)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .results import Closed
from .serialize import Serializable
from .tabular import CLOSED_COLUMNS, closed_rows, rows_frame, series

__all__ = ["BacktestStatistics"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestStatistics(Serializable):
    """SPEC 9.1 over the newest 250 closed signals (newest first); None where unsafe."""

    signal_list: tuple[Closed, ...]
    total_signals: int
    win_count: int
    loss_count: int
    win_rate: float | None
    avg_pnl: float | None
    total_pnl: float | None
    std_dev: float | None
    sharpe_ratio: float | None
    annualized_sharpe_ratio: float | None
    certainty_ratio: float | None
    expected_yearly_returns: float | None
    max_drawdown: float | None
    total_trades: int

    def to_frame(self) -> Any:
        """The closed signals as a pandas DataFrame, oldest first (extra `pandas`)."""
        return rows_frame(closed_rows(reversed(self.signal_list)), CLOSED_COLUMNS)

    def to_series(self) -> Any:
        """The statistics without the signal list, as a pandas Series (extra `pandas`)."""
        return series(
            {f.name: getattr(self, f.name) for f in fields(self) if f.name != "signal_list"}
        )
