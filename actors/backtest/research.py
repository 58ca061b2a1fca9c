"""Research metrics of a finished backtest over its frame's bars, and the pandas `stats()`."""

from __future__ import annotations

from typing import Any

from ..core.schemas import FrameSchema
from ..market.intervals import FRAME_INTERVALS, interval_ms
from ..reports.backtest_statistics import BacktestStatistics
from ..reports.research_equity import research_statistics
from ..reports.research_metrics import ResearchMetrics
from ..reports.tabular import series
from .frames import FrameTimeline

__all__ = ["frame_research", "stats_series"]


def frame_research(
    stats: BacktestStatistics,
    frame: FrameSchema,
    *,
    capital: float = 10_000.0,
    risk_free_rate: float = 0.0,
) -> ResearchMetrics:
    """`research_statistics` with the frame's timeline as the bars (no frame callback fires)."""
    step = interval_ms(frame.interval, FRAME_INTERVALS, "frame")
    bars = FrameTimeline(frame.start_ms, frame.end_ms, step)
    return research_statistics(stats, bars, capital=capital, risk_free_rate=risk_free_rate)


def stats_series(stats: BacktestStatistics, research: ResearchMetrics) -> Any:
    """The reference's statistics, then the research metrics, as one pandas Series."""
    reference = stats.to_series()
    extra = research.to_series()
    return series({**reference.to_dict(), **extra.to_dict()})
