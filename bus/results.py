"""Tick results: what one strategy tick (or fast-forward) produces, discriminated by `action`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .serialize import Serializable
from .slot_init import slot_init

__all__ = [
    "Activation",
    "Active",
    "Cancelled",
    "CloseReason",
    "Closed",
    "Idle",
    "Opened",
    "Pnl",
    "Position",
    "Scheduled",
    "SignalRow",
    "TickResult",
]

Position = Literal["long", "short"]
# order_rejected: the broker could not place the entry (a live signal that never traded)
CloseReason = Literal["take_profit", "stop_loss", "time_expired", "order_rejected"]


@slot_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SignalRow(Serializable):
    """A validated signal as the engine carries it (SPEC 1.1.1 'signal row')."""

    id: str
    position: Position
    price_open: float
    price_take_profit: float
    price_stop_loss: float
    minute_estimated_time: int
    note: str
    scheduled_at: int
    pending_at: int
    symbol: str
    exchange_name: str
    strategy_name: str
    is_scheduled: bool


@slot_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Pnl(Serializable):
    pnl_percentage: float
    price_open: float
    price_close: float


@slot_init
@dataclass(frozen=True, slots=True, kw_only=True)
class _TickResultFields(Serializable):
    """The fields every tick result carries, in the order it serializes them; each result
    narrows `action` (its discriminator) and `signal`, which keep their place."""

    action: str
    symbol: str
    strategy_name: str
    exchange_name: str
    current_price: float
    backtest: bool
    signal: SignalRow | None


@slot_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Idle(_TickResultFields):
    action: Literal["idle"] = "idle"
    signal: None = None


@slot_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Scheduled(_TickResultFields):
    action: Literal["scheduled"] = "scheduled"
    signal: SignalRow


@slot_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Opened(_TickResultFields):
    action: Literal["opened"] = "opened"
    signal: SignalRow


class Activation(Opened):
    """The kind under which a scheduled signal's activation is published: its result is an
    `Opened` (this class is never instantiated), but a listener may take activations alone
    (`Topic.subscribe(..., kinds=(Activation,))`); `kinds=(Opened,)` takes every open."""

    __slots__ = ()


@slot_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Active(_TickResultFields):
    action: Literal["active"] = "active"
    signal: SignalRow
    percent_tp: float = 0.0
    percent_sl: float = 0.0


@slot_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Closed(_TickResultFields):
    action: Literal["closed"] = "closed"
    signal: SignalRow
    close_reason: CloseReason
    close_timestamp: int
    pnl: Pnl


@slot_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Cancelled(_TickResultFields):
    action: Literal["cancelled"] = "cancelled"
    signal: SignalRow
    close_timestamp: int


TickResult = Idle | Scheduled | Opened | Active | Closed | Cancelled
