"""The Signal DTO a strategy's get_signal returns (SPEC 1.1.1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["Signal", "as_signal", "sanitize_note"]


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
