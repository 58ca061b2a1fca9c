"""The Bus groups every topic of SPEC section 13; `topics` is the process-wide default."""

from __future__ import annotations

from typing import Any

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

__all__ = ["Bus", "topics"]


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


topics = Bus()
