"""The Signal DTO a strategy's get_signal returns (SPEC 1.1.1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Literal

from backtestkit.bus import SignalRow
from backtestkit.bus.slot_init import builder

from .validation import SignalValidationError, finite_number, position_problem, validate_signal

__all__ = ["Signal", "as_signal", "sanitize_note", "signal_id", "signal_row"]


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

    def __post_init__(self) -> None:
        """A side other than long/short or a price that is not a finite number cannot make a
        signal at all: refused here, where the strategy builds it, with the rule SPEC 4 names."""
        problems = [] if self.position in ("long", "short") else [position_problem(self.position)]
        for field in ("price_open", "price_take_profit", "price_stop_loss"):
            value = getattr(self, field)
            if not (finite_number(value) or (value is None and field == "price_open")):
                problems.append(f"{field} must be a finite number, got {value!r}")
            elif type(value) is not float and isinstance(value, float):
                # AveragePrice, numpy's float64: a plain float, as JSON persistence needs
                object.__setattr__(self, field, float(value))
        if problems:
            raise SignalValidationError(
                f"Invalid signal for {self.position} position:\n" + "\n".join(problems)
            )


_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_MARKS = re.compile(r"[*_`~#>|]+")
_WHITESPACE = re.compile(r"\s+")


def sanitize_note(note: object) -> str:
    """Plain text: markdown links reduced to their text, marks removed, whitespace collapsed."""
    if not note:
        return ""
    text = _MARKDOWN_LINK.sub(r"\1", str(note))
    text = _MARKDOWN_MARKS.sub("", text)
    return _WHITESPACE.sub(" ", text).strip()


def as_signal(value: object) -> Signal:
    """Accept a Signal or a mapping with the same snake_case keys."""
    if isinstance(value, Signal):
        return value
    if isinstance(value, Mapping):
        try:
            return Signal(**value)
        except TypeError as exc:
            raise TypeError(f"get_signal returned a mapping that is not a Signal: {exc}") from None
    raise TypeError(f"get_signal must return Signal or None, got {type(value).__name__}")


def signal_id(symbol: str, strategy_name: str, when: int) -> str:
    """Deterministic id for a signal without one (runs stay byte-identical): one signal at
    most starts per (strategy, symbol, minute)."""
    return f"{strategy_name}:{symbol}:{when}"


# SignalRow's fields by position, in their declared order: built once per signal
_row = builder(SignalRow, *(field.name for field in fields(SignalRow)))


def signal_row(
    signal: Signal, price: float, when: int, *, symbol: str, exchange_name: str, strategy_name: str
) -> SignalRow:
    """The validated row of a signal taken at `when` with VWAP `price` (SPEC 5, steps 7-9): a
    limit entry already reached at `price` opens at once, one not yet reached is scheduled."""
    price_open = signal.price_open
    if price_open is None:
        price_open, scheduled = price, False
    else:  # written as "reached" so that a NaN entry counts as not reached
        long = signal.position == "long"
        reached = price <= price_open if long else price >= price_open
        scheduled = not reached
    row = _row(
        signal.id or signal_id(symbol, strategy_name, when),
        signal.position,
        price_open,
        signal.price_take_profit,
        signal.price_stop_loss,
        signal.minute_estimated_time,
        sanitize_note(signal.note) if signal.note else "",
        when,
        when,
        symbol,
        exchange_name,
        strategy_name,
        scheduled,
    )
    validate_signal(row, price, scheduled=scheduled)
    return row
