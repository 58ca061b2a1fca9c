"""Walker ranking rules (SPEC 12.2 step 5-6, API.md metrics).

The reference's seven metrics are maximised; `max_drawdown` ranks the smaller drawdown first
and `total_trades` the larger count. Comparisons are strict, so a tie keeps the earlier strategy,
and a null (non-finite) metric never becomes the best (the walker's contract, SPEC 12.2).

Research choices (the walk-forward's train winner, a search's best trial, the strategy whose
deflated Sharpe ratio is reported) must not depend on the order strategies were registered:
`research_best` breaks a metric tie by the strategy name (the smallest in code-point order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

from .backtest_statistics import BacktestStatistics

__all__ = [
    "LOWER_IS_BETTER",
    "is_better",
    "metric_value",
    "rank_by_metric",
    "reference_metric_name",
    "research_best",
]

LOWER_IS_BETTER = frozenset({"max_drawdown"})

T = TypeVar("T")


def metric_value(stats: BacktestStatistics, metric: str) -> float | None:
    """`stats[metric]` if it is a finite number, else None."""
    value = getattr(stats, metric)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def is_better(value: float | None, best: float | None, metric: str) -> bool:
    """Whether `value` replaces `best`: non-null, and strictly better (or no best yet)."""
    if value is None:
        return False
    if best is None:
        return True
    return value < best if metric in LOWER_IS_BETTER else value > best


def rank_by_metric(items: Sequence[T], values: Sequence[float | None], metric: str) -> list[T]:
    """Stable sort, best first, null metrics last (SPEC 10.3: null counts as -infinity)."""
    sign = 1.0 if metric in LOWER_IS_BETTER else -1.0

    def key(index: int) -> tuple[bool, float]:
        value = values[index]
        return (value is None, 0.0 if value is None else sign * value)

    return [items[i] for i in sorted(range(len(items)), key=key)]


def reference_metric_name(metric: str) -> str:
    """The reference's camelCase name (`sharpe_ratio` -> `sharpeRatio`), as reports print it."""
    head, *rest = metric.split("_")
    return head + "".join(part.capitalize() for part in rest)


def research_best(
    names: Sequence[str], values: Sequence[float | None], metric: str
) -> str | None:
    """The best strategy by `metric`; a tie goes to the smallest name, whatever the order."""
    sign = 1.0 if metric in LOWER_IS_BETTER else -1.0
    scored = [(sign * v, n) for n, v in zip(names, values, strict=True) if v is not None]
    return min(scored)[1] if scored else None
