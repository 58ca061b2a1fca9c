"""Reports: statistics, report storages fed by the bus, columns and their configuration, and
the Markdown text of every report (backtest, live, walker, schedule, heat, performance,
partial, risk)."""

from .backtest import backtest_report
from .backtest_statistics import BacktestStatistics
from .column_config import (
    COLUMN_TABLES,
    get_columns,
    get_default_columns,
    reset_columns,
    set_columns,
)
from .columns import BACKTEST_COLUMNS, Column
from .heat import Heat, HeatReports
from .live import live_report
from .live_columns import LIVE_COLUMNS
from .live_statistics import LiveEvent, LiveStatistics
from .models import (
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
from .overfitting import (
    Overfitting,
    SharpeMoments,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probability_of_backtest_overfitting,
    sharpe_moments,
)
from .partial import Partial, PartialReports
from .performance import Performance, PerformanceReports
from .research_equity import research_statistics, trades_and_equity
from .research_metrics import EquitySeries, ResearchMetrics, TradeRecord, research_metrics
from .risk import RiskRejections, RiskReports
from .schedule import Schedule, ScheduleReports
from .statistics import backtest_statistics
from .trade_ledger import LedgerRecorder, TradeLedger
from .walker import walker_report
from .walker_columns import WALKER_PNL_COLUMNS, WALKER_STRATEGY_COLUMNS
from .walker_models import WalkerProgress, WalkerResults, WalkerStrategyResult
from .walker_overfitting import WalkerOverfitting, walker_overfitting

__all__ = [
    "BACKTEST_COLUMNS",
    "COLUMN_TABLES",
    "LIVE_COLUMNS",
    "WALKER_PNL_COLUMNS",
    "WALKER_STRATEGY_COLUMNS",
    "BacktestStatistics",
    "Column",
    "EquitySeries",
    "Heat",
    "HeatReports",
    "HeatmapRow",
    "HeatmapStatistics",
    "LedgerRecorder",
    "LiveEvent",
    "LiveStatistics",
    "MetricStats",
    "Overfitting",
    "Partial",
    "PartialReports",
    "PartialRow",
    "PartialStatistics",
    "Performance",
    "PerformanceReports",
    "PerformanceStatistics",
    "ResearchMetrics",
    "RiskRejections",
    "RiskReports",
    "RiskStatistics",
    "Schedule",
    "ScheduleEvent",
    "ScheduleReports",
    "ScheduleStatistics",
    "SharpeMoments",
    "TradeLedger",
    "TradeRecord",
    "WalkerOverfitting",
    "WalkerProgress",
    "WalkerResults",
    "WalkerStrategyResult",
    "backtest_report",
    "backtest_statistics",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "get_columns",
    "get_default_columns",
    "live_report",
    "probability_of_backtest_overfitting",
    "research_metrics",
    "research_statistics",
    "reset_columns",
    "set_columns",
    "sharpe_moments",
    "trades_and_equity",
    "walker_overfitting",
    "walker_report",
]
