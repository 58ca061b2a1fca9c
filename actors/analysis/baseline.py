"""The analyzer's baseline: a plain backtest whose get_signal answers are recorded."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..backtest.facade import Backtest
from ..core.config import get_config
from ..workers.payload import collect_spec
from .decisions import Decision

__all__ = ["opened_decisions"]


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def _recorder(fn: Callable[..., Any], into: dict[int, Decision]) -> Callable[..., Any]:
    """`fn`, keeping what it answered when it answered (None opens nothing, an error neither)."""
    if inspect.iscoroutinefunction(fn):

        async def record_async(symbol: str, when: datetime) -> Any:
            answer = await fn(symbol, when)
            if answer is not None:
                into[_ms(when)] = Decision.of(_ms(when), answer)
            return answer

        return record_async

    def record(symbol: str, when: datetime) -> Any:
        answer = fn(symbol, when)
        if answer is not None:
            into[_ms(when)] = Decision.of(_ms(when), answer)
        return answer

    return record


def opened_decisions(
    symbol: str, strategy: str, exchange: str, frame: str, profile: str
) -> list[Decision]:
    """Backtest `strategy` under `profile` in an engine of its own (the caller's schemas,
    config and reports stay untouched); the decisions that opened (or scheduled) a signal, in
    time order."""
    config = dataclasses.replace(get_config(), CC_LOOKAHEAD_PROFILE=profile)
    spec = collect_spec(symbol, [strategy], exchange, frame, config=config)
    answers: dict[int, Decision] = {}
    watched = dataclasses.replace(
        spec.strategies[0], get_signal=_recorder(spec.strategies[0].get_signal, answers)
    )
    with dataclasses.replace(spec, strategies=(watched,)).engine():
        results = Backtest.run_sync(symbol, strategy=strategy, exchange=exchange, frame=frame)
    times = sorted({r.signal.scheduled_at for r in results if r.signal is not None})
    return [answers[t] for t in times if t in answers]
