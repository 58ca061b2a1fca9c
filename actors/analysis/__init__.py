"""Look-ahead bias analysis: a backtest's opened signals asked again on truncated history."""

from .bias import DEFAULT_WARMUPS, analyze_bias, check_bias_request
from .decisions import Decision, first_difference
from .report import BiasFinding, BiasReport, StrategyBias
from .truncation import TruncatedCandles

__all__ = [
    "DEFAULT_WARMUPS",
    "BiasFinding",
    "BiasReport",
    "Decision",
    "StrategyBias",
    "TruncatedCandles",
    "analyze_bias",
    "check_bias_request",
    "first_difference",
]
