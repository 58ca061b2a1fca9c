"""backtestkit.bus: typed topics and event payloads. Imports nothing else of backtestkit."""

from . import listen as _listen
from .detached import start_detached
from .events import (
    BacktestProgress,
    DoneEvent,
    MetricType,
    PartialEvent,
    PerformanceEvent,
    RiskEvent,
    WalkerCompleteEvent,
    WalkerProgressEvent,
    WalkerStopEvent,
)
from .hub import Bus, current_bus, resolve_bus_with, topics
from .listen import *  # noqa: F403  (the listen_* helpers, listed once in listen.__all__)
from .results import (
    Active,
    Cancelled,
    Closed,
    CloseReason,
    Idle,
    Opened,
    Pnl,
    Position,
    Scheduled,
    SignalRow,
    TickResult,
)
from .serialize import Serializable, plain
from .topic import Listener, Predicate, Topic, Unsubscribe

__all__ = [
    "Active",
    "BacktestProgress",
    "Bus",
    "Cancelled",
    "CloseReason",
    "Closed",
    "DoneEvent",
    "Idle",
    "Listener",
    "MetricType",
    "Opened",
    "PartialEvent",
    "PerformanceEvent",
    "Pnl",
    "Position",
    "Predicate",
    "RiskEvent",
    "Scheduled",
    "Serializable",
    "SignalRow",
    "TickResult",
    "Topic",
    "Unsubscribe",
    "WalkerCompleteEvent",
    "WalkerProgressEvent",
    "WalkerStopEvent",
    "current_bus",
    "plain",
    "resolve_bus_with",
    "start_detached",
    "topics",
]
__all__ += _listen.__all__
