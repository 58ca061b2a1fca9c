"""Helpers for users' own tests: a clean engine between tests."""

from __future__ import annotations

from backtestkit.actors.backtest import Backtest
from backtestkit.actors.config import reset_config
from backtestkit.actors.exchange import forget_exchange_actors
from backtestkit.actors.frames import forget_timelines
from backtestkit.actors.live import Live
from backtestkit.actors.registry import reset_registry
from backtestkit.actors.risk import risk_books
from backtestkit.bus import topics

__all__ = ["reset_engine"]


def reset_engine() -> None:
    """Forget schemas, config overrides, listeners, facade instances, risk books and caches."""
    reset_registry()
    reset_config()
    topics.clear()
    Backtest.reset()
    Live.reset()
    risk_books.clear()
    forget_timelines()
    forget_exchange_actors()
