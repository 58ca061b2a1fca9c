"""MinuteTicker: the Live clock (SPEC 11.1). Tick at now(), yield transitions, sleep TICK_TTL."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncGenerator, AsyncIterator

import structlog

from backtestkit.bus import PerformanceEvent, TickResult

from ..broker import BrokerActor
from ..signal.strategy import SignalStateMachine
from .clock import Clock
from .data_watch import CandleWatch
from .live_exchange import LiveExchange
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
        stop_at: int | None = None,
        adopt: bool = False,
        broker: BrokerActor | None = None,
    ) -> None:
        self.broker = broker
        self.machine = machine
        self.adopt = adopt
        self.state = state
        self.clock = clock
        self.recorder = recorder
        self.stop_at = stop_at  # no new signal from this instant on (Live.stop semantics)
        self._last_tick: int | None = None
        exchange = machine.exchange
        self.watch = (
            CandleWatch(exchange, machine.symbol, clock.now(), machine.context.safe)
            if isinstance(exchange, LiveExchange)
            else None
        )

    def stop(self) -> None:
        """No new signal from now on; an open position is monitored until it closes (Q7)."""
        self.machine.stop()
        self.state.save_openings(None)  # the dropped scheduled slot is written now

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
        async for refused in self._settle():
            yield refused
        ticks = 0
        while True:
            ticks += 1
            if ticks % WARNING_SUMMARY_TICKS == 0:
                machine.warnings.flush()
            when = clock.now()
            if self._ends_before(when):
                break
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
                async for refused in self._settle():
                    yield refused
                if not await self._pause(when):
                    break
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
                async for refused in self._settle():  # orders for what is now on disk
                    yield refused
                if machine.stopped and machine.pending is None and machine.scheduled is None:
                    break
                if not await self._pause(when):
                    break
                continue
            assert result is not None
            try:
                yield result  # Q18: opened, closed and cancelled
            finally:
                state.save_closings()  # the consumer has the result: clear the slots on disk
            async for refused in self._settle():
                yield refused
            if machine.stopped and machine.pending is None:
                break  # decision Q7: a stopped instance ends once its position has closed
            if not await self._pause(when):
                break

    def _ends_before(self, when: int) -> bool:
        """Before the tick at `when`: past `stop_at` with nothing open, or past a replay's data
        (an open position stays on disk), the run ends without ticking."""
        machine = self.machine
        if self.stop_at is not None and when >= self.stop_at and not machine.stopped:
            self.stop()
            _log.info("live_stop_reached", symbol=machine.symbol, strategy=machine.schema.name)
            if machine.pending is None:
                return True
        watch = self.watch
        if watch is not None and watch.past_data(when):
            pending = machine.pending
            _log.info(
                "replay_ended",
                symbol=machine.symbol,
                strategy=machine.schema.name,
                last_candle=watch.data_end,
                open_signal=None if pending is None else pending.id,
            )
            return True
        return False

    async def _pause(self, when: int) -> bool:
        """After the tick at `when`: a feed that stopped is an error; a next tick that would
        end the run ends it now (False: a replay's clock stays at its last tick); else sleep."""
        if self.watch is not None:
            self.watch.check(when, self.machine.pending)
        if self._ends_before(self.clock.now() + TICK_TTL_MS):
            return False
        await self.clock.sleep(TICK_TTL_MS)
        return True

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
