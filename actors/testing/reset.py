"""A clean engine between tests: `reset_engine` forgets every schema, listener and storage."""

from __future__ import annotations

from backtestkit.bus import topics

from ..backtest.facade import Backtest
from ..backtest.frames import forget_timelines
from ..core.config import reset_config
from ..core.exchange import forget_exchange_actors
from ..core.registry import reset_registry
from ..core.risk import risk_books
from ..live.facade import Live
from ..reports.column_config import reset_columns
from ..reports.heat import Heat
from ..reports.partial import Partial
from ..reports.performance import Performance
from ..reports.risk import Risk
from ..reports.schedule import Schedule
from ..walker.durations import forget_durations
from ..walker.facade import Walker

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
