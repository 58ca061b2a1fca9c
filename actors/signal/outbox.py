"""What one signal state machine tells the world: its strategy's callbacks, the results it
builds with its identity, and the topics they go to (SPEC 13 ordering)."""

from __future__ import annotations

from typing import Any

from backtestkit.bus import (
    Active,
    Bus,
    Cancelled,
    Closed,
    CloseReason,
    Idle,
    Opened,
    Pnl,
    Scheduled,
    SignalRow,
    TickResult,
    Topic,
)
from backtestkit.bus.slot_init import builder

from ..core.eager import settle_callback
from ..core.schemas import StrategySchema
from ..core.warning_tally import WarningTally
from .pnl import pnl

__all__ = ["SignalOutbox"]


class SignalOutbox:
    """Results of one (symbol, strategy, exchange, mode) and where they are delivered."""

    def __init__(
        self, *, schema: StrategySchema, symbol: str, exchange_name: str, bus: Bus, backtest: bool
    ) -> None:
        self.symbol = symbol
        self.exchange_name = exchange_name
        self.backtest = backtest
        self.bus = bus
        self.callbacks = schema.callbacks
        self.mode_topic = bus.signal_backtest if backtest else bus.signal_live
        self.warnings = WarningTally()  # the run's repeated warnings, logged once and counted
        identity: dict[str, Any] = {  # the fields every result of this machine carries
            "symbol": symbol,
            "strategy_name": schema.name,
            "exchange_name": exchange_name,
            "backtest": backtest,
        }
        price, row = "current_price", "signal"
        self.idle = builder(Idle, price, **identity)
        self.scheduled = builder(Scheduled, row, price, **identity)
        self._opened = builder(Opened, price, row, **identity)
        self.active = builder(Active, row, price, "percent_tp", "percent_sl", **identity)
        self._closed = builder(
            Closed, price, row, "close_reason", "close_timestamp", "pnl", **identity
        )
        self._cancelled = builder(Cancelled, price, row, "close_timestamp", **identity)
        callbacks = schema.callbacks
        self.idle_callbacks = callbacks is not None and (
            callbacks.on_idle is not None or callbacks.on_tick is not None
        )

    @property
    def watched_topics(self) -> tuple[Topic[Any], Topic[Any]]:
        """The topics whose listeners see every result, idle ones included."""
        return self.mode_topic, self.bus.signal

    # -- results -------------------------------------------------------------------------------

    # idle(price), scheduled(row, price) and active(row, price, percent_tp, percent_sl) are
    # the builders set in __init__; the others below add what they compute

    def opened(self, row: SignalRow) -> Opened:
        return self._opened(row.price_open, row)

    def closed(self, row: SignalRow, reason: CloseReason, price: float, when: int) -> Closed:
        """`row` closed at `price`: its PnL with fees and slippage (SPEC 8)."""
        return self._closed(price, row, reason, when, pnl(row.position, row.price_open, price))

    def abandoned(self, row: SignalRow, reason: CloseReason, when: int) -> Closed:
        """`row` closed without trading (its entry order was refused): PnL 0 at its entry."""
        price = row.price_open
        flat = Pnl(pnl_percentage=0.0, price_open=price, price_close=price)
        return self._closed(price, row, reason, when, flat)

    def cancelled(self, row: SignalRow, price: float, when: int) -> Cancelled:
        return self._cancelled(price, row, when)

    # -- delivery ------------------------------------------------------------------------------

    def callback(self, name: str, *args: Any) -> None:
        callbacks = self.callbacks
        if callbacks is None:
            return
        callback = getattr(callbacks, name)
        if callback is not None:
            settle_callback(callback(*args), self.report_error)

    @property
    def waits(self) -> bool:
        """Whether publishing must await a listener (an async one on a result topic)."""
        bus = self.bus
        return self.mode_topic.waits or bus.signal.waits or bus.transition.waits

    def publish_now(self, result: TickResult, kind: type | None = None) -> TickResult:
        """`publish` when no listener is awaited (`waits` is False): the same deliveries, in
        the same order, without a coroutine."""
        if self.callbacks is not None:
            self.callback("on_tick", self.symbol, result, self.backtest)
        mode_topic, bus = self.mode_topic, self.bus
        if mode_topic.has_listeners:
            mode_topic.publish(result, kind)
        if bus.signal.has_listeners:
            bus.signal.publish(result, kind)
        transition = bus.transition
        if transition.has_listeners and result.action != "idle":
            transition.publish(result, kind)
        return result

    def opened_now(self, row: SignalRow) -> None:
        """`publish_now` of `row`'s immediate entry (not an `Activation`), whose `Opened` is
        built only when a callback or a listener receives it."""
        bus = self.bus
        if (
            self.callbacks is not None
            or self.mode_topic.has_listeners
            or bus.signal.has_listeners
            or bus.transition.reaches(Opened)
        ):
            self.publish_now(self.opened(row))

    async def publish(self, result: TickResult, kind: type | None = None) -> TickResult:
        """on_tick, then the mode topic, then the signal topic (SPEC 13 ordering); `kind` is
        what subscribers to given kinds are matched on (default: the result's type)."""
        if not self.waits:
            return self.publish_now(result, kind)
        if self.callbacks is not None:
            self.callback("on_tick", self.symbol, result, self.backtest)
        mode_topic, bus = self.mode_topic, self.bus
        # with no async listener, emit would run exactly what publish runs, minus a coroutine
        if mode_topic.has_listeners:
            if mode_topic.waits:
                await mode_topic.emit(result, kind)
            else:
                mode_topic.publish(result, kind)
        if bus.signal.has_listeners:
            if bus.signal.waits:
                await bus.signal.emit(result, kind)
            else:
                bus.signal.publish(result, kind)
        transition = bus.transition
        if transition.has_listeners and result.action != "idle":
            if transition.waits:
                await transition.emit(result, kind)
            else:
                transition.publish(result, kind)
        return result

    async def report_error(self, exc: BaseException) -> None:
        if self.bus.error.has_listeners:
            await self.bus.error.emit(exc)

    async def report_failure(self, logger: Any, event: str, when: int, exc: Exception) -> None:
        """A clock's step failed: a warning (counted when it repeats) and the error topic."""
        self.warnings.warning(logger, event, symbol=self.symbol, when=when, error=exc)
        await self.report_error(exc)
