"""A get_signal decision reduced to what the bias analyzer compares, and the comparison."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from ..signal.signal import Signal

__all__ = ["DECISION_FIELDS", "Decision", "first_difference"]

DECISION_FIELDS = (
    "outcome",
    "position",
    "price_open",
    "price_take_profit",
    "price_stop_loss",
    "minute_estimated_time",
)


@dataclass(frozen=True, slots=True)
class Decision:
    """What get_signal answered at `when`: a signal, None, or an error (its type and text)."""

    when: int
    outcome: Literal["signal", "none", "error"]
    position: str | None = None
    price_open: float | None = None
    price_take_profit: float | None = None
    price_stop_loss: float | None = None
    minute_estimated_time: int | None = None
    error: str = ""

    @classmethod
    def of(cls, when: int, answer: Any) -> Decision:
        if answer is None:
            return cls(when, "none")
        if not isinstance(answer, Signal):
            return cls(when, "error", error=f"get_signal returned {type(answer).__name__}")
        return cls(
            when,
            "signal",
            answer.position,
            answer.price_open,
            answer.price_take_profit,
            answer.price_stop_loss,
            answer.minute_estimated_time,
        )

    @classmethod
    def failed(cls, when: int, error: BaseException) -> Decision:
        return cls(when, "error", error=f"{type(error).__name__}: {error}")


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def first_difference(baseline: Decision, rerun: Decision) -> str | None:
    """The first field (in DECISION_FIELDS order) whose value differs, or None."""
    for field in DECISION_FIELDS:
        if not _same(getattr(baseline, field), getattr(rerun, field)):
            return field
    return None
