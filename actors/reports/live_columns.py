"""The live table's default columns (SPEC 10 "live"): one row per `LiveEvent`, newest first.

A field the row does not carry prints `N/A`; the Note column follows `CC_REPORT_SHOW_SIGNAL_NOTE`.
"""

from __future__ import annotations

from ..core.config import get_config
from .columns import Column
from .formatting import iso_ms, price_usd, signed, to_fixed
from .live_statistics import LiveEvent

__all__ = ["LIVE_COLUMNS"]

_NA = "N/A"


def _price_or_na(value: float | None) -> str:
    return _NA if value is None else price_usd(value)


def _percent_or_na(value: float | None) -> str:
    return _NA if value is None else to_fixed(value, 2) + "%"  # no "+" sign (reference)


def _show_note() -> bool:
    return bool(get_config().CC_REPORT_SHOW_SIGNAL_NOTE)


def _timestamp(row: LiveEvent, _index: int) -> str:
    return iso_ms(row.timestamp)


def _action(row: LiveEvent, _index: int) -> str:
    return row.action.upper()


def _symbol(row: LiveEvent, _index: int) -> str:
    return _NA if row.symbol is None else row.symbol


def _signal_id(row: LiveEvent, _index: int) -> str:
    return _NA if row.signal_id is None else row.signal_id


def _position(row: LiveEvent, _index: int) -> str:
    return _NA if row.position is None else row.position.upper()


def _note(row: LiveEvent, _index: int) -> str:
    # The signal's note is plain text since the signal opened; "" stays an empty cell.
    return _NA if row.note is None else row.note


def _current_price(row: LiveEvent, _index: int) -> str:
    return price_usd(row.current_price)


def _open_price(row: LiveEvent, _index: int) -> str:
    return _price_or_na(row.open_price)


def _take_profit(row: LiveEvent, _index: int) -> str:
    return _price_or_na(row.take_profit)


def _stop_loss(row: LiveEvent, _index: int) -> str:
    return _price_or_na(row.stop_loss)


def _percent_tp(row: LiveEvent, _index: int) -> str:
    return _percent_or_na(row.percent_tp)


def _percent_sl(row: LiveEvent, _index: int) -> str:
    return _percent_or_na(row.percent_sl)


def _pnl(row: LiveEvent, _index: int) -> str:
    return _NA if row.pnl is None else signed(row.pnl, 2) + "%"


def _close_reason(row: LiveEvent, _index: int) -> str:
    return _NA if row.close_reason is None else row.close_reason


def _duration(row: LiveEvent, _index: int) -> str:
    return _NA if row.duration is None else str(row.duration)


LIVE_COLUMNS: tuple[Column, ...] = (
    Column("timestamp", "Timestamp", _timestamp),
    Column("action", "Action", _action),
    Column("symbol", "Symbol", _symbol),
    Column("signal_id", "Signal ID", _signal_id),
    Column("position", "Position", _position),
    Column("note", "Note", _note, _show_note),
    Column("current_price", "Current Price", _current_price),
    Column("open_price", "Open Price", _open_price),
    Column("take_profit", "Take Profit", _take_profit),
    Column("stop_loss", "Stop Loss", _stop_loss),
    Column("percent_tp", "% to TP", _percent_tp),
    Column("percent_sl", "% to SL", _percent_sl),
    Column("pnl", "PNL (net)", _pnl),
    Column("close_reason", "Close Reason", _close_reason),
    Column("duration", "Duration (min)", _duration),
)
"""The reference's default live columns (SPEC 10), in order; Note follows the config."""
