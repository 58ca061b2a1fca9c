"""Live statistics (SPEC 9.2): the live event log and its metrics, bit-exact with the reference.

`LiveEventLog` keeps the newest 250 event rows (newest first) built from the live tick results:

* idle: `timestamp = now`; the idle row with the highest index (the *oldest* idle, Q20) is
  overwritten in place when no `opened` / `active` row lies at a higher index (older) than it;
  otherwise a new row is inserted at the front;
* opened: inserted, `timestamp = pendingAt`, `current_price = priceOpen`;
* active: `timestamp = now`; the highest-index `active` row with the same signal id is
  overwritten in place, otherwise a new row is inserted;
* closed: inserted, `timestamp = closeTimestamp`, `duration = Math.round(ms / 60000)`;
* scheduled and cancelled results are ignored. An insert beyond 250 rows drops the oldest row.

Metrics reuse the running-sum arithmetic of `reports.statistics` over the closed rows in stored
order. Unlike backtest statistics (Q24), a non-empty log without closed rows reports numeric
zeros (only `win_rate` is None, 0/0); an empty log reports every metric as None.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from backtestkit.bus.results import (
    Active,
    Closed,
    CloseReason,
    Idle,
    Opened,
    Position,
    SignalRow,
    TickResult,
)
from backtestkit.bus.serialize import Serializable

from .formatting import js_round
from .statistics import metric_fields, no_metrics

__all__ = [
    "LIVE_MAX_EVENTS",
    "LiveAction",
    "LiveEvent",
    "LiveEventLog",
    "LiveStatistics",
    "live_statistics",
]

LIVE_MAX_EVENTS = 250
"""Rows kept by a live event log (the reference's MAX_EVENTS)."""

_MINUTES_PER_DAY = 60 * 24

LiveAction = Literal["idle", "opened", "active", "closed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveEvent(Serializable):
    """One live report row (SPEC 9.2); None where the reference leaves the field undefined."""

    timestamp: int
    action: LiveAction
    symbol: str | None = None
    signal_id: str | None = None
    position: Position | None = None
    note: str | None = None
    current_price: float
    open_price: float | None = None
    take_profit: float | None = None
    stop_loss: float | None = None
    percent_tp: float | None = None
    percent_sl: float | None = None
    pnl: float | None = None
    close_reason: CloseReason | None = None
    duration: int | None = None


_RowPredicate = Callable[[LiveEvent], bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveStatistics(Serializable):
    """SPEC 9.2 over the stored event rows (newest first, at most 250)."""

    event_list: tuple[LiveEvent, ...]
    total_events: int
    total_closed: int
    win_count: int
    loss_count: int
    win_rate: float | None
    avg_pnl: float | None
    total_pnl: float | None
    std_dev: float | None
    sharpe_ratio: float | None
    annualized_sharpe_ratio: float | None
    certainty_ratio: float | None
    expected_yearly_returns: float | None


def _idle_event(result: Idle, now_ms: int) -> LiveEvent:
    # The reference row carries only timestamp, action and currentPrice (no symbol).
    return LiveEvent(timestamp=now_ms, action="idle", current_price=result.current_price)


def _signal_event(
    signal: SignalRow, action: LiveAction, timestamp: int, current_price: float, **extra: Any
) -> LiveEvent:
    """An opened, active or closed row: the fields it takes from its signal, then `extra`."""
    fields: dict[str, Any] = {
        "symbol": signal.symbol,
        "signal_id": signal.id,
        "position": signal.position,
        "note": signal.note,
        "open_price": signal.price_open,
        "take_profit": signal.price_take_profit,
        "stop_loss": signal.price_stop_loss,
    }
    return LiveEvent(
        timestamp=timestamp, action=action, current_price=current_price, **fields, **extra
    )


def _opened_event(result: Opened) -> LiveEvent:
    signal = result.signal
    return _signal_event(signal, "opened", signal.pending_at, signal.price_open)


def _active_event(result: Active, now_ms: int) -> LiveEvent:
    return _signal_event(
        result.signal,
        "active",
        now_ms,
        result.current_price,
        percent_tp=result.percent_tp,
        percent_sl=result.percent_sl,
    )


def _closed_event(result: Closed) -> LiveEvent:
    signal, closed_at = result.signal, result.close_timestamp
    return _signal_event(
        signal,
        "closed",
        closed_at,
        result.current_price,
        pnl=result.pnl.pnl_percentage,
        close_reason=result.close_reason,
        duration=js_round((closed_at - signal.pending_at) / 60000),
    )


class LiveEventLog:
    """The mutable per-`symbol:strategyName` live event storage (SPEC 9.2), newest first."""

    __slots__ = ("_events", "_max_events")

    def __init__(self, max_events: int = LIVE_MAX_EVENTS) -> None:
        if max_events < 1:
            raise ValueError(f"LiveEventLog: max_events must be >= 1, got {max_events}")
        self._events: list[LiveEvent] = []
        self._max_events = max_events

    def __len__(self) -> int:
        return len(self._events)

    @property
    def events(self) -> tuple[LiveEvent, ...]:
        """A snapshot of the stored rows, newest first."""
        return tuple(self._events)

    def clear(self) -> None:
        self._events.clear()

    def record(self, result: TickResult, now_ms: int) -> None:
        """Store one live tick result; `now_ms` is the wall clock used by idle / active rows."""
        if isinstance(result, Idle):
            self._record_idle(_idle_event(result, now_ms))
        elif isinstance(result, Opened):
            self._insert(_opened_event(result))
        elif isinstance(result, Active):
            self._record_active(_active_event(result, now_ms))
        elif isinstance(result, Closed):
            self._insert(_closed_event(result))
        # Scheduled and Cancelled results are not part of the live report.

    def statistics(self) -> LiveStatistics:
        return live_statistics(self._events)

    def _insert(self, event: LiveEvent) -> None:
        self._events.insert(0, event)
        if len(self._events) > self._max_events:
            self._events.pop()

    def _record_idle(self, event: LiveEvent) -> None:
        events = self._events
        oldest_idle = _last_index(events, lambda row: row.action == "idle")
        if oldest_idle != -1 and not any(
            row.action in ("opened", "active") for row in events[oldest_idle + 1 :]
        ):
            events[oldest_idle] = event
            return
        self._insert(event)

    def _record_active(self, event: LiveEvent) -> None:
        events = self._events
        index = _last_index(
            events, lambda row: row.action == "active" and row.signal_id == event.signal_id
        )
        if index != -1:
            events[index] = event
            return
        self._insert(event)


def _last_index(events: list[LiveEvent], predicate: _RowPredicate) -> int:
    """JS `findLastIndex`: the highest index whose row matches, or -1."""
    for index in range(len(events) - 1, -1, -1):
        if predicate(events[index]):
            return index
    return -1


def live_statistics(events: Sequence[LiveEvent]) -> LiveStatistics:
    """SPEC 9.2 metrics over `events` (the stored rows, newest first)."""
    if not events:
        return LiveStatistics(event_list=(), total_events=0, total_closed=0, **no_metrics())
    closed = [row for row in events if row.action == "closed"]
    if not closed:  # Q24: zeros, not None; winRate is 0/0 = NaN and so None.
        return LiveStatistics(
            event_list=tuple(events), total_events=len(events), total_closed=0, **no_metrics(0.0)
        )
    # The reference sums `e.pnl || 0` and counts `e.pnl && e.pnl > 0`: a NaN pnl acts as 0.
    pnls = [_or_zero(row.pnl) for row in closed]
    durations = [row.duration or 0 for row in closed]
    return LiveStatistics(
        event_list=tuple(events),
        total_events=len(events),
        total_closed=len(closed),
        **metric_fields(pnls, durations, _MINUTES_PER_DAY),
    )


def _or_zero(value: float | None) -> float:
    """JS `value || 0` for a number: None, NaN and -0.0 become 0.0."""
    if value is None or math.isnan(value) or value == 0:
        return 0.0
    return value
