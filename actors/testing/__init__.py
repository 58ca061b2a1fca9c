"""Helpers shipped for users' own tests: a clean engine between tests (virtual time is
`backtestkit.actors.VirtualClock`, candles in memory MemoryCandles, from
the adapters' candle sources)."""

from .reset import reset_engine

__all__ = ["reset_engine"]
