"""PnL with slippage and fees (SPEC 8), in SPEC's exact evaluation order."""

from __future__ import annotations

from backtestkit.bus import Pnl
from backtestkit.bus.slot_init import builder

from ..core.config import get_config

__all__ = ["pnl"]

_pnl = builder(Pnl, "pnl_percentage", "price_open", "price_close")  # one per close


def pnl(position: str, price_open: float, price_close: float) -> Pnl:
    config = get_config()
    slippage = config.CC_PERCENT_SLIPPAGE
    fees = config.CC_PERCENT_FEE * 2
    if position == "long":
        open_adj = price_open * (1 + slippage / 100)
        close_adj = price_close * (1 - slippage / 100)
        percentage = (close_adj - open_adj) / open_adj * 100 - fees
    else:
        open_adj = price_open * (1 - slippage / 100)
        close_adj = price_close * (1 + slippage / 100)
        percentage = (open_adj - close_adj) / open_adj * 100 - fees
    return _pnl(percentage, price_open, price_close)
