"""The signal state machine (SPEC 3-6) and everything it decides: the intake of new signals
(get_signal behind its throttle, validation, the risk gate), what a fast-forward settles, PnL,
partial levels and the results it delivers. It asks the exchange only through `MarketPort`
and the risk gate through `RiskPort`. (`Signal`'s public home is `backtestkit.actors`.)"""

from .ports import MarketPort, RiskPort
from .rejections import SignalRejections
from .strategy import SignalStateMachine
from .validation import SignalValidationError

__all__ = [
    "MarketPort",
    "RiskPort",
    "SignalRejections",
    "SignalStateMachine",
    "SignalValidationError",
]
