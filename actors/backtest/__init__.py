"""Backtest mode: the frame timeline, the FrameReplayer clock, fast-forward, the facade."""

from .facade import Backtest, BacktestMode, BacktestRun
from .frames import FrameTimeline
from .replayer import FrameReplayer

__all__ = ["Backtest", "BacktestMode", "BacktestRun", "FrameReplayer", "FrameTimeline"]
