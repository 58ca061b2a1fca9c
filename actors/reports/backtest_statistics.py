"""Statistics models carried by reports and walker events (SPEC 9)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from backtestkit.bus import Closed, Serializable

from .tabular import CLOSED_COLUMNS, closed_rows, rows_frame, series
from .trade_ledger import TradeLedger

__all__ = ["BacktestStatistics"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestStatistics(Serializable):
    """SPEC 9.1 over the newest 250 closed signals (newest first); None where unsafe.

    `ledger` holds every closed signal of the run (not capped) for research metrics; it is
    not part of `to_dict()` nor of equality (the reference's statistics are the fields above).
    None on statistics built by hand: `trades` then falls back to `signal_list`.
    """

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
    ledger: TradeLedger | None = field(
        default=None, compare=False, repr=False, metadata={"plain": False}
    )

    @property
    def trades(self) -> TradeLedger:
        """Every closed signal of the run (the ledger), else those of `signal_list`."""
        return self.ledger if self.ledger is not None else TradeLedger.from_closed(self.signal_list)

    def to_frame(self) -> Any:
        """The closed signals as a pandas DataFrame, oldest first (extra `pandas`)."""
        return rows_frame(closed_rows(reversed(self.signal_list)), CLOSED_COLUMNS)

    def to_series(self) -> Any:
        """The statistics without the signal list, as a pandas Series (extra `pandas`)."""
        return series(
            {
                f.name: getattr(self, f.name)
                for f in fields(self)
                if f.name not in ("signal_list", "ledger")
            }
        )
