"""Strategy actor: the per-(symbol, strategy) signal state machine of SPEC 3-5, both modes."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from datetime import UTC, datetime
from types import CoroutineType
from typing import Any

import anyio
import structlog

from backtestkit.bus import (
    Active,
    Bus,
    Cancelled,
    Closed,
    CloseReason,
    Idle,
    Opened,
    Scheduled,
    SignalRow,
    TickResult,
)

from ..market.intervals import MINUTE_MS, STRATEGY_INTERVALS
from .config import get_config
from .context import ExecutionContext
from .eager import Suspended, in_asyncio_task, run_eagerly, settle_callback
from .exchange import ExchangeActor
from .partial import PartialTracker
from .pnl import pnl
from .risk import RiskGate
from .schemas import StrategySchema
from .signal import Signal, as_signal, sanitize_note
from .validation import validate_signal
from .warning_tally import WarningTally

__all__ = ["SignalStateMachine", "signal_id"]

_log = structlog.get_logger("backtestkit.strategy")


def signal_id(symbol: str, strategy_name: str, when: int) -> str:
    """Deterministic id for a signal without one (runs stay byte-identical): one signal at
    most starts per (strategy, symbol, minute)."""
    return f"{strategy_name}:{symbol}:{when}"


class SignalStateMachine:
    """Holds at most one pending and one scheduled signal for one (symbol, strategy)."""

    def __init__(
        self,
        *,
        schema: StrategySchema,
        symbol: str,
        exchange: ExchangeActor,
        bus: Bus,
        backtest: bool,
        context: ExecutionContext,
        risk: RiskGate | None = None,
    ) -> None:
        self.schema = schema
        self.symbol = symbol
        self.exchange = exchange
        self.bus = bus
        self.backtest = backtest
        self.context = context
        self.risk = risk
        self.build_idle = not backtest  # live statistics record idle ticks
        self.refusal: str | None = None  # why no new position may open (quarantined state)
        self.callbacks = schema.callbacks
        self.partial = PartialTracker(bus, schema.callbacks, backtest)
        self.pending: SignalRow | None = None
        self.scheduled: SignalRow | None = None
        self.last_signal_at: int | None = None
        self.stopped = False
        self.warnings = WarningTally()  # the run's repeated warnings, logged once and counted
        self.throttle_ms = STRATEGY_INTERVALS[schema.interval] * MINUTE_MS
        self._get_signal = schema.get_signal
        self._async_get_signal = inspect.iscoroutinefunction(schema.get_signal)
        self._eager: bool | None = None  # coroutines run eagerly (asyncio); known at first call
        self._mode_topic = bus.signal_backtest if backtest else bus.signal_live
        self._priced_from, self._priced_until = exchange.priced_span(symbol)
        self._asked: tuple[int, Any] | None = None
        self._identity: dict[str, Any] = {  # the fields every result of this machine carries
            "symbol": symbol,
            "strategy_name": schema.name,
            "exchange_name": exchange.name,
            "backtest": backtest,
        }
        callbacks = schema.callbacks
        self._idle_callbacks = callbacks is not None and (
            callbacks.on_idle is not None or callbacks.on_tick is not None
        )

    # -- what consumers want -----------------------------------------------------------------

    @property
    def wants_idle(self) -> bool:
        """An idle result is built only when a callback or a listener will see it."""
        return (
            self.build_idle
            or self._idle_callbacks
            or self._mode_topic.has_listeners
            or self.bus.signal.has_listeners
        )

    def stop(self) -> None:
        """No new signal from now on; a waiting scheduled signal is dropped."""
        self.stopped = True
        if self.scheduled is not None:
            self.scheduled = None

    # -- one tick (SPEC 3.2) -------------------------------------------------------------------

    async def tick(self, when: int) -> TickResult | None:
        """Advance to `when`; returns the result, or None for an idle result nobody wants."""
        self.context.when = when
        if self.pending is not None:
            return await self._monitor_pending(when)
        if self.scheduled is not None:
            return await self._watch_scheduled(self.scheduled, when)
        if self.stopped:
            return await self._idle(when)
        row = await self._request_signal(when)
        if row is None:
            if self._priced_from <= when <= self._priced_until and not self.wants_idle:
                return None
            return await self._idle(when)
        if row.is_scheduled:
            self._set_scheduled(row)
            price = await self.price(when)
            self.callback("on_schedule", self.symbol, row, price, self.backtest)
            return await self._publish(self._scheduled(row, price))
        self._set_pending(row)
        if not await self._risk_allows(row, row.price_open, when):
            self._set_pending(None)
            return await self._idle(when)
        return await self._publish(self._open(row))

    async def price(self, when: int) -> float:
        price = self.exchange.average_price(self.symbol, when)
        if isinstance(price, float):
            return price
        return await price

    async def _idle(self, when: int) -> Idle | None:
        if not self.wants_idle:
            if self._priced_from <= when <= self._priced_until or (
                self.exchange.is_table_backed and self.exchange.has_candles_at(self.symbol, when)
            ):
                return None
            await self.price(when)  # raises exactly where the reference's idle VWAP would
            return None
        price = await self.price(when)
        self.callback("on_idle", self.symbol, price, self.backtest)
        result = Idle(
            **self._identity,
            current_price=price,
        )
        await self._publish(result)
        return result

    async def _watch_scheduled(self, row: SignalRow, when: int) -> TickResult | None:
        price = await self.price(when)
        config = get_config()
        if when - row.scheduled_at >= config.CC_SCHEDULE_AWAIT_MINUTES * MINUTE_MS:
            self._set_scheduled(None)
            self.callback("on_cancel", self.symbol, row, price, self.backtest)
            return await self._publish(self.cancelled_result(row, price, when))
        long = row.position == "long"
        beyond_sl = price <= row.price_stop_loss if long else price >= row.price_stop_loss
        reached = price <= row.price_open if long else price >= row.price_open
        if beyond_sl:
            self._set_scheduled(None)
            result = Idle(
                **self._identity,
                current_price=price,
            )
            return await self._publish(result)  # Q5: idle, without on_cancel / on_idle
        if not reached:
            return await self._publish(self.active_result(row, price, 0.0, 0.0))
        self._set_scheduled(None)
        if self.stopped or not await self._risk_allows(row, row.price_open, when):
            return await self._idle(when)
        opened = dataclasses.replace(row, pending_at=when, is_scheduled=False)
        self._set_pending(opened)
        return await self._publish(self._open(opened))

    async def _monitor_pending(self, when: int) -> TickResult | None:
        row = self.pending
        assert row is not None
        price = await self.price(when)
        long = row.position == "long"
        if when - row.pending_at >= row.minute_estimated_time * MINUTE_MS:
            return await self._publish(await self.close(row, "time_expired", price, when))
        if (price >= row.price_take_profit) if long else (price <= row.price_take_profit):
            return await self._publish(
                await self.close(row, "take_profit", row.price_take_profit, when)
            )
        if (price <= row.price_stop_loss) if long else (price >= row.price_stop_loss):
            return await self._publish(
                await self.close(row, "stop_loss", row.price_stop_loss, when)
            )
        percent_tp, percent_sl = await self.partial.update(row, price, when)
        return await self._publish(self.active_result(row, price, percent_tp, percent_sl))

    # -- getSignal procedure (SPEC 5) ----------------------------------------------------------

    def scan_quiet(self, start: int, step: int, i: int, stop: int) -> int:
        """Runs the frames start + k * step, k in [i, stop), that are idle ticks nobody watches:
        get_signal is asked on each frame the throttle lets through, the others are jumped.
        Returns the first frame index that needs a full `tick()` (what get_signal answered there
        is kept for it), or `stop`."""
        if (
            self.pending is not None
            or self.scheduled is not None
            or self.stopped
            or self.refusal is not None
            or self._asked is not None
            or (self._async_get_signal and not self._runs_eagerly())
            or self.wants_idle
        ):
            return i
        first_priced = -((start - self._priced_from) // step)  # frames outside need a full tick
        if i < first_priced:
            return i
        stop = min(stop, (self._priced_until - start) // step + 1)
        if stop <= i:
            return i
        get_signal, symbol, context, throttle = (
            self._get_signal,
            self.symbol,
            self.context,
            self.throttle_ms,
        )
        eager = self._async_get_signal
        mode_topic, signal_topic = self._mode_topic, self.bus.signal
        while i < stop:
            when = start + i * step
            last = self.last_signal_at
            if last is not None and when - last < throttle:
                eligible = (last + throttle - start + step - 1) // step
                i = eligible if eligible > i else i + 1
                continue
            self.last_signal_at = when
            context.when = when
            try:
                dto = get_signal(symbol, datetime.fromtimestamp(when / 1000, UTC))
                if eager and type(dto) is CoroutineType:
                    try:  # run_eagerly, inlined: this runs on every frame of an async strategy
                        dto = Suspended(dto, dto.send(None))
                    except StopIteration as done:
                        dto = done.value
                elif dto is not None and type(dto) is not Signal and inspect.isawaitable(dto):
                    dto = run_eagerly(dto)
            except Exception as exc:
                self._asked = (when, exc)
                return i
            if dto:
                self._asked = (when, dto)  # a Suspended coroutine is finished by tick()
                return i
            i += 1
            if self.stopped or mode_topic.has_listeners or signal_topic.has_listeners:
                return i  # get_signal stopped the run or subscribed a listener
        return min(i, stop)  # the last jump may overshoot

    def _runs_eagerly(self) -> bool:
        eager = self._eager
        if eager is None:
            eager = self._eager = in_asyncio_task()
        return eager

    def _ask(self, when: int) -> Any:
        """get_signal's answer; a coroutine is run eagerly and may come back `Suspended`."""
        dto = self._get_signal(self.symbol, datetime.fromtimestamp(when / 1000, UTC))
        if self._async_get_signal or (
            dto is not None and type(dto) is not Signal and inspect.isawaitable(dto)
        ):
            return run_eagerly(dto)
        return dto

    async def _request_signal(self, when: int) -> SignalRow | None:
        asked = self._asked
        if asked is not None and asked[0] == when:
            self._asked = None
            dto = asked[1]
            if type(dto) is Suspended:
                try:
                    dto = await self._finish_suspended(dto)
                except Exception as exc:
                    dto = exc
            return await self._consider(dto, when)
        if self.stopped or self.refusal is not None:
            return None
        last = self.last_signal_at
        if last is not None and when - last < self.throttle_ms:
            return None
        self.last_signal_at = when
        price: float | None = None
        try:
            if not self._priced_from <= when <= self._priced_until and not (
                self.exchange.is_table_backed and self.exchange.has_candles_at(self.symbol, when)
            ):
                price = await self.price(when)  # SPEC 5: priced before asking the strategy
            if self._async_get_signal and not self._runs_eagerly():
                dto = await self._ask_in_timeout_scope(when)
            else:
                dto = self._ask(when)
                if type(dto) is Suspended:
                    dto = await self._finish_suspended(dto)
        except Exception as exc:
            return await self._consider(exc, when, price)
        return await self._consider(dto, when, price)

    async def _consider(self, dto: Any, when: int, price: float | None = None) -> SignalRow | None:
        """Steps 5-9 of SPEC 5 on what get_signal answered (or raised); `price` is the VWAP
        taken before the call (table-backed candles cannot change, so it is taken lazily)."""
        try:
            if isinstance(dto, Exception):
                raise dto
            if not dto or self.stopped:
                return None
            signal = as_signal(dto)
            if price is None:
                price = await self.price(when)
            if not await self._risk_allows(signal, price, when):
                return None
            return self._build_row(signal, price, when)
        except Exception as exc:
            self.warnings.warning(
                _log,
                "get_signal_failed",
                strategy=self.schema.name,
                symbol=self.symbol,
                when=when,
                error=exc,
            )
            await self.report_error(exc)
            return None

    async def _finish_suspended(self, suspended: Suspended) -> Any:
        """Awaits a get_signal that really waits, under CC_MAX_SIGNAL_GENERATION_SECONDS armed
        at its first suspension (the synchronous part before it cannot be interrupted)."""
        if not self._runs_eagerly():
            return await suspended  # trio: a sync get_signal returned an awaitable, as before
        timeout = asyncio.timeout(get_config().CC_MAX_SIGNAL_GENERATION_SECONDS)
        try:
            async with timeout:
                return await suspended
        except TimeoutError:
            if timeout.expired():
                raise self._timed_out() from None
            raise

    async def _ask_in_timeout_scope(self, when: int) -> Any:
        """trio: the coroutine runs inside its timeout scope from the start, so scopes nest."""
        date = datetime.fromtimestamp(when / 1000, UTC)
        with anyio.move_on_after(get_config().CC_MAX_SIGNAL_GENERATION_SECONDS) as scope:
            return await self._get_signal(self.symbol, date)
        if scope.cancelled_caught:
            raise self._timed_out()
        return None

    def _timed_out(self) -> TimeoutError:
        return TimeoutError(f"Timeout for {self.schema.name} symbol={self.symbol}")

    def _build_row(self, signal: Signal, price: float, when: int) -> SignalRow:
        common: dict[str, Any] = {
            "id": signal.id or signal_id(self.symbol, self.schema.name, when),
            "position": signal.position,
            "price_take_profit": signal.price_take_profit,
            "price_stop_loss": signal.price_stop_loss,
            "minute_estimated_time": signal.minute_estimated_time,
            "note": sanitize_note(signal.note),
            "scheduled_at": when,
            "pending_at": when,
            "symbol": self.symbol,
            "exchange_name": self.exchange.name,
            "strategy_name": self.schema.name,
        }
        if signal.price_open is None:
            row = SignalRow(price_open=price, is_scheduled=False, **common)
            validate_signal(row, price, scheduled=False)
            return row
        long = signal.position == "long"
        now = price <= signal.price_open if long else price >= signal.price_open
        row = SignalRow(price_open=signal.price_open, is_scheduled=not now, **common)
        validate_signal(row, price, scheduled=not now)
        return row

    # -- transitions shared with fast-forward --------------------------------------------------

    async def _risk_allows(self, pending_signal: Any, current_price: float, when: int) -> bool:
        if self.risk is None:
            return True
        return await self.risk.check(
            symbol=self.symbol,
            pending_signal=pending_signal,
            strategy_name=self.schema.name,
            exchange_name=self.exchange.name,
            current_price=current_price,
            timestamp=when,
            warnings=self.warnings,
        )

    async def activate(self, row: SignalRow, when: int) -> SignalRow | None:
        """Scheduled -> pending at `when` (fast-forward); None when stop or risk refuses."""
        self._set_scheduled(None)
        if self.stopped or not await self._risk_allows(row, row.price_open, when):
            return None
        opened = dataclasses.replace(row, pending_at=when, is_scheduled=False)
        self._set_pending(opened)
        self._open(opened)
        return opened

    def _open(self, row: SignalRow) -> Opened:
        if self.risk is not None:
            self.risk.add(self.schema.name, self.symbol)
        self.callback("on_open", self.symbol, row, row.price_open, self.backtest)
        return Opened(
            **self._identity,
            current_price=row.price_open,
            signal=row,
        )

    async def close(self, row: SignalRow, reason: CloseReason, price: float, when: int) -> Closed:
        result_pnl = pnl(row.position, row.price_open, price)
        self.callback("on_close", self.symbol, row, price, self.backtest)
        self.partial.clear(row.id)
        if self.risk is not None:
            self.risk.remove(self.schema.name, self.symbol)
        self._set_pending(None)
        return Closed(
            **self._identity,
            current_price=price,
            signal=row,
            close_reason=reason,
            close_timestamp=when,
            pnl=result_pnl,
        )

    def cancel(self, row: SignalRow, price: float, when: int) -> Cancelled:
        self._set_scheduled(None)
        self.callback("on_cancel", self.symbol, row, price, self.backtest)
        return self.cancelled_result(row, price, when)

    def cancelled_result(self, row: SignalRow, price: float, when: int) -> Cancelled:
        return Cancelled(
            **self._identity,
            current_price=price,
            signal=row,
            close_timestamp=when,
        )

    def _scheduled(self, row: SignalRow, price: float) -> Scheduled:
        return Scheduled(
            **self._identity,
            current_price=price,
            signal=row,
        )

    def active_result(
        self, row: SignalRow, price: float, percent_tp: float, percent_sl: float
    ) -> Active:
        return Active(
            **self._identity,
            current_price=price,
            signal=row,
            percent_tp=percent_tp,
            percent_sl=percent_sl,
        )

    def _set_pending(self, row: SignalRow | None) -> None:
        self.pending = row
        self.callback("on_write", self.symbol, row, self.backtest)

    def _set_scheduled(self, row: SignalRow | None) -> None:
        self.scheduled = row

    def callback(self, name: str, *args: Any) -> None:
        callbacks = self.callbacks
        if callbacks is None:
            return
        callback = getattr(callbacks, name)
        if callback is not None:
            settle_callback(callback(*args), self.report_error)

    async def publish(self, result: TickResult) -> TickResult:
        return await self._publish(result)

    async def _publish(self, result: TickResult) -> TickResult:
        """on_tick, then the mode topic, then the signal topic (SPEC 13 ordering)."""
        self.callback("on_tick", self.symbol, result, self.backtest)
        if self._mode_topic.has_listeners:
            await self._mode_topic.emit(result)
        if self.bus.signal.has_listeners:
            await self.bus.signal.emit(result)
        if self.bus.transition.has_listeners and result.action != "idle":
            await self.bus.transition.emit(result)
        return result

    async def report_error(self, exc: BaseException) -> None:
        if self.bus.error.has_listeners:
            await self.bus.error.emit(exc)

    async def report_failure(self, logger: Any, event: str, when: int, exc: Exception) -> None:
        """A clock's step failed: a warning (counted when it repeats) and the error topic."""
        self.warnings.warning(logger, event, symbol=self.symbol, when=when, error=exc)
        await self.report_error(exc)
