"""FrameReplayer: the Backtest clock (SPEC 6.2-6.3). Ticks frames, fast-forwards open signals.

Idle frames the throttle would skip anyway are jumped arithmetically when nobody watches idle
results, progress is published at most ~200 times, and nothing is built that no one consumes.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator

import structlog

from backtestkit.bus import BacktestProgress, MetricType, PerformanceEvent, TickResult

from ..market.candles import Candles
from ..signal.strategy import SignalStateMachine
from .fast_forward import fast_forward, fast_forward_now
from .frames import FrameTimeline

__all__ = ["PROGRESS_EVENTS", "FrameReplayer", "publish_progress"]

_log = structlog.get_logger("backtestkit.backtest")
PROGRESS_EVENTS = 200


def publish_progress(machine: SignalStateMachine, total: int, processed: int) -> None:
    """A `progress_backtest` event for the machine's run, when someone listens."""
    topic = machine.bus.progress_backtest
    if topic.has_listeners:
        topic.publish(
            BacktestProgress(
                exchange_name=machine.exchange.name,
                strategy_name=machine.schema.name,
                symbol=machine.symbol,
                total_frames=total,
                processed_frames=processed,
                progress=processed / total if total else 1.0,
            )
        )


class FrameReplayer:
    """Drives one state machine over a frame timeline; yields fast-forward results."""

    def __init__(self, machine: SignalStateMachine, frames: FrameTimeline) -> None:
        self.machine = machine
        self.frames = frames
        self._last_perf: int | None = None

    def _progress(self, processed: int) -> None:
        publish_progress(self.machine, len(self.frames), processed)

    def _performance(self, metric: MetricType, started: float) -> None:
        topic = self.machine.bus.performance
        if not topic.has_listeners:
            return
        now = int(time.time() * 1000)
        topic.publish(
            PerformanceEvent(
                timestamp=now,
                previous_timestamp=self._last_perf,
                metric_type=metric,
                duration=(time.perf_counter() - started) * 1000,
                strategy_name=self.machine.schema.name,
                exchange_name=self.machine.exchange.name,
                symbol=self.machine.symbol,
                backtest=True,
            )
        )
        self._last_perf = now

    def run(self) -> AsyncIterator[TickResult]:
        return self._replay()

    async def _replay(self) -> AsyncGenerator[TickResult, None]:
        machine = self.machine
        frames = self.frames
        start, step, total = frames.start_ms, frames.step_ms, len(frames)
        timed = machine.bus.performance  # `_performance` is called only while it has listeners
        every = max(1, total // PROGRESS_EVENTS)
        next_progress = 0
        run_started = time.perf_counter()
        i = 0
        try:
            while i < total:
                if i >= next_progress:
                    self._progress(i)
                    next_progress = (i // every + 1) * every
                if machine.stopped and machine.pending is None:
                    break
                quiet_until = machine.scan_quiet(start, step, i, min(next_progress, total))
                if quiet_until != i:
                    i = quiet_until  # before `next_progress`: a kept answer's tick comes now
                    if machine.stopped or not machine.has_answer(start + i * step):
                        continue
                when = start + i * step
                frame_started = time.perf_counter() if timed.has_listeners else 0.0
                try:
                    held = machine.take_kept(when)
                    result = await machine.tick(when) if held is None else None
                except Exception as exc:
                    await machine.report_failure(_log, "tick_failed", when, exc)
                    i += 1
                    continue
                if held is not None:
                    pass  # a kept signal opened or scheduled: fast-forward it
                elif result is None or result.action == "idle":
                    if machine.stopped and machine.pending is None:
                        break
                    if timed.has_listeners:
                        self._performance("backtest_timeframe", frame_started)
                    i += 1
                    continue
                elif result.action not in ("scheduled", "opened"):
                    if timed.has_listeners:
                        self._performance("backtest_timeframe", frame_started)
                    i += 1
                    if result.action in ("closed", "cancelled"):
                        # a signal whose fast-forward failed is closed by a later tick: it is a
                        # result like any other (what the bus published, the run yields)
                        yield result
                        if machine.stopped and machine.pending is None:
                            break
                    continue
                try:
                    window = machine.forward_window(when)
                    candles = window if isinstance(window, Candles) else await window
                except Exception as exc:
                    await machine.report_failure(_log, "forward_fetch_failed", when, exc)
                    i += 1
                    continue
                if len(candles) == 0:
                    i += 1
                    continue
                try:
                    outcome = fast_forward_now(machine, candles)
                    if outcome is None:
                        outcome = await fast_forward(machine, candles)
                except Exception as exc:
                    await machine.report_failure(_log, "fast_forward_failed", when, exc)
                    i += 1
                    continue
                if timed.has_listeners:
                    self._performance("backtest_signal", frame_started)
                close_timestamp = getattr(outcome, "close_timestamp", None)
                if close_timestamp is not None:  # on to the first frame at or after the close
                    i = max(i, min(total, -((start - close_timestamp) // step)))
                yield outcome
                machine.context.when = when
                if machine.stopped and machine.pending is None:
                    break
                if timed.has_listeners:
                    self._performance("backtest_timeframe", frame_started)
                i += 1
                next_progress = min(next_progress, (i // every + 1) * every)
            self._progress(total)
            self._performance("backtest_total", run_started)
        finally:
            machine.warnings.flush()  # one line per repeated warning, however it ends
