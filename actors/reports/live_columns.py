"""The live table's default columns (SPEC 10 "live"): one row per `LiveEvent`, newest first.

A field the row does not carry prints `N/A`; the Note column follows `CC_REPORT_SHOW_SIGNAL_NOTE`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.config import get_config
from .columns import Column
from .formatting import iso_ms, price_usd, signed, to_fixed
from .live_statistics import LiveEvent

__all__ = ["LIVE_COLUMNS"]

_NA = "N/A"


def _show_note() -> bool:
    return bool(get_config().CC_REPORT_SHOW_SIGNAL_NOTE)


def _cell(field: str, render: Callable[[Any], str] = str) -> Callable[[LiveEvent, int], str]:
    """A cell showing `render(row.<field>)`, or N/A where the row does not carry the field."""

    def cell(row: LiveEvent, _index: int) -> str:
        value = getattr(row, field)
        return _NA if value is None else render(value)

    return cell


def _percent(value: float) -> str:
    return to_fixed(value, 2) + "%"  # no "+" sign (reference)


def _pnl(value: float) -> str:
    return signed(value, 2) + "%"


# The signal's note is plain text since the signal opened; "" stays an empty cell.
LIVE_COLUMNS: tuple[Column, ...] = (
    Column("timestamp", "Timestamp", _cell("timestamp", iso_ms)),
    Column("action", "Action", _cell("action", str.upper)),
    Column("symbol", "Symbol", _cell("symbol")),
    Column("signal_id", "Signal ID", _cell("signal_id")),
    Column("position", "Position", _cell("position", str.upper)),
    Column("note", "Note", _cell("note"), _show_note),
    Column("current_price", "Current Price", _cell("current_price", price_usd)),
    Column("open_price", "Open Price", _cell("open_price", price_usd)),
    Column("take_profit", "Take Profit", _cell("take_profit", price_usd)),
    Column("stop_loss", "Stop Loss", _cell("stop_loss", price_usd)),
    Column("percent_tp", "% to TP", _cell("percent_tp", _percent)),
    Column("percent_sl", "% to SL", _cell("percent_sl", _percent)),
    Column("pnl", "PNL (net)", _cell("pnl", _pnl)),
    Column("close_reason", "Close Reason", _cell("close_reason")),
    Column("duration", "Duration (min)", _cell("duration")),
)
"""The reference's default live columns (SPEC 10), in order; Note follows the config."""
