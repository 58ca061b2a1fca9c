"""The engine's plumbing: engines, config, the execution context, schemas and their registry,
registration (add_*), risk, sizing, logs and the pieces the mode facades share."""

from .blocking import loop_running, run_blocking
from .config import GlobalConfig, get_config, get_default_config, reset_config, set_config
from .context import ExecutionContext
from .engine import Engine, current_engine
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
from .sizing import PositionSize, PositionSizeCalculator, SizingParams

__all__ = [
    "ActivePosition",
    "Engine",
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
    "get_config",
    "get_default_config",
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
