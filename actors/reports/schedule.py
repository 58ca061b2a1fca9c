"""The Schedule facade (SPEC 9.3, 10, 14): scheduled signals, their activations and cancellations.

Per "<symbol>:<strategy>", both modes, newest 250 rows. Fed by the bus `transition` topic (the
non-idle results), so recording costs nothing per idle frame. In backtest a scheduled signal
that activates inside a fast-forward yields no `opened` result, so no `opened` row (Q17);
`Backtest.run` clears the storage of its "<symbol>:<strategy>" (SPEC 6.1).
"""

from __future__ import annotations

from collections.abc import Sequence

from backtestkit.bus import Activation, Cancelled, Opened, Scheduled, TickResult

from ..core.engine import EngineLocal, engine_bound
from .columns import Column
from .feed import AlwaysOnReports, Handler, subscribed
from .formatting import js_round, to_fixed
from .models import ScheduleEvent, ScheduleStatistics
from .report_text import table_report

__all__ = ["Schedule", "ScheduleReports", "schedule_report", "schedule_statistics"]

_NA = "N/A"


def _row(
    result: Scheduled | Opened | Cancelled, duration: int | None = None, when: int | None = None
) -> ScheduleEvent:
    signal = result.signal
    action = result.action
    return ScheduleEvent(
        timestamp=signal.scheduled_at if when is None else when,
        action=action,
        symbol=signal.symbol,
        strategy_name=signal.strategy_name,
        signal_id=signal.id,
        position=signal.position,
        note=signal.note,
        current_price=result.current_price,
        price_open=signal.price_open,
        price_take_profit=signal.price_take_profit,
        price_stop_loss=signal.price_stop_loss,
        close_timestamp=when if action == "cancelled" else None,
        duration=duration,
    )


def _mean(values: Sequence[int]) -> float | None:
    if not values:
        return None
    total = 0.0
    for value in values:  # a running sum in list order, as the reference's reduce
        total = total + value
    return total / len(values)


def schedule_statistics(events: Sequence[ScheduleEvent]) -> ScheduleStatistics:
    """SPEC 9.3 over the stored rows (newest first)."""
    scheduled = sum(1 for e in events if e.action == "scheduled")
    opened = [e.duration for e in events if e.action == "opened" and e.duration is not None]
    cancelled = [e.duration for e in events if e.action == "cancelled" and e.duration is not None]
    total_opened = sum(1 for e in events if e.action == "opened")
    total_cancelled = sum(1 for e in events if e.action == "cancelled")
    return ScheduleStatistics(
        event_list=tuple(events),
        total_events=len(events),
        total_scheduled=scheduled,
        total_opened=total_opened,
        total_cancelled=total_cancelled,
        cancellation_rate=total_cancelled / scheduled * 100 if scheduled else None,
        activation_rate=total_opened / scheduled * 100 if scheduled else None,
        avg_wait_time=_mean(cancelled),
        avg_activation_time=_mean(opened),
    )


def schedule_report(
    strategy_name: str, stats: ScheduleStatistics, columns: Sequence[Column] | None = None
) -> str:
    """The schedule report text (SPEC 10): title, table, eight summary lines; no final newline."""

    def rate(value: float | None, suffix: str) -> str:
        return _NA if value is None else f"{to_fixed(value, 2)}% ({suffix})"

    def minutes(value: float | None) -> str:
        return _NA if value is None else f"{to_fixed(value, 2)} minutes"

    summary = [
        f"**Total events:** {stats.total_events}",
        f"**Scheduled signals:** {stats.total_scheduled}",
        f"**Opened signals:** {stats.total_opened}",
        f"**Cancelled signals:** {stats.total_cancelled}",
        f"**Activation rate:** {rate(stats.activation_rate, 'higher is better')}",
        f"**Cancellation rate:** {rate(stats.cancellation_rate, 'lower is better')}",
        f"**Average activation time:** {minutes(stats.avg_activation_time)}",
        f"**Average wait time (cancelled):** {minutes(stats.avg_wait_time)}",
    ]
    return table_report(
        f"# Scheduled Signals Report: {strategy_name}",
        stats.total_events,
        "No scheduled signals recorded yet.",
        "schedule_columns",
        stats.event_list,
        columns,
        summary,
    )


class ScheduleReports(AlwaysOnReports[ScheduleEvent, ScheduleStatistics]):
    """`Schedule`: get_data / get_report / dump per (symbol, strategy); clear / reset."""

    folder = "schedule"

    def _handlers(self) -> list[Handler]:
        return [(lambda b: b.transition, self._on_result, (Scheduled, Activation, Cancelled))]

    def _on_result(self, result: TickResult) -> None:
        if isinstance(result, Scheduled):
            row = _row(result)
        elif isinstance(result, Opened):
            signal = result.signal
            if signal.scheduled_at == signal.pending_at:
                return  # an immediate entry, never scheduled
            waited = js_round((signal.pending_at - signal.scheduled_at) / 60000)
            row = _row(result, waited, signal.pending_at)
        elif isinstance(result, Cancelled):
            when = result.close_timestamp
            row = _row(result, js_round((when - result.signal.scheduled_at) / 60000), when)
        else:
            return
        self._book.add(f"{result.symbol}:{result.strategy_name}", row)

    _summary = staticmethod(schedule_statistics)
    _report = staticmethod(schedule_report)


Schedule = engine_bound(EngineLocal("Schedule", subscribed(ScheduleReports), always_on=True))
