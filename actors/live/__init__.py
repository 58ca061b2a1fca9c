"""Live mode: clocks, the MinuteTicker, crash-safe state on disk, the facade."""

from .clock import Clock, VirtualClock, WallClock
from .facade import DEFAULT_STATE_DIR, Live, LiveMode
from .persistence import CorruptStateError, JsonStateStore
from .ticker import MinuteTicker

__all__ = [
    "DEFAULT_STATE_DIR",
    "Clock",
    "CorruptStateError",
    "JsonStateStore",
    "Live",
    "LiveMode",
    "MinuteTicker",
    "VirtualClock",
    "WallClock",
]
