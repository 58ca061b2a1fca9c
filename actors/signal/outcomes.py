"""What a fast-forward over a candle window decided (SPEC 6.4), for the state machine to apply.

Named tuples rather than frozen dataclasses: one is made per signal, and a frozen dataclass
costs a setattr call per field."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from backtestkit.bus import CloseReason, SignalRow

__all__ = ["Cancel", "Close", "Entry", "Outcome", "Waiting"]


class Waiting(NamedTuple):
    """The scheduled signal neither entered nor timed out within the window."""

    price: float


class Cancel(NamedTuple):
    """The scheduled signal timed out, or its stop-loss came before its entry, at `at`."""

    price: float
    at: int


class Close(NamedTuple):
    """The pending signal closed at `at`; `marks` are the (VWAP, time) it passed first, for the
    partial profit/loss levels (empty when nobody listens to them)."""

    reason: CloseReason
    price: float
    at: int
    marks: tuple[tuple[float, int], ...] = ()


class Entry(NamedTuple):
    """The scheduled signal's entry was reached at `at` (window VWAP `price`); `then` resolves
    the opened signal over the rest of the window, None when it entered on the last candle."""

    at: int
    price: float
    then: Callable[[SignalRow], Close] | None


Outcome = Waiting | Cancel | Close | Entry
