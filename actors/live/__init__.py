"""Live mode: clocks, the MinuteTicker, crash-safe state on disk, the facade, the recording of
what live ticked and was served, and `parity` (that recording replayed as a backtest)."""

from .clock import Clock, VirtualClock, WallClock
from .data_watch import BoundedFeed, LiveDataStopped
from .facade import DEFAULT_STATE_DIR, Live, LiveMode
from .parity import ParityResult, parity, parity_async
from .parity_model import FieldDifference, SignalComparison
from .persistence import CorruptStateError, JsonStateStore, SignalStore
from .recording import RecordingWriter
from .recording_reader import Recording, read_recording
from .restore_checks import ForeignStateError
from .state_lock import StateDirLock, StateDirLockedError, hold_state_dir
from .ticker import MinuteTicker

__all__ = [
    "DEFAULT_STATE_DIR",
    "BoundedFeed",
    "Clock",
    "CorruptStateError",
    "FieldDifference",
    "ForeignStateError",
    "JsonStateStore",
    "Live",
    "LiveDataStopped",
    "LiveMode",
    "MinuteTicker",
    "ParityResult",
    "Recording",
    "RecordingWriter",
    "SignalComparison",
    "SignalStore",
    "StateDirLock",
    "StateDirLockedError",
    "VirtualClock",
    "WallClock",
    "hold_state_dir",
    "parity",
    "parity_async",
    "read_recording",
]
