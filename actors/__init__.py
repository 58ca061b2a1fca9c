"""backtestkit.actors: the engine. Imports backtestkit.bus only."""

from backtestkit.actors.backtest import Backtest, BacktestMode
from backtestkit.actors.backtest_report import backtest_report
from backtestkit.actors.candles import (
    Candle,
    CandleDataError,
    Candles,
    CandleSource,
    CandleStore,
    CandleTable,
)
from backtestkit.actors.clock import Clock, VirtualClock, WallClock
from backtestkit.actors.config import (
    GlobalConfig,
    get_config,
    get_default_config,
    reset_config,
    set_config,
)
from backtestkit.actors.context import ExecutionContext
from backtestkit.actors.exchange import CandleAnomalyError, ExchangeActor
from backtestkit.actors.frames import FrameTimeline
from backtestkit.actors.instances import InstanceStatus
from backtestkit.actors.live import Live, LiveMode
from backtestkit.actors.live_report import LIVE_COLUMNS, live_report
from backtestkit.actors.live_statistics import LiveEvent, LiveStatistics
from backtestkit.actors.logs import configure_logging
from backtestkit.actors.persistence import CorruptStateError, JsonStateStore
from backtestkit.actors.registry import (
    Registry,
    add_exchange,
    add_frame,
    add_risk,
    add_sizing,
    add_strategy,
    add_walker,
    list_exchanges,
    list_frames,
    list_risks,
    list_sizings,
    list_strategies,
    list_walkers,
    registry,
    reset_registry,
)
from backtestkit.actors.report_columns import BACKTEST_COLUMNS, Column
from backtestkit.actors.risk import ActivePosition, RiskCheck
from backtestkit.actors.schemas import (
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
from backtestkit.actors.signal import Signal
from backtestkit.actors.statistics import backtest_statistics
from backtestkit.actors.strategy import SignalStateMachine
from backtestkit.actors.strategy_api import (
    format_price,
    format_quantity,
    get_average_price,
    get_candles,
    get_date,
    get_mode,
)
from backtestkit.actors.table_source import MemoryCandles, TableSource
from backtestkit.actors.vwap import vwap
from backtestkit.bus import (
    Active,
    BacktestStatistics,
    Cancelled,
    Closed,
    Idle,
    Opened,
    Pnl,
    Scheduled,
    SignalRow,
    TickResult,
)

__all__ = [
    "BACKTEST_COLUMNS",
    "LIVE_COLUMNS",
    "Active",
    "ActivePosition",
    "Backtest",
    "BacktestMode",
    "BacktestStatistics",
    "Cancelled",
    "Candle",
    "CandleAnomalyError",
    "CandleDataError",
    "CandleSource",
    "CandleStore",
    "CandleTable",
    "Candles",
    "Clock",
    "Closed",
    "Column",
    "CorruptStateError",
    "ExchangeActor",
    "ExchangeCallbacks",
    "ExchangeSchema",
    "ExecutionContext",
    "FrameCallbacks",
    "FrameSchema",
    "FrameTimeline",
    "GlobalConfig",
    "Idle",
    "InstanceStatus",
    "JsonStateStore",
    "Live",
    "LiveEvent",
    "LiveMode",
    "LiveStatistics",
    "MemoryCandles",
    "Opened",
    "Pnl",
    "Registry",
    "RiskCallbacks",
    "RiskCheck",
    "RiskSchema",
    "RiskValidation",
    "Scheduled",
    "Signal",
    "SignalRow",
    "SignalStateMachine",
    "SizingCallbacks",
    "SizingSchema",
    "StrategyCallbacks",
    "StrategySchema",
    "TableSource",
    "TickResult",
    "VirtualClock",
    "WalkerCallbacks",
    "WalkerSchema",
    "WallClock",
    "add_exchange",
    "add_frame",
    "add_risk",
    "add_sizing",
    "add_strategy",
    "add_walker",
    "backtest_report",
    "backtest_statistics",
    "configure_logging",
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
    "live_report",
    "registry",
    "reset_config",
    "reset_registry",
    "set_config",
    "vwap",
]

configure_logging()
