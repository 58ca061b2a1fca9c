"""Portfolio mode: many symbols on one clock, shared risk books and one cash account."""

from .facade import PORTFOLIO, Portfolio, PortfolioMode
from .ledger import CashLedger, EntryCost, entry_cost
from .models import (
    Contribution,
    EquityPoint,
    PortfolioRejection,
    PortfolioStatistics,
    PortfolioTrade,
)
from .report import portfolio_report

__all__ = [
    "PORTFOLIO",
    "CashLedger",
    "Contribution",
    "EntryCost",
    "EquityPoint",
    "Portfolio",
    "PortfolioMode",
    "PortfolioRejection",
    "PortfolioStatistics",
    "PortfolioTrade",
    "entry_cost",
    "portfolio_report",
]
