"""Strategy actor: the per-(symbol, strategy) signal state machine of SPEC 3-5, both modes."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable

import structlog

from backtestkit.bus import (
    Activation,
    Bus,
    Cancelled,
    Closed,
    CloseReason,
    Idle,
    Opened,
    SignalRow,
    TickResult,
)

from ..core.config import get_config
from ..core.context import ExecutionContext
from ..core.risk import RiskGate
from ..core.schemas import StrategySchema
from ..market.candles import Candles
from ..market.intervals import MINUTE_MS
from .outbox import SignalOutbox
from .outcomes import Cancel, Close, Entry, Waiting
from .partial import PartialTracker
from .ports import MarketPort
from .pricing import Pricing
from .rejections import RejectionTally
from .risk_ask import gates, risk_port
from .signal import signal_id
from .signal_intake import SignalIntake

__all__ = ["SignalStateMachine", "signal_id"]

_log = structlog.get_logger("backtestkit.strategy")


class SignalStateMachine:
    """Holds at most one pending and one scheduled signal for one (symbol, strategy)."""

    def __init__(
        self,
        *,
        schema: StrategySchema,
        symbol: str,
        exchange: MarketPort,
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
        self.build_idle = not backtest  # live statistics record idle ticks
        self.refusal: str | None = None  # why no new position may open (quarantined state)
        self.partial = PartialTracker(bus, schema.callbacks, backtest)
        self.pending: SignalRow | None = None
        self.scheduled: SignalRow | None = None
        self.stopped = False
        outbox = self.outbox = SignalOutbox(
            schema=schema, symbol=symbol, exchange_name=exchange.name, bus=bus, backtest=backtest
        )
        self.warnings = outbox.warnings
        self.rejections = RejectionTally()  # signals validation refused in this run
        self.callback = outbox.callback
        self.told = schema.callbacks is not None  # the strategy has callbacks to call
        self.publish = outbox.publish
        self.report_error = outbox.report_error
        self.report_failure = outbox.report_failure
        self.pricing = Pricing(exchange, symbol, context)
        self.price = self.pricing.at  # bound once: the machine prices on every tick
        self.risk_port = risk_port(risk, (symbol, schema.name, exchange.name), self.warnings)
        self.risk_gates = gates(self.risk_port)  # a risk profile to ask and tell
        self.intake = SignalIntake(
            schema,
            context,
            watch=self,
            pricing=self.pricing,
            risk=self.risk_port,
            outbox=outbox,
            rejections=self.rejections,
        )
        self._scan = self.intake.scan_quiet

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

    def has_answer(self, when: int) -> bool:
        """Whether a quiet scan kept get_signal's answer for `when` (its tick is due)."""
        asked = self.intake.request.asked
        return asked is not None and asked[0] == when

    def scan_quiet(self, start: int, step: int, i: int, stop: int) -> int:
        """The backtest clock's path over idle frames (SignalIntake.scan_quiet) while the machine
        holds nothing, may open and nobody wants idle results; returns the frame to tick."""
        if (
            self.pending is not None
            or self.scheduled is not None
            or self.stopped
            or self.refusal is not None
            or self.wants_idle
        ):
            return i
        return self._scan(start, step, i, stop)

    async def adopt(
        self, pending: SignalRow | None, scheduled: SignalRow | None, when: int
    ) -> None:
        """Live restore (SPEC 11.3): take over persisted signals; on_active (Q6) and
        on_schedule tell the strategy what it holds again."""
        self.context.when = when
        if pending is not None:
            self.pending = pending
            self.callback("on_active", self.symbol, pending, await self.price(when), False)
        if scheduled is not None:
            self.scheduled = scheduled
            self.callback("on_schedule", self.symbol, scheduled, await self.price(when), False)

    async def refuse(self, error: Exception) -> None:
        """No new position opens from now on (a quarantined state file); error topic."""
        self.refusal = str(error)
        await self.report_error(error)

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
        row = await self.intake.next_row(when)
        if row is None:
            if self.pricing.priced(when) and not self.wants_idle:
                return None
            return await self._idle(when)
        if row.is_scheduled:
            self._set_scheduled(row)
            price = await self.price(when)
            self.callback("on_schedule", self.symbol, row, price, self.backtest)
            return await self.publish(self.outbox.scheduled(row, price))
        self._set_pending(row)
        if self.risk_gates and not await self.risk_port.allows(row, row.price_open, when):
            self._set_pending(None)
            return await self._idle(when)
        return await self.publish(self._open(row))

    def take_kept(self, when: int) -> SignalRow | None:
        """`tick` at the minute whose signal a quiet scan kept, when nothing in it waits (no
        risk gate, the VWAP in a table, no async listener): the row the machine now holds
        (opened at once, or scheduled), told to whoever listens, without a coroutine. None
        (nothing done) sends the minute through `tick`."""
        if self.pending is not None or self.scheduled is not None or self.outbox.waits:
            return None
        taken = self.intake.asked_row(when)
        if taken is None:
            return None
        row, price = taken
        self.context.when = when
        if row.is_scheduled:
            self._set_scheduled(row)
            self.callback("on_schedule", self.symbol, row, price, self.backtest)
            self.outbox.publish_now(self.outbox.scheduled(row, price))
            return row
        self._set_pending(row)
        self._enter(row)
        self.outbox.opened_now(row)
        return row

    async def _idle(self, when: int) -> Idle | None:
        if not self.wants_idle:
            if self.pricing.known(when):
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
        if self.stopped or not await self.risk_port.allows(row, row.price_open, when):
            return await self._idle(when)
        opened = dataclasses.replace(row, pending_at=when, is_scheduled=False)
        self._set_pending(opened)
        return await self.outbox.publish(self._open(opened), Activation)

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

    # -- transitions shared with fast-forward --------------------------------------------------

    def forward_window(self, when: int) -> Candles | Awaitable[Candles]:
        """The 1-minute candles a fast-forward from `when` reads (SPEC 6.4): `buf` minutes
        before it, then the signal's lifetime (and a scheduled signal's wait for its entry);
        an async source's are awaited."""
        row = self.pending or self.scheduled
        assert row is not None
        config = get_config()
        buf = config.CC_AVG_PRICE_CANDLES_COUNT - 1
        limit = row.minute_estimated_time + buf
        if self.pending is None:
            limit += config.CC_SCHEDULE_AWAIT_MINUTES + 1
        return self.exchange.forward(self.symbol, when - buf * MINUTE_MS, limit)

    def close_now(self, outcome: Close) -> Closed:
        """`settle` of a close without a coroutine, for a caller that knows it passes no
        partial levels (`outcome.marks` is empty) and no listener is awaited."""
        pending = self.pending
        assert pending is not None
        closed = self.closing(pending, outcome.reason, outcome.price, outcome.at)
        self.outbox.publish_now(closed)
        return closed

    async def settle(self, outcome: Waiting | Cancel | Close) -> TickResult:
        """Apply what a fast-forward decided (SPEC 6.4) and publish the result; an `Entry` goes
        to `enter` first."""
        if isinstance(outcome, Close):
            pending = self.pending
            assert pending is not None
            for price, when in outcome.marks:
                await self.partial.update(pending, price, when)
            closed = self.closing(pending, outcome.reason, outcome.price, outcome.at)
            return await self.publish(closed)
        row = self.scheduled
        assert row is not None
        if isinstance(outcome, Waiting):
            return await self.publish(self.outbox.active(row, outcome.price, 0.0, 0.0))
        return await self.publish(self.cancel(row, outcome.price, outcome.at))

    async def enter(self, outcome: Entry) -> TickResult | SignalRow:
        """A scheduled signal reaches its entry: the published result when that ends it (a
        refused activation, Q4's close on the last candle), else the opened signal's row (the
        caller resolves how it closes: `outcome.then`, and settles that)."""
        row = self.scheduled
        assert row is not None
        opened = await self.activate(row, outcome.at)
        if opened is None:  # decision Q3: a refused activation is a cancellation
            self.callback("on_cancel", self.symbol, row, outcome.price, self.backtest)
            return await self.publish(self.outbox.cancelled(row, outcome.price, outcome.at))
        if outcome.then is None:  # entered on the last candle: Q4 closes the scheduled row
            closed = await self.close(row, "time_expired", outcome.price, outcome.at)
            return await self.publish(closed)
        return opened

    async def activate(self, row: SignalRow, when: int) -> SignalRow | None:
        """Scheduled -> pending at `when` (fast-forward); None when stop or risk refuses."""
        self._set_scheduled(None)
        if self.stopped or not await self.risk_port.allows(row, row.price_open, when):
            return None
        opened = dataclasses.replace(row, pending_at=when, is_scheduled=False)
        self._set_pending(opened)
        self._open(opened)
        return opened

    def _open(self, row: SignalRow) -> Opened:
        self._enter(row)
        return self.outbox.opened(row)

    def _enter(self, row: SignalRow) -> None:
        """The risk profile counts the position; on_open."""
        if self.risk_gates:
            self.risk_port.opened()
        if self.told:
            self.callback("on_open", self.symbol, row, row.price_open, self.backtest)

    async def close(self, row: SignalRow, reason: CloseReason, price: float, when: int) -> Closed:
        return self.closing(row, reason, price, when)

    def closing(self, row: SignalRow, reason: CloseReason, price: float, when: int) -> Closed:
        """`close` without a coroutine: nothing in it waits (fast-forward's path)."""
        return self._release(row, price, self.outbox.closed(row, reason, price, when))

    async def abandon(self, row: SignalRow, reason: CloseReason, when: int) -> Closed:
        """Close a pending signal that never traded (its entry order was refused): PnL 0."""
        closed = self._release(row, row.price_open, self.outbox.abandoned(row, reason, when))
        await self.publish(closed)
        return closed

    def _release(self, row: SignalRow, price: float, closed: Closed) -> Closed:
        if self.told:
            self.callback("on_close", self.symbol, row, price, self.backtest)
        self.partial.clear(row.id)
        if self.risk_gates:
            self.risk_port.closed()
        self._set_pending(None)
        return closed

    def cancel(self, row: SignalRow, price: float, when: int) -> Cancelled:
        self._set_scheduled(None)
        self.callback("on_cancel", self.symbol, row, price, self.backtest)
        return self.outbox.cancelled(row, price, when)

    def _set_pending(self, row: SignalRow | None) -> None:
        self.pending = row
        if self.told:
            self.callback("on_write", self.symbol, row, self.backtest)

    def _set_scheduled(self, row: SignalRow | None) -> None:
        self.scheduled = row
