"""Walk-forward folds: train / test windows cut from a frame, as frames of their own.

A frame's timeline is `start, start + step, ... <= end` (both ends included). A fold's train
frame runs from its train start to one step before its test start, and its test frame from the
test start to one step before the test window's end, so the last train time is always before
the first test time. Rolling folds slide both windows by `step` (default: the test length, so
the test windows tile the frame); anchored folds keep every train window at the frame's start
and grow it by `step`. `gap` (an embargo, default none) leaves time between each train window
and its test window: a backtest runs a signal opened inside its frame to its close, possibly
after the frame, so a gap as long as the longest signal lifetime keeps every train trade off
the test window's candles. Only whole windows inside the frame make folds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from backtestkit.bus import Serializable

__all__ = ["Fold", "walk_forward_folds"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fold(Serializable):
    """One fold; every bound is a frame time in ms UTC, both ends included."""

    index: int
    train_start_ms: int
    train_end_ms: int
    test_start_ms: int
    test_end_ms: int


def _ms(value: timedelta | int, what: str, step_ms: int, least: int = 2) -> int:
    ms = int(value.total_seconds() * 1000) if isinstance(value, timedelta) else value
    if least == 0 and isinstance(ms, int) and not isinstance(ms, bool) and ms < 0:
        raise ValueError(f"walk-forward {what} must not be negative, got {value!r}")
    if isinstance(ms, bool) or not isinstance(ms, int) or ms < least * step_ms:
        raise ValueError(f"walk-forward {what} must span at least two frame steps, got {value!r}")
    if ms % step_ms:
        raise ValueError(
            f"walk-forward {what} ({value!r}) must be a whole number of frame steps "
            f"({step_ms // 60_000} min)"
        )
    return ms


def walk_forward_folds(
    start_ms: int,
    end_ms: int,
    step_ms: int,
    *,
    train: timedelta | int,
    test: timedelta | int,
    step: timedelta | int | None = None,
    anchored: bool = False,
    gap: timedelta | int = 0,
) -> list[Fold]:
    """The folds of the frame `start_ms..end_ms` (frame step `step_ms`); durations in ms or
    timedeltas, each a whole number of frame steps."""
    train_ms = _ms(train, "train", step_ms)
    test_ms = _ms(test, "test", step_ms)
    slide_ms = test_ms if step is None else _ms(step, "step", step_ms)
    gap_ms = _ms(gap, "gap", step_ms, least=0)
    folds: list[Fold] = []
    while True:
        k = len(folds)
        train_start = start_ms if anchored else start_ms + k * slide_ms
        train_end = start_ms + train_ms + k * slide_ms - step_ms
        test_start = train_end + step_ms + gap_ms
        test_end = test_start + test_ms - step_ms
        if test_end > end_ms:
            break
        folds.append(
            Fold(
                index=k,
                train_start_ms=train_start,
                train_end_ms=train_end,
                test_start_ms=test_start,
                test_end_ms=test_end,
            )
        )
    if not folds:
        raise ValueError(
            f"walk-forward: train ({train!r}) + gap + test ({test!r}) do not fit in the frame "
            f"({(end_ms - start_ms + step_ms) // 60_000} min)"
        )
    return folds
