"""What a portfolio run produces: positions in money, equity points, rejections, statistics."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from backtestkit.bus import Position, Serializable

from ..reports.models import HeatmapStatistics
from ..reports.research_metrics import ResearchMetrics
from ..reports.tabular import rows_frame, series

__all__ = [
    "Contribution",
    "EquityPoint",
    "PortfolioRejection",
    "PortfolioStatistics",
    "PortfolioTrade",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioTrade(Serializable):
    """One closed position in quote-currency money. `cost` is what the entry paid for the
    quantity (price_open with slippage x quantity); fees and slippage are money too."""

    symbol: str
    strategy_name: str
    signal_id: str
    position: Position
    quantity: float
    price_open: float
    price_close: float
    opened_at: int
    closed_at: int
    cost: float
    fee_open: float
    fee_close: float
    slippage_open: float
    slippage_close: float
    pnl: float
    pnl_percentage: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EquityPoint(Serializable):
    """The portfolio at `timestamp`: cash plus the open positions marked to market."""

    timestamp: int
    cash: float
    positions_value: float
    equity: float
    open_positions: int

    @property
    def exposure(self) -> float:
        """Share of equity held in positions (0 when flat)."""
        return self.positions_value / self.equity if self.equity else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioRejection(Serializable):
    """An entry the portfolio refused at `timestamp`: a risk profile's or the cash's reason,
    and the symbols whose open positions held the slots (or the cash) then."""

    timestamp: int
    symbol: str
    strategy_name: str
    comment: str
    held_by: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Contribution(Serializable):
    """One symbol's share of the portfolio's money PnL."""

    symbol: str
    trades: int
    pnl: float
    fees: float
    share_pct: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioStatistics(Serializable):
    """A portfolio run: the heatmap (per-symbol statistics of the reference), and with
    capital the money side: trades, equity curve, drawdown, exposure, research metrics."""

    strategies: tuple[str, ...]
    symbols: tuple[str, ...]
    heat: dict[str, HeatmapStatistics]
    rejections: tuple[PortfolioRejection, ...]
    capital: float | None
    trades: tuple[PortfolioTrade, ...]
    equity: tuple[EquityPoint, ...]
    contributions: tuple[Contribution, ...]
    final_equity: float | None
    total_return_pct: float | None
    max_drawdown_pct: float | None
    exposure_time_pct: float | None
    average_exposure_pct: float | None
    fees: float | None
    slippage: float | None
    research: ResearchMetrics | None

    def to_frame(self) -> Any:
        """The closed positions as a pandas DataFrame in close order (extra `pandas`); empty
        (the columns only) without capital."""
        return rows_frame(
            [t.to_dict() for t in self.trades], [f.name for f in fields(PortfolioTrade)]
        )

    def equity_frame(self) -> Any:
        """The equity curve as a pandas DataFrame, with drawdown and exposure columns."""
        rows = []
        peak = float("-inf")
        for point in self.equity:
            peak = max(peak, point.equity)
            row = point.to_dict()
            row["exposure"] = point.exposure
            row["drawdown_pct"] = (1 - point.equity / peak) * 100 if peak > 0 else 0.0
            rows.append(row)
        return rows_frame(rows)

    def to_series(self) -> Any:
        """The summary figures as a pandas Series."""
        keys = (
            "capital",
            "final_equity",
            "total_return_pct",
            "max_drawdown_pct",
            "exposure_time_pct",
            "average_exposure_pct",
            "fees",
            "slippage",
        )
        values: dict[str, Any] = {key: getattr(self, key) for key in keys}
        values["trades"] = len(self.trades)
        values["rejections"] = len(self.rejections)
        return series(values)
