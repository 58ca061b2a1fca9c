"""Strategy actor: the per-(symbol, strategy) signal state machine of SPEC 3-5, both modes."""

from __future__ import annotations

import dataclasses
from typing import Any

import structlog

from backtestkit.bus import (
    Bus,
    Cancelled,
    Closed,
    CloseReason,
    Idle,
    Opened,
    SignalRow,
    TickResult,
    Topic,
)

from ..market.intervals import MINUTE_MS
from .config import get_config
from .context import ExecutionContext
from .eager import Suspended
from .exchange import ExchangeActor
from .outbox import SignalOutbox
from .outcomes import Cancel, Close, Outcome, Waiting
from .partial import PartialTracker
from .pnl import pnl
from .risk import RiskGate
from .schemas import StrategySchema
from .signal import as_signal, signal_id, signal_row
from .signal_request import SignalRequest

__all__ = ["SignalStateMachine", "signal_id"]

_log = structlog.get_logger("backtestkit.strategy")


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
        self.partial = PartialTracker(bus, schema.callbacks, backtest)
        self.pending: SignalRow | None = None
        self.scheduled: SignalRow | None = None
        self.stopped = False
        self.request = SignalRequest(schema, symbol, context)
        outbox = self.outbox = SignalOutbox(
            schema=schema, symbol=symbol, exchange_name=exchange.name, bus=bus, backtest=backtest
        )
        self.warnings = outbox.warnings
        self.callback = outbox.callback
        self.publish = outbox.publish
        self.report_error = outbox.report_error
        self.report_failure = outbox.report_failure
        self._priced_from, self._priced_until = exchange.priced_span(symbol)

    # -- what consumers want -----------------------------------------------------------------

    @property
    def wants_idle(self) -> bool:
        """An idle result is built only when a callback or a listener will see it."""
        outbox = self.outbox
        return (
            self.build_idle
            or outbox.idle_callbacks
            or outbox.mode_topic.has_listeners
            or self.bus.signal.has_listeners
        )

    @property
    def watched_topics(self) -> tuple[Topic[Any], Topic[Any]]:
        return self.outbox.watched_topics

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
            return await self.publish(self.outbox.scheduled(row, price))
        self._set_pending(row)
        if not await self._risk_allows(row, row.price_open, when):
            self._set_pending(None)
            return await self._idle(when)
        return await self.publish(self._open(row))

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
        result = self.outbox.idle(price)
        await self.publish(result)
        return result

    async def _watch_scheduled(self, row: SignalRow, when: int) -> TickResult | None:
        price = await self.price(when)
        config = get_config()
        if when - row.scheduled_at >= config.CC_SCHEDULE_AWAIT_MINUTES * MINUTE_MS:
            self._set_scheduled(None)
            self.callback("on_cancel", self.symbol, row, price, self.backtest)
            return await self.publish(self.outbox.cancelled(row, price, when))
        long = row.position == "long"
        beyond_sl = price <= row.price_stop_loss if long else price >= row.price_stop_loss
        reached = price <= row.price_open if long else price >= row.price_open
        if beyond_sl:
            self._set_scheduled(None)  # Q5: idle, without on_cancel / on_idle
            return await self.publish(self.outbox.idle(price))
        if not reached:
            return await self.publish(self.outbox.active(row, price, 0.0, 0.0))
        self._set_scheduled(None)
        if self.stopped or not await self._risk_allows(row, row.price_open, when):
            return await self._idle(when)
        opened = dataclasses.replace(row, pending_at=when, is_scheduled=False)
        self._set_pending(opened)
        return await self.publish(self._open(opened))

    async def _monitor_pending(self, when: int) -> TickResult | None:
        row = self.pending
        assert row is not None
        price = await self.price(when)
        long = row.position == "long"
        if when - row.pending_at >= row.minute_estimated_time * MINUTE_MS:
            return await self.publish(await self.close(row, "time_expired", price, when))
        if (price >= row.price_take_profit) if long else (price <= row.price_take_profit):
            return await self.publish(
                await self.close(row, "take_profit", row.price_take_profit, when)
            )
        if (price <= row.price_stop_loss) if long else (price >= row.price_stop_loss):
            return await self.publish(await self.close(row, "stop_loss", row.price_stop_loss, when))
        percent_tp, percent_sl = await self.partial.update(row, price, when)
        return await self.publish(self.outbox.active(row, price, percent_tp, percent_sl))

    # -- getSignal procedure (SPEC 5) ----------------------------------------------------------

    def scan_quiet(self, start: int, step: int, i: int, stop: int) -> int:
        """Runs the frames start + k * step, k in [i, stop), that are idle ticks nobody watches
        (SignalRequest.scan). Returns the first frame index that needs a full `tick()` (what
        get_signal answered there is kept for it), or `stop`."""
        request = self.request
        if (
            self.pending is not None
            or self.scheduled is not None
            or self.stopped
            or self.refusal is not None
            or request.asked is not None
            or not request.steps_inline
            or self.wants_idle
        ):
            return i
        first_priced = -((start - self._priced_from) // step)  # frames outside need a full tick
        if i < first_priced:
            return i
        stop = min(stop, (self._priced_until - start) // step + 1)
        if stop <= i:
            return i
        return request.scan(self, start, step, i, stop)

    async def _request_signal(self, when: int) -> SignalRow | None:
        request = self.request
        asked = request.asked
        if asked is not None and asked[0] == when:
            request.asked = None
            dto = asked[1]
            if type(dto) is Suspended:
                try:
                    dto = await request.finish(dto)
                except Exception as exc:
                    dto = exc
            return await self._consider(dto, when)
        if self.stopped or self.refusal is not None or not request.due(when):
            return None
        price: float | None = None
        try:
            if not self._priced_from <= when <= self._priced_until and not (
                self.exchange.is_table_backed and self.exchange.has_candles_at(self.symbol, when)
            ):
                price = await self.price(when)  # SPEC 5: priced before asking the strategy
            dto = await request.answer(when)
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
            return signal_row(
                signal,
                price,
                when,
                symbol=self.symbol,
                exchange_name=self.exchange.name,
                strategy_name=self.schema.name,
            )
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

    async def settle(self, outcome: Outcome) -> TickResult:
        """Apply what a fast-forward decided (SPEC 6.4) and publish the result."""
        if isinstance(outcome, Close):
            pending = self.pending
            assert pending is not None
            for price, when in outcome.marks:
                await self.partial.update(pending, price, when)
            closed = await self.close(pending, outcome.reason, outcome.price, outcome.at)
            return await self.publish(closed)
        row = self.scheduled
        assert row is not None
        if isinstance(outcome, Waiting):
            return await self.publish(self.outbox.active(row, outcome.price, 0.0, 0.0))
        if isinstance(outcome, Cancel):
            return await self.publish(self.cancel(row, outcome.price, outcome.at))
        opened = await self.activate(row, outcome.at)
        if opened is None:  # decision Q3: a refused activation is a cancellation
            self.callback("on_cancel", self.symbol, row, outcome.price, self.backtest)
            return await self.publish(self.outbox.cancelled(row, outcome.price, outcome.at))
        if outcome.then is None:  # entered on the last candle: Q4 closes the scheduled row
            closed = await self.close(row, "time_expired", outcome.price, outcome.at)
            return await self.publish(closed)
        return await self.settle(outcome.then(opened))

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
        return self.outbox.opened(row)

    async def close(self, row: SignalRow, reason: CloseReason, price: float, when: int) -> Closed:
        result_pnl = pnl(row.position, row.price_open, price)
        self.callback("on_close", self.symbol, row, price, self.backtest)
        self.partial.clear(row.id)
        if self.risk is not None:
            self.risk.remove(self.schema.name, self.symbol)
        self._set_pending(None)
        return self.outbox.closed(row, reason, price, when, result_pnl)

    def cancel(self, row: SignalRow, price: float, when: int) -> Cancelled:
        self._set_scheduled(None)
        self.callback("on_cancel", self.symbol, row, price, self.backtest)
        return self.outbox.cancelled(row, price, when)

    def _set_pending(self, row: SignalRow | None) -> None:
        self.pending = row
        self.callback("on_write", self.symbol, row, self.backtest)

    def _set_scheduled(self, row: SignalRow | None) -> None:
        self.scheduled = row
