"""`listen_X(fn, where=None)` / `listen_X_once(where, fn)` helpers on the current bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from .hub import Bus, current_bus
from .topic import Listener, Predicate, Topic, Unsubscribe

T = TypeVar("T")


class _Listen(Generic[T]):
    """Subscribe to one topic of the current bus."""

    __slots__ = ("_pick",)

    def __init__(self, pick: Callable[[Bus], Topic[T]]) -> None:
        self._pick = pick

    def __call__(self, fn: Listener[T], where: Predicate[T] | None = None) -> Unsubscribe:
        return self._pick(current_bus()).subscribe(fn, where)


class _ListenOnce(Generic[T]):
    """Deliver the first matching event of one topic of the current bus, then unsubscribe."""

    __slots__ = ("_pick",)

    def __init__(self, pick: Callable[[Bus], Topic[T]]) -> None:
        self._pick = pick

    def __call__(self, where: Predicate[T], fn: Listener[T]) -> Unsubscribe:
        return self._pick(current_bus()).subscribe_once(where, fn)


listen_signal = _Listen(lambda b: b.signal)
listen_signal_once = _ListenOnce(lambda b: b.signal)
listen_signal_backtest = _Listen(lambda b: b.signal_backtest)
listen_signal_backtest_once = _ListenOnce(lambda b: b.signal_backtest)
listen_signal_live = _Listen(lambda b: b.signal_live)
listen_signal_live_once = _ListenOnce(lambda b: b.signal_live)
listen_error = _Listen(lambda b: b.error)
listen_error_once = _ListenOnce(lambda b: b.error)
listen_exit = _Listen(lambda b: b.exit)
listen_exit_once = _ListenOnce(lambda b: b.exit)
listen_validation = _Listen(lambda b: b.validation)
listen_validation_once = _ListenOnce(lambda b: b.validation)
listen_done_backtest = _Listen(lambda b: b.done_backtest)
listen_done_backtest_once = _ListenOnce(lambda b: b.done_backtest)
listen_done_live = _Listen(lambda b: b.done_live)
listen_done_live_once = _ListenOnce(lambda b: b.done_live)
listen_done_walker = _Listen(lambda b: b.done_walker)
listen_done_walker_once = _ListenOnce(lambda b: b.done_walker)
listen_progress_backtest = _Listen(lambda b: b.progress_backtest)
listen_progress_backtest_once = _ListenOnce(lambda b: b.progress_backtest)
listen_progress_walker = _Listen(lambda b: b.progress_walker)
listen_progress_walker_once = _ListenOnce(lambda b: b.progress_walker)
listen_walker = _Listen(lambda b: b.walker)
listen_walker_once = _ListenOnce(lambda b: b.walker)
listen_walker_complete = _Listen(lambda b: b.walker_complete)
listen_walker_complete_once = _ListenOnce(lambda b: b.walker_complete)
listen_performance = _Listen(lambda b: b.performance)
listen_performance_once = _ListenOnce(lambda b: b.performance)
listen_partial_profit = _Listen(lambda b: b.partial_profit)
listen_partial_profit_once = _ListenOnce(lambda b: b.partial_profit)
listen_partial_loss = _Listen(lambda b: b.partial_loss)
listen_partial_loss_once = _ListenOnce(lambda b: b.partial_loss)
listen_transition = _Listen(lambda b: b.transition)
listen_transition_once = _ListenOnce(lambda b: b.transition)
listen_risk = _Listen(lambda b: b.risk)
listen_risk_once = _ListenOnce(lambda b: b.risk)

__all__ = [
    "listen_done_backtest",
    "listen_done_backtest_once",
    "listen_done_live",
    "listen_done_live_once",
    "listen_done_walker",
    "listen_done_walker_once",
    "listen_error",
    "listen_error_once",
    "listen_exit",
    "listen_exit_once",
    "listen_partial_loss",
    "listen_partial_loss_once",
    "listen_partial_profit",
    "listen_partial_profit_once",
    "listen_performance",
    "listen_performance_once",
    "listen_progress_backtest",
    "listen_progress_backtest_once",
    "listen_progress_walker",
    "listen_progress_walker_once",
    "listen_risk",
    "listen_risk_once",
    "listen_signal",
    "listen_signal_backtest",
    "listen_signal_backtest_once",
    "listen_signal_live",
    "listen_signal_live_once",
    "listen_signal_once",
    "listen_transition",
    "listen_transition_once",
    "listen_validation",
    "listen_validation_once",
    "listen_walker",
    "listen_walker_complete",
    "listen_walker_complete_once",
    "listen_walker_once",
]
