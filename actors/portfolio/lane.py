"""One symbol's way through a portfolio run: the Backtest replayer's steps, cut into events.

A lane does what `FrameReplayer` does for its state machine, but an outcome the fast-forward
decides is applied at its own minute rather than at once: an opened signal's close waits in
the lane until the portfolio clock reaches the close minute, a scheduled signal's entry or
cancellation until its minute. So every other symbol sees the position open exactly during
[open, close), and its entry check sees exactly the positions open at that minute.
"""

from __future__ import annotations

from typing import Final

import structlog

from backtestkit.bus import SignalRow, TickResult

from ..backtest.fast_forward import outcome_of
from ..backtest.frames import FrameTimeline
from ..backtest.replayer import PROGRESS_EVENTS, publish_progress
from ..market.candles import Candles
from ..signal.outcomes import Cancel, Close, Entry, Outcome
from ..signal.strategy import SignalStateMachine

__all__ = ["CLOSE", "DONE", "ENTER", "SymbolLane"]

_log = structlog.get_logger("backtestkit.portfolio")

CLOSE: Final = 0  # at one minute closes and cancellations come first: the slot is free again
ENTER: Final = 1  # then ticks and entries, in the order the symbols were given
DONE: Final = -1


class SymbolLane:
    """Steps one state machine; `at` / `phase` say when its next event is due."""

    __slots__ = (
        "at",
        "deferred",
        "every",
        "frames",
        "i",
        "machine",
        "next_progress",
        "order",
        "phase",
        "ticked",
    )

    def __init__(self, machine: SignalStateMachine, frames: FrameTimeline, order: int) -> None:
        self.machine = machine
        self.frames = frames
        self.order = order
        self.i = 0
        self.deferred: Outcome | None = None
        self.ticked = 0  # the tick that decided the deferred outcome
        self.at = frames.start_ms
        self.phase = ENTER if len(frames) else DONE
        self.every = max(1, len(frames) // PROGRESS_EVENTS)
        self.next_progress = 0

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.at, self.phase, self.order)

    def _next_tick(self) -> None:
        machine = self.machine
        if self.i >= self.next_progress:  # about PROGRESS_EVENTS events a run, as the replayer
            publish_progress(machine, len(self.frames), min(self.i, len(self.frames)))
            self.next_progress = (self.i // self.every + 1) * self.every
        if self.i >= len(self.frames) or (machine.stopped and machine.pending is None):
            if self.i < len(self.frames):
                publish_progress(machine, len(self.frames), len(self.frames))
            self.phase = DONE
            return
        self.at = self.frames.start_ms + self.i * self.frames.step_ms
        self.phase = ENTER

    def _defer(self, outcome: Outcome, at: int, phase: int) -> None:
        self.deferred = outcome
        self.at = at
        self.phase = phase

    async def step(self) -> list[TickResult]:
        """Run the due event; returns what Backtest.run would yield for it (the outcomes)."""
        outcome = self.deferred
        if outcome is not None:
            self.deferred = None
            return await self._apply(outcome)
        return await self._tick()

    async def _tick(self) -> list[TickResult]:
        machine, frames = self.machine, self.frames
        start, step, total = frames.start_ms, frames.step_ms, len(frames)
        quiet_until = machine.scan_quiet(start, step, self.i, total)
        if quiet_until != self.i:  # get_signal answered None all along: nothing happened
            self.i = quiet_until
            self._next_tick()
            return []
        when = start + self.i * step
        try:
            result = await machine.tick(when)
        except Exception as exc:
            await machine.report_failure(_log, "tick_failed", when, exc)
            return self._advance([])
        if result is None or result.action not in ("scheduled", "opened"):
            return self._advance([])
        try:
            window = machine.forward_window(when)
            candles = window if isinstance(window, Candles) else await window
        except Exception as exc:
            await machine.report_failure(_log, "forward_fetch_failed", when, exc)
            return self._advance([])
        if len(candles) == 0:
            return self._advance([])
        try:
            outcome = outcome_of(machine, candles)
        except Exception as exc:
            await machine.report_failure(_log, "fast_forward_failed", when, exc)
            return self._advance([])
        self.ticked = when
        if isinstance(outcome, Close | Cancel):
            self._defer(outcome, outcome.at, CLOSE)
        elif isinstance(outcome, Entry):
            self._defer(outcome, outcome.at, ENTER)
        else:  # Waiting: the signal stays scheduled, the lane ticks on
            return await self._finish(await machine.settle(outcome))
        return []

    async def _apply(self, outcome: Outcome) -> list[TickResult]:
        machine = self.machine
        try:
            if isinstance(outcome, Entry):
                entered = await machine.enter(outcome)
                if not isinstance(entered, SignalRow):
                    return await self._finish(entered)
                assert outcome.then is not None
                close = outcome.then(entered)  # applied later, at its minute
                self._defer(close, close.at, CLOSE)
                return []
            return await self._finish(await machine.settle(outcome))
        except Exception as exc:
            await machine.report_failure(_log, "fast_forward_failed", self.ticked, exc)
            return self._advance([])

    async def _finish(self, result: TickResult) -> list[TickResult]:
        """After an outcome, as the replayer: on past its close, then one frame further."""
        close_timestamp = getattr(result, "close_timestamp", None)
        if close_timestamp is not None:
            self.i = max(self.i, self.frames.index_at_or_after(close_timestamp))
        self.machine.context.when = self.ticked
        return self._advance([result])

    def _advance(self, results: list[TickResult]) -> list[TickResult]:
        self.i += 1
        self._next_tick()
        return results
