"""backtestkit.actors: the engine's public face. Imports backtestkit.bus only.

What a strategy author, a notebook or a bot script needs is here; everything else is reachable
from its room: market (candles), core (the engine's plumbing: config, schemas, registry),
exchange (candle windows, VWAP), signal (the signal state machine), backtest,
live, walker (the three modes), portfolio (many symbols on one clock), reports, analysis
(look-ahead bias), workers, testing (helpers for users' tests).
"""

from backtestkit.bus import (
    Active,
    Cancelled,
    Closed,
    Idle,
    Opened,
    Pnl,
    Scheduled,
    SignalRow,
    TickResult,
)

from .analysis import analyze_bias
from .backtest import Backtest
from .core import (
    Engine,
    InstanceStatus,
    PositionSize,
    RiskCheck,
    RiskValidation,
    add_exchange,
    add_frame,
    add_risk,
    add_sizing,
    add_strategy,
    add_walker,
    configure_logging,
    get_config,
    reset_config,
    set_config,
)
from .exchange.strategy_api import (
    format_price,
    format_quantity,
    get_average_price,
    get_candles,
    get_date,
    get_mode,
)
from .live import Live, VirtualClock, parity
from .market import Candles, CandleSource
from .portfolio import Portfolio
from .reports import (
    BacktestStatistics,
    Heat,
    Partial,
    Performance,
    RiskRejections,
    Schedule,
    WalkerProgress,
    WalkerResults,
)
from .signal.signal import Signal
from .walker import Walker, add_sweep, walk_forward

__all__ = [
    "Active",
    "Backtest",
    "BacktestStatistics",
    "Cancelled",
    "CandleSource",
    "Candles",
    "Closed",
    "Engine",
    "Heat",
    "Idle",
    "InstanceStatus",
    "Live",
    "Opened",
    "Partial",
    "Performance",
    "Pnl",
    "Portfolio",
    "PositionSize",
    "RiskCheck",
    "RiskRejections",
    "RiskValidation",
    "Schedule",
    "Scheduled",
    "Signal",
    "SignalRow",
    "TickResult",
    "VirtualClock",
    "Walker",
    "WalkerProgress",
    "WalkerResults",
    "add_exchange",
    "add_frame",
    "add_risk",
    "add_sizing",
    "add_strategy",
    "add_sweep",
    "add_walker",
    "analyze_bias",
    "configure_logging",
    "format_price",
    "format_quantity",
    "get_average_price",
    "get_candles",
    "get_config",
    "get_date",
    "get_mode",
    "parity",
    "reset_config",
    "set_config",
    "walk_forward",
]
