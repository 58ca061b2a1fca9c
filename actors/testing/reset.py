"""Helpers for users' own tests: a clean engine between tests."""

from __future__ import annotations

from backtestkit.actors.backtest import Backtest
from backtestkit.actors.column_config import reset_columns
from backtestkit.actors.config import reset_config
from backtestkit.actors.exchange import forget_exchange_actors
from backtestkit.actors.frames import forget_timelines
from backtestkit.actors.heat_report import Heat
from backtestkit.actors.live import Live
from backtestkit.actors.partial_report import Partial
from backtestkit.actors.performance_report import Performance
from backtestkit.actors.registry import reset_registry
from backtestkit.actors.risk import risk_books
from backtestkit.actors.risk_report import Risk
from backtestkit.actors.schedule_report import Schedule
from backtestkit.actors.walker import Walker
from backtestkit.actors.walker_durations import forget_durations
from backtestkit.bus import topics

__all__ = ["reset_engine"]


def reset_engine() -> None:
    """Forget schemas, config and column overrides, listeners, facade instances and report
    storages, risk books and caches."""
    reset_registry()
    reset_config()
    topics.clear()
    Backtest.reset()
    Walker.reset()
    Live.reset()
    risk_books.clear()
    forget_timelines()
    forget_durations()
    forget_exchange_actors()
    reset_columns()
    for reports in (Schedule, Heat, Risk, Partial, Performance):
        reports.reset()  # after topics.clear(): the always-on storages subscribe again
