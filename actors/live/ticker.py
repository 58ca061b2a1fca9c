"""MinuteTicker: the Live clock (SPEC 11.1). Tick at now(), yield transitions, sleep TICK_TTL."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator

import structlog

from backtestkit.bus import PerformanceEvent, TickResult

from ..core.strategy import SignalStateMachine
from .clock import Clock
from .persistence import CorruptStateError
from .recording import RecordingWriter
from .restore_checks import ForeignStateError
from .state import LiveState
from .state_lock import hold_state_dir

__all__ = ["TICK_TTL_MS", "MinuteTicker"]

TICK_TTL_MS = 60_001
WARNING_SUMMARY_TICKS = 60  # repeated warnings are summed up once an hour of ticks
RECORDING_SYNC_TICKS = 60  # idle minutes of the recording are fsync'd at least hourly
_TRANSITIONS = ("opened", "closed", "cancelled")
_log = structlog.get_logger("backtestkit.live")


class MinuteTicker:
    """Runs one live state machine forever (until stopped); yields opened/closed/cancelled."""

    def __init__(
        self,
        machine: SignalStateMachine,
        state: LiveState,
        clock: Clock,
        *,
        recorder: RecordingWriter | None = None,
        adopt: bool = False,
    ) -> None:
        self.machine = machine
        self.adopt = adopt
        self.state = state
        self.clock = clock
        self.recorder = recorder
        self._last_tick: int | None = None

    async def restore(self) -> None:
        """SPEC 11.3 restore, before the first tick: adopt persisted slots, reconcile books."""
        machine, state = self.machine, self.state
        when = self.clock.now()
        try:
            pending, scheduled, errors = state.read_slots(when, adopt=self.adopt)
        except CorruptStateError as exc:  # a risk book or partial levels file
            pending, scheduled, errors = None, None, [exc]
        except ForeignStateError as exc:
            _log.error("state_row_foreign", error=str(exc))
            raise
        for error in errors:
            _log.error("state_file_quarantined", error=str(error))
            await machine.refuse(error)
        await machine.adopt(pending, scheduled, when)
        if pending is not None:
            _log.info("position_restored", signal=pending.id, symbol=machine.symbol)
        if scheduled is not None:
            _log.info("scheduled_restored", signal=scheduled.id, symbol=machine.symbol)
        try:
            state.reconcile(pending)
        except CorruptStateError as exc:
            await machine.refuse(exc)
        if self.recorder is not None:
            self.recorder.run_started(
                symbol=machine.symbol,
                strategy=machine.schema.name,
                exchange=machine.exchange.name,
                when=when,
                pending=machine.pending,
                scheduled=machine.scheduled,
            )

    def run(self) -> AsyncIterator[TickResult]:
        results = self._tick_forever()
        if self.recorder is not None:
            results = self._recorded(results)
        return self._locked(self.machine.warnings.flushed_after(results))

    async def _locked(self, results: AsyncIterator[TickResult]) -> AsyncGenerator[TickResult, None]:
        """The state dir is this process's from before the restore until the last write."""
        machine = self.machine
        lock = hold_state_dir(
            self.state.store.base_dir, holder=f"live {machine.symbol}/{machine.schema.name}"
        )
        try:
            async for result in results:
                yield result
        finally:
            closing = getattr(results, "aclose", None)
            if closing is not None:
                await closing()
            lock.release()

    async def _recorded(
        self, results: AsyncGenerator[TickResult, None]
    ) -> AsyncGenerator[TickResult, None]:
        try:
            async for result in results:
                yield result
        finally:
            await results.aclose()
            if self.recorder is not None:
                self.recorder.close()

    def _record(self, result: TickResult | None, ticks: int) -> None:
        """The tick's records go out at its end; fsync'd before a transition is persisted or
        yielded (or partial levels saved), and hourly for idle minutes."""
        recorder = self.recorder
        if recorder is None:
            return
        action = None if result is None else result.action
        if action in _TRANSITIONS:
            assert result is not None
            recorder.signal(result)
        if (
            action not in (None, "idle", "active")
            or self.machine.partial.changed
            or ticks % RECORDING_SYNC_TICKS == 0
        ):
            recorder.commit()
        else:
            recorder.flush()

    async def _tick_forever(self) -> AsyncGenerator[TickResult, None]:
        machine, state, clock = self.machine, self.state, self.clock
        await self.restore()
        ticks = 0
        while True:
            ticks += 1
            if ticks % WARNING_SUMMARY_TICKS == 0:
                machine.warnings.flush()
            when = clock.now()
            started = time.perf_counter()
            if self.recorder is not None:
                self.recorder.tick(when)
            try:
                result = await machine.tick(when)
            except Exception as exc:
                await machine.report_failure(_log, "tick_failed", when, exc)
                if self.recorder is not None:
                    self.recorder.commit()
                state.save_openings(None)
                state.save_closings()
                await clock.sleep(TICK_TTL_MS)
                continue
            action = None if result is None else result.action
            self._record(result, ticks)
            state.save_openings(action)
            if result is not None and action not in ("idle", "active"):
                _log.info(
                    "signal_" + result.action,
                    symbol=machine.symbol,
                    strategy=machine.schema.name,
                    signal=None if result.signal is None else result.signal.id,
                    price=result.current_price,
                )
            self._performance(when, started)
            if action not in ("opened", "closed", "cancelled"):
                state.save_closings()
                if machine.stopped and machine.pending is None and machine.scheduled is None:
                    break
                await clock.sleep(TICK_TTL_MS)
                continue
            assert result is not None
            try:
                yield result  # Q18: opened, closed and cancelled
            finally:
                state.save_closings()  # the consumer has the result: clear the slots on disk
            if machine.stopped and machine.pending is None:
                break  # decision Q7: a stopped instance ends once its position has closed
            await clock.sleep(TICK_TTL_MS)

    def _performance(self, when: int, started: float) -> None:
        topic = self.machine.bus.performance
        if not topic.has_listeners:
            return
        topic.publish(
            PerformanceEvent(
                timestamp=when,
                previous_timestamp=self._last_tick,
                metric_type="live_tick",
                duration=(time.perf_counter() - started) * 1000,
                strategy_name=self.machine.schema.name,
                exchange_name=self.machine.exchange.name,
                symbol=self.machine.symbol,
                backtest=False,
            )
        )
        self._last_tick = when
