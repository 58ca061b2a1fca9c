"""The core: signal state machine, exchange, risk, sizing, partial levels, validation, config,
schemas and their registry."""

from .blocking import loop_running, run_blocking
from .config import GlobalConfig, get_config, get_default_config, reset_config, set_config
from .context import ExecutionContext
from .engine import Engine, current_engine
from .exchange import CandleAnomalyError, ExchangeActor
from .instances import InstanceStatus
from .logs import configure_logging
from .registration import (
    add_exchange,
    add_frame,
    add_risk,
    add_sizing,
    add_strategy,
    add_walker,
)
from .registry import (
    Registry,
    list_exchanges,
    list_frames,
    list_risks,
    list_sizings,
    list_strategies,
    list_walkers,
    registry,
    reset_registry,
)
from .rejections import SignalRejections
from .risk import ActivePosition, RiskCheck
from .schemas import (
    ExchangeCallbacks,
    ExchangeSchema,
    FrameCallbacks,
    FrameSchema,
    RiskCallbacks,
    RiskSchema,
    RiskValidation,
    SizingCallbacks,
    SizingSchema,
    StrategyCallbacks,
    StrategySchema,
    WalkerCallbacks,
    WalkerSchema,
)
from .signal import Signal
from .sizing import PositionSize, PositionSizeCalculator, SizingParams
from .strategy import SignalStateMachine
from .strategy_api import (
    format_price,
    format_quantity,
    get_average_price,
    get_candles,
    get_date,
    get_mode,
)
from .validation import SignalValidationError

__all__ = [
    "ActivePosition",
    "CandleAnomalyError",
    "Engine",
    "ExchangeActor",
    "ExchangeCallbacks",
    "ExchangeSchema",
    "ExecutionContext",
    "FrameCallbacks",
    "FrameSchema",
    "GlobalConfig",
    "InstanceStatus",
    "PositionSize",
    "PositionSizeCalculator",
    "Registry",
    "RiskCallbacks",
    "RiskCheck",
    "RiskSchema",
    "RiskValidation",
    "Signal",
    "SignalRejections",
    "SignalStateMachine",
    "SignalValidationError",
    "SizingCallbacks",
    "SizingParams",
    "SizingSchema",
    "StrategyCallbacks",
    "StrategySchema",
    "WalkerCallbacks",
    "WalkerSchema",
    "add_exchange",
    "add_frame",
    "add_risk",
    "add_sizing",
    "add_strategy",
    "add_walker",
    "configure_logging",
    "current_engine",
    "format_price",
    "format_quantity",
    "get_average_price",
    "get_candles",
    "get_config",
    "get_date",
    "get_default_config",
    "get_mode",
    "list_exchanges",
    "list_frames",
    "list_risks",
    "list_sizings",
    "list_strategies",
    "list_walkers",
    "loop_running",
    "registry",
    "reset_config",
    "reset_registry",
    "run_blocking",
    "set_config",
]
