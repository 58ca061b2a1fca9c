"""Default columns of the schedule, heat, performance, partial and risk tables (SPEC 10).

Numbers follow JS semantics (`reports.formatting`); `%+.2f` (sprintf) puts a `+` on every
non-negative value, unlike the reports' `signed` which adds it only above zero.
"""

from __future__ import annotations

from typing import Any

from backtestkit.bus import RiskEvent

from .columns import Column, note_visible
from .formatting import iso_ms, price_usd, to_fixed
from .models import PartialRow, ScheduleEvent

__all__ = [
    "HEAT_COLUMNS",
    "PARTIAL_COLUMNS",
    "PERFORMANCE_COLUMNS",
    "RISK_COLUMNS",
    "SCHEDULE_COLUMNS",
    "sprintf_plus",
]

_NA = "N/A"


def sprintf_plus(value: float, digits: int) -> str:
    """sprintf `%+.<digits>f`: `+` for every value >= 0, `-` below zero."""
    return ("+" if value >= 0 else "") + to_fixed(value, digits)


def _or_na(value: float | None, render: Any) -> str:
    return _NA if value is None else str(render(value))


# --- schedule (SPEC 9.3) ------------------------------------------------------------------------


def _wait(row: ScheduleEvent, _index: int) -> str:
    return _NA if row.duration is None else str(row.duration)


SCHEDULE_COLUMNS: tuple[Column, ...] = (
    Column("timestamp", "Timestamp", lambda r, _i: iso_ms(r.timestamp)),
    Column("action", "Action", lambda r, _i: r.action.upper()),
    Column("symbol", "Symbol", lambda r, _i: r.symbol),
    Column("signal_id", "Signal ID", lambda r, _i: r.signal_id),
    Column("position", "Position", lambda r, _i: r.position.upper()),
    Column("note", "Note", lambda r, _i: r.note or _NA, note_visible),
    Column("current_price", "Current Price", lambda r, _i: price_usd(r.current_price)),
    Column("price_open", "Entry Price", lambda r, _i: price_usd(r.price_open)),
    Column("take_profit", "Take Profit", lambda r, _i: price_usd(r.price_take_profit)),
    Column("stop_loss", "Stop Loss", lambda r, _i: price_usd(r.price_stop_loss)),
    Column("duration", "Wait Time (min)", _wait),
)
"""Rows: `ScheduleEvent`. The Note column follows `CC_REPORT_SHOW_SIGNAL_NOTE`."""


# --- heat (SPEC 9.4) ----------------------------------------------------------------------------


def _percent_plus(value: float | None) -> str:
    return _or_na(value, lambda v: sprintf_plus(v, 2) + "%")


def _fixed2(value: float | None) -> str:
    return _or_na(value, lambda v: to_fixed(v, 2))


HEAT_COLUMNS: tuple[Column, ...] = (
    Column("symbol", "Symbol", lambda r, _i: r.symbol),
    Column("total_pnl", "Total PNL", lambda r, _i: _percent_plus(r.total_pnl)),
    Column("sharpe_ratio", "Sharpe", lambda r, _i: _fixed2(r.sharpe_ratio)),
    Column("profit_factor", "PF", lambda r, _i: _fixed2(r.profit_factor)),
    Column("expectancy", "Expect", lambda r, _i: _percent_plus(r.expectancy)),
    Column("win_rate", "WR", lambda r, _i: _or_na(r.win_rate, lambda v: to_fixed(v, 1) + "%")),
    Column("avg_win", "Avg Win", lambda r, _i: _percent_plus(r.avg_win)),
    Column("avg_loss", "Avg Loss", lambda r, _i: _percent_plus(r.avg_loss)),
    Column(
        "max_drawdown",
        "Max DD",
        lambda r, _i: _or_na(r.max_drawdown, lambda v: to_fixed(-v, 2) + "%"),
    ),
    Column("max_win_streak", "W Streak", lambda r, _i: str(r.max_win_streak)),
    Column("max_loss_streak", "L Streak", lambda r, _i: str(r.max_loss_streak)),
    Column("total_trades", "Trades", lambda r, _i: str(r.total_trades)),
)
"""Rows: `HeatmapRow`; `None` prints `N/A`, Max DD prints the drawdown negated."""


