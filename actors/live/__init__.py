"""Live mode: clocks, the MinuteTicker, crash-safe state on disk, the facade, the recording of
what live ticked and was served (for parity checks)."""

from .clock import Clock, VirtualClock, WallClock
from .facade import DEFAULT_STATE_DIR, Live, LiveMode
from .persistence import CorruptStateError, JsonStateStore
from .recording import RecordingWriter
from .recording_reader import Recording, read_recording
from .ticker import MinuteTicker

__all__ = [
    "DEFAULT_STATE_DIR",
    "Clock",
    "CorruptStateError",
    "JsonStateStore",
    "Live",
    "LiveMode",
    "MinuteTicker",
    "Recording",
    "RecordingWriter",
    "VirtualClock",
    "WallClock",
    "read_recording",
]
