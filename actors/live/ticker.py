"""MinuteTicker: the Live clock (SPEC 11.1). Tick at now(), yield transitions, sleep TICK_TTL."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncGenerator, AsyncIterator

import structlog

from backtestkit.bus import PerformanceEvent, TickResult

from ..broker import BrokerActor
from ..core.strategy import SignalStateMachine
from .clock import Clock
from .persistence import CorruptStateError
from .recording import RecordingWriter
from .state import LiveState

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
        broker: BrokerActor | None = None,
    ) -> None:
        self.broker = broker
        self.machine = machine
        self.state = state
        self.clock = clock
        self.recorder = recorder
        self._last_tick: int | None = None

    async def restore(self) -> None:
        """SPEC 11.3 restore, before the first tick: adopt persisted slots, reconcile books."""
        machine, state = self.machine, self.state
        try:
            pending, scheduled, errors = state.read_slots()
        except CorruptStateError as exc:  # a risk book or partial levels file
            pending, scheduled, errors = None, None, [exc]
        for error in errors:
            _log.error("state_file_quarantined", error=str(error))
            await machine.refuse(error)
        when = self.clock.now()
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
        return self.machine.warnings.flushed_after(results)

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
        async for refused in self._settle():
            yield refused
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
                async for refused in self._pause():
                    yield refused
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
                    async for refused in self._settle():  # the last exit goes out before the end
                        yield refused
                    break
                async for refused in self._pause():
                    yield refused
                continue
            assert result is not None
            try:
                yield result  # Q18: opened, closed and cancelled
            finally:
                state.save_closings()  # the consumer has the result: clear the slots on disk
            if machine.stopped and machine.pending is None:
                async for refused in self._settle():
                    yield refused
                break  # decision Q7: a stopped instance ends once its position has closed
            async for refused in self._pause():
                yield refused

    async def _pause(self) -> AsyncGenerator[TickResult, None]:
        """Between two ticks: the broker settles what this tick persisted, then the sleep."""
        async for refused in self._settle():
            yield refused
        await self.clock.sleep(TICK_TTL_MS)

    async def _settle(self) -> AsyncGenerator[TickResult, None]:
        """Orders for the persisted state; a refused entry closes its signal (yielded, then
        its cleared slot persisted like any close)."""
        broker, machine = self.broker, self.machine
        if broker is None:
            return
        when = self.clock.now()
        refused = await broker.settle(machine.pending, when)
        if self.recorder is not None:
            for request, report in broker.take_fills():
                self.recorder.fill(request, report)
        row = machine.pending
        if refused is None or row is None or row.id != refused.signal_id:
            if self.recorder is not None:
                self.recorder.flush()
            return
        noted = dataclasses.replace(
            row, note=f"order rejected ({refused.reason}): {refused.message}"
        )
        result = await machine.abandon(noted, "order_rejected", when)
        self._record(result, 0)
        try:
            yield result
        finally:
            self.state.save_closings()

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
