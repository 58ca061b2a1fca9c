"""The analyzer's baseline: a plain backtest whose get_signal answers are recorded.

Every answer that is a signal is kept as a `Decision`; the instants where get_signal answered
None are kept as bare times in a compact array (a year of 5m frames is 105 120 of them).
"""

from __future__ import annotations

import dataclasses
import inspect
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from ..backtest.facade import Backtest
from ..core.config import get_config
from ..core.context import execution_context
from ..workers.payload import collect_spec
from .decisions import Decision

__all__ = ["Baseline", "baseline_decisions"]

_running_context = execution_context.get  # bound once: read on every get_signal call


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the backtest's get_signal answered: the decisions that opened (or scheduled) a
    signal, in time order, and the times (ms, ascending) it answered None."""

    opened: list[Decision]
    idle: npt.NDArray[np.int64]


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def _recorder(
    fn: Callable[..., Any], into: dict[int, Decision], idle: array[int]
) -> Callable[..., Any]:
    """`fn`, keeping what it answered when it answered (an error is not an answer)."""

    def keep(when: datetime, answer: Any) -> None:
        context = _running_context()  # its `when` is the call's time in ms, read for free
        ms = _ms(when) if context is None else context.when
        if answer is None:
            idle.append(ms)
        else:
            into[ms] = Decision.of(ms, answer)

    if inspect.iscoroutinefunction(fn):

        async def record_async(symbol: str, when: datetime) -> Any:
            answer = await fn(symbol, when)
            keep(when, answer)
            return answer

        return record_async

    def record(symbol: str, when: datetime) -> Any:
        answer = fn(symbol, when)
        keep(when, answer)
        return answer

    return record


def baseline_decisions(
    symbol: str, strategy: str, exchange: str, frame: str, profile: str
) -> Baseline:
    """Backtest `strategy` under `profile` in an engine of its own (the caller's schemas,
    config and reports stay untouched) and keep its answers."""
    config = dataclasses.replace(get_config(), CC_LOOKAHEAD_PROFILE=profile)
    spec = collect_spec(symbol, [strategy], exchange, frame, config=config)
    answers: dict[int, Decision] = {}
    idle: array[int] = array("q")
    watched = dataclasses.replace(
        spec.strategies[0], get_signal=_recorder(spec.strategies[0].get_signal, answers, idle)
    )
    with dataclasses.replace(spec, strategies=(watched,)).engine():
        results = Backtest.run_sync(symbol, strategy=strategy, exchange=exchange, frame=frame)
    times = sorted({r.signal.scheduled_at for r in results if r.signal is not None})
    idle_times = np.unique(np.frombuffer(idle, dtype=np.int64))
    return Baseline([answers[t] for t in times if t in answers], idle_times)
