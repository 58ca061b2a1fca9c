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
from backtestkit.actors.column_config import (
    COLUMN_TABLES,
    get_columns,
    get_default_columns,
    reset_columns,
    set_columns,
)
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
from backtestkit.actors.heat_report import Heat, HeatReports
from backtestkit.actors.instances import InstanceStatus
from backtestkit.actors.live import Live, LiveMode
from backtestkit.actors.live_report import LIVE_COLUMNS, live_report
from backtestkit.actors.live_statistics import LiveEvent, LiveStatistics
from backtestkit.actors.logs import configure_logging
from backtestkit.actors.partial_report import Partial, PartialReports
from backtestkit.actors.performance_report import Performance, PerformanceReports
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
from backtestkit.actors.report_models import (
    HeatmapRow,
    HeatmapStatistics,
    MetricStats,
    PartialRow,
    PartialStatistics,
    PerformanceStatistics,
    RiskStatistics,
    ScheduleEvent,
    ScheduleStatistics,
)
from backtestkit.actors.risk import ActivePosition, RiskCheck
from backtestkit.actors.risk_report import Risk, RiskReports
from backtestkit.actors.schedule_report import Schedule, ScheduleReports
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
from backtestkit.actors.sizing import PositionSize, PositionSizeCalculator, SizingParams
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
from backtestkit.actors.walker import Walker, WalkerMode
from backtestkit.actors.walker_executor import Executor
from backtestkit.actors.walker_models import WalkerProgress, WalkerResults, WalkerStrategyResult
from backtestkit.actors.walker_report import WALKER_PNL_COLUMNS, WALKER_STRATEGY_COLUMNS
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
    "COLUMN_TABLES",
    "LIVE_COLUMNS",
    "WALKER_PNL_COLUMNS",
    "WALKER_STRATEGY_COLUMNS",
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
    "Executor",
    "FrameCallbacks",
    "FrameSchema",
    "FrameTimeline",
    "GlobalConfig",
    "Heat",
    "HeatReports",
    "HeatmapRow",
    "HeatmapStatistics",
    "Idle",
    "InstanceStatus",
    "JsonStateStore",
    "Live",
    "LiveEvent",
    "LiveMode",
    "LiveStatistics",
    "MemoryCandles",
    "MetricStats",
    "Opened",
    "Partial",
    "PartialReports",
    "PartialRow",
    "PartialStatistics",
    "Performance",
    "PerformanceReports",
    "PerformanceStatistics",
    "Pnl",
    "PositionSize",
    "PositionSizeCalculator",
    "Registry",
    "Risk",
    "RiskCallbacks",
    "RiskCheck",
    "RiskReports",
    "RiskSchema",
    "RiskStatistics",
    "RiskValidation",
    "Schedule",
    "ScheduleEvent",
    "ScheduleReports",
    "ScheduleStatistics",
    "Scheduled",
    "Signal",
    "SignalRow",
    "SignalStateMachine",
    "SizingCallbacks",
    "SizingParams",
    "SizingSchema",
    "StrategyCallbacks",
    "StrategySchema",
    "TableSource",
    "TickResult",
    "VirtualClock",
    "Walker",
    "WalkerCallbacks",
    "WalkerMode",
    "WalkerProgress",
    "WalkerResults",
    "WalkerSchema",
    "WalkerStrategyResult",
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
    "get_columns",
    "get_config",
    "get_date",
    "get_default_columns",
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
    "reset_columns",
    "reset_config",
    "reset_registry",
    "set_columns",
    "set_config",
    "vwap",
]

configure_logging()
