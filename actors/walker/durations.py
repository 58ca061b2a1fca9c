"""How long each strategy's backtest took when it last ran in this engine (per symbol): the
walker's parallel executors start the longest expected first."""

from __future__ import annotations

from ..core.engine import EngineLocal

__all__ = ["expected_seconds", "record_duration"]

_DURATIONS: EngineLocal[dict[tuple[str, str], float]] = EngineLocal("durations", lambda _e: {})


def record_duration(symbol: str, strategy: str, seconds: float) -> None:
    _DURATIONS.get()[(symbol, strategy)] = seconds


def expected_seconds(symbol: str, strategy: str) -> float:
    """The last duration; infinity for a strategy never timed (it may be the longest)."""
    return _DURATIONS.get().get((symbol, strategy), float("inf"))
