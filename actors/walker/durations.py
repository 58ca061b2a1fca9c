"""How long each strategy's backtest took when it last ran in this process (per symbol): the
walker's parallel executors start the longest expected first."""

from __future__ import annotations

__all__ = ["expected_seconds", "forget_durations", "record_duration"]

_durations: dict[tuple[str, str], float] = {}


def record_duration(symbol: str, strategy: str, seconds: float) -> None:
    _durations[(symbol, strategy)] = seconds


def expected_seconds(symbol: str, strategy: str) -> float:
    """The last duration; infinity for a strategy never timed (it may be the longest)."""
    return _durations.get((symbol, strategy), float("inf"))


def forget_durations() -> None:
    _durations.clear()
