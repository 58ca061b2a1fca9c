"""Helpers shipped for users' own tests: a clean engine between tests, virtual time and an
in-memory candle source."""

from ..live.clock import VirtualClock
from ..market.table_source import MemoryCandles
from .reset import reset_engine

__all__ = ["MemoryCandles", "VirtualClock", "reset_engine"]
