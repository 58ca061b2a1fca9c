"""The Bus groups every topic of SPEC section 13; `topics` is the current engine's bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from .events import (
    BacktestProgress,
    DoneEvent,
    PartialEvent,
    PerformanceEvent,
    RiskEvent,
    WalkerCompleteEvent,
    WalkerProgressEvent,
    WalkerStopEvent,
)
from .results import TickResult
from .topic import Topic

__all__ = ["Bus", "current_bus", "resolve_bus_with", "topics"]


class Bus:
    """Typed topics wiring the actors; a listener that raises lands on `error`."""

    def __init__(self) -> None:
        self.error: Topic[BaseException] = Topic("error")
        sink = self.error.publish
        self.exit: Topic[BaseException] = Topic("exit", sink)
        self.validation: Topic[BaseException] = Topic("validation", sink)
        self.signal: Topic[TickResult] = Topic("signal", sink)
        self.signal_backtest: Topic[TickResult] = Topic("signal_backtest", sink)
        self.signal_live: Topic[TickResult] = Topic("signal_live", sink)
        # every non-idle result of both modes: what reports consume without forcing the engine
        # to build an idle result per frame
        self.transition: Topic[TickResult] = Topic("transition", sink)
        self.done_backtest: Topic[DoneEvent] = Topic("done_backtest", sink)
        self.done_live: Topic[DoneEvent] = Topic("done_live", sink)
        self.done_walker: Topic[DoneEvent] = Topic("done_walker", sink)
        self.progress_backtest: Topic[BacktestProgress] = Topic("progress_backtest", sink)
        self.progress_walker: Topic[WalkerProgressEvent] = Topic("progress_walker", sink)
        self.walker: Topic[Any] = Topic("walker", sink)
        self.walker_complete: Topic[WalkerCompleteEvent] = Topic("walker_complete", sink)
        self.walker_stop: Topic[WalkerStopEvent] = Topic("walker_stop", sink)
        self.performance: Topic[PerformanceEvent] = Topic("performance", sink)
        self.partial_profit: Topic[PartialEvent] = Topic("partial_profit", sink)
        self.partial_loss: Topic[PartialEvent] = Topic("partial_loss", sink)
        self.risk: Topic[RiskEvent] = Topic("risk", sink)

    def all(self) -> list[Topic[Any]]:
        return [value for value in vars(self).values() if isinstance(value, Topic)]

    def clear(self) -> None:
        """Drop every listener (test isolation)."""
        for topic in self.all():
            topic.clear()


_fallback = Bus()  # the bus package used alone, without an engine


def _fallback_bus() -> Bus:
    return _fallback


_resolve: Callable[[], Bus] = _fallback_bus


def resolve_bus_with(resolve: Callable[[], Bus]) -> None:
    """How `current_bus()` finds the bus in use (the engine installs its own)."""
    global _resolve
    _resolve = resolve


def current_bus() -> Bus:
    return _resolve()


class _CurrentBus:
    """`topics`: every attribute is the current bus's (so a listener lands on the engine that
    is current when it subscribes)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return getattr(_resolve(), name)


topics = cast(Bus, _CurrentBus())
