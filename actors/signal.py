"""The Signal DTO a strategy's get_signal returns (SPEC 1.1.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Signal"]


@dataclass(frozen=True, slots=True)
class Signal:
    """`price_open=None`: market entry at the current VWAP; a price makes it a limit entry."""

    position: Literal["long", "short"]
    price_take_profit: float
    price_stop_loss: float
    minute_estimated_time: int
    price_open: float | None = None
    note: str = ""
    id: str | None = None
