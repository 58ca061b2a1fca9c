"""The signal state machine (SPEC 3-6) and everything it decides: the intake of new signals
(get_signal behind its throttle, validation, the risk gate), what a fast-forward settles, PnL,
partial levels and the results it delivers. It asks the exchange only through `MarketPort`."""

from .ports import MarketPort
from .rejections import SignalRejections
from .signal import Signal
from .strategy import SignalStateMachine
from .validation import SignalValidationError

__all__ = [
    "MarketPort",
    "Signal",
    "SignalRejections",
    "SignalStateMachine",
    "SignalValidationError",
]