# --- performance (SPEC 9.5) ---------------------------------------------------------------------


def _ms(key: str) -> Any:
    return lambda row, _index: to_fixed(getattr(row, key), 2)


PERFORMANCE_COLUMNS: tuple[Column, ...] = (
    Column("metric_type", "Metric Type", lambda r, _i: r.metric_type),
    Column("count", "Count", lambda r, _i: str(r.count)),
    Column("total_duration", "Total (ms)", _ms("total_duration")),
    Column("avg_duration", "Avg (ms)", _ms("avg_duration")),
    Column("min_duration", "Min (ms)", _ms("min_duration")),
    Column("max_duration", "Max (ms)", _ms("max_duration")),
    Column("std_dev", "Std Dev (ms)", _ms("std_dev")),
    Column("median", "Median (ms)", _ms("median")),
    Column("p95", "P95 (ms)", _ms("p95")),
    Column("p99", "P99 (ms)", _ms("p99")),
    Column("avg_wait_time", "Avg Wait (ms)", _ms("avg_wait_time")),
    Column("min_wait_time", "Min Wait (ms)", _ms("min_wait_time")),
    Column("max_wait_time", "Max Wait (ms)", _ms("max_wait_time")),
)
"""Rows: `MetricStats`, sorted by total duration (descending) in the report."""


# --- partial (SPEC 9.6) -------------------------------------------------------------------------


def _level(row: PartialRow, _index: int) -> str:
    return f"+{row.level}%" if row.action == "profit" else f"-{row.level}%"


PARTIAL_COLUMNS: tuple[Column, ...] = (
    Column("action", "Action", lambda r, _i: r.action.upper()),
    Column("symbol", "Symbol", lambda r, _i: r.symbol),
    Column("strategy_name", "Strategy", lambda r, _i: r.strategy_name),
    Column("signal_id", "Signal ID", lambda r, _i: r.signal_id),
    Column("position", "Position", lambda r, _i: r.position.upper()),
    Column("level", "Level %", _level),
    Column("current_price", "Current Price", lambda r, _i: price_usd(r.current_price)),
    Column("timestamp", "Timestamp", lambda r, _i: iso_ms(r.timestamp)),
    Column("mode", "Mode", lambda r, _i: "Backtest" if r.backtest else "Live"),
)
"""Rows: `PartialRow`."""


# --- risk (SPEC 9.7) ----------------------------------------------------------------------------


def _signal_field(row: RiskEvent, name: str) -> Any:
    """A field of the checked signal (a Signal DTO or a SignalRow), None when absent."""
    return getattr(row.pending_signal, name, None)


def _signal_price(name: str) -> Any:
    return lambda row, _index: _or_na(_signal_field(row, name), price_usd)


def _signal_text(name: str, upper: bool = False) -> Any:
    def render(row: RiskEvent, _index: int) -> str:
        value = _signal_field(row, name)
        if not value:
            return _NA
        return str(value).upper() if upper else str(value)

    return render


RISK_COLUMNS: tuple[Column, ...] = (
    Column("symbol", "Symbol", lambda r, _i: r.symbol),
    Column("strategy_name", "Strategy", lambda r, _i: r.strategy_name),
    Column("signal_id", "Signal ID", _signal_text("id")),
    Column("position", "Position", _signal_text("position", upper=True)),
    Column("note", "Note", _signal_text("note"), note_visible),
    Column("exchange_name", "Exchange", lambda r, _i: r.exchange_name),
    Column("price_open", "Open Price", _signal_price("price_open")),
    Column("take_profit", "Take Profit", _signal_price("price_take_profit")),
    Column("stop_loss", "Stop Loss", _signal_price("price_stop_loss")),
    Column("current_price", "Current Price", lambda r, _i: price_usd(r.current_price)),
    Column("active_position_count", "Active Positions", lambda r, _i: str(r.active_position_count)),
    Column("comment", "Reason", lambda r, _i: r.comment),
    Column("timestamp", "Timestamp", lambda r, _i: iso_ms(r.timestamp)),
)
"""Rows: `RiskEvent`; a field the checked signal lacks (a market entry's open price) is N/A."""
