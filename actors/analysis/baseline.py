"""The analyzer's baseline: a plain backtest whose get_signal answers are recorded."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ..backtest.facade import Backtest
from ..core.config import get_config, set_config
from ..core.registry import registry
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


@contextmanager
def _profile(name: str) -> Iterator[None]:
    previous = get_config()
    set_config(unsafe=True, CC_LOOKAHEAD_PROFILE=name)  # the rest as the user set it
    try:
        yield
    finally:
        set_config(unsafe=True, **dataclasses.asdict(previous))


def opened_decisions(
    symbol: str, strategy: str, exchange: str, frame: str, profile: str
) -> list[Decision]:
    """Backtest `strategy` under `profile`; the decisions that opened (or scheduled) a signal,
    in time order. The registered schema and the config are restored afterwards."""
    schema = registry.strategy(strategy)
    answers: dict[int, Decision] = {}
    registry.strategies[strategy] = dataclasses.replace(
        schema, get_signal=_recorder(schema.get_signal, answers)
    )
    try:
        with _profile(profile):
            results = Backtest.run_sync(symbol, strategy=strategy, exchange=exchange, frame=frame)
    finally:
        registry.strategies[strategy] = schema
    times = sorted({r.signal.scheduled_at for r in results if r.signal is not None})
    return [answers[t] for t in times if t in answers]
