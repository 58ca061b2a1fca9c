"""The getSignal procedure (SPEC 5): throttle, price, ask the strategy, validate the signal,
ask the risk gate, build its row; and the backtest's fast path over frames nobody watches."""

from __future__ import annotations

from typing import Any, Protocol

import structlog

from backtestkit.bus import SignalRow

from ..core.context import ExecutionContext
from ..core.eager import Suspended
from ..core.schemas import StrategySchema
from .outbox import SignalOutbox
from .ports import RiskPort
from .pricing import Pricing
from .rejections import RejectionTally
from .risk_ask import gates
from .signal import Signal, as_signal, signal_row
from .signal_request import SignalRequest
from .validation import SignalValidationError

__all__ = ["IntakeWatch", "SignalIntake"]

_log = structlog.get_logger("backtestkit.strategy")


class IntakeWatch(Protocol):
    """The machine's flags the procedure reads (a stop may come from inside get_signal)."""

    stopped: bool
    refusal: str | None


class SignalIntake:
    """Where one state machine's new signals come from: it asks the price and risk ports it was
    given and answers with a decision (a validated row, or None); errors go to the outbox."""

    def __init__(
        self,
        schema: StrategySchema,
        context: ExecutionContext,
        *,
        watch: IntakeWatch,
        pricing: Pricing,
        risk: RiskPort,
        outbox: SignalOutbox,
        rejections: RejectionTally,
    ) -> None:
        self.watch = watch
        self.symbol = context.symbol
        self.strategy_name = schema.name
        self.exchange_name = outbox.exchange_name
        self.pricing = pricing
        self.risk = risk
        self.risk_gates = gates(risk)
        self.outbox = outbox
        self.rejections = rejections
        self.request = SignalRequest(schema, context.symbol, context)

    def scan_quiet(self, start: int, step: int, i: int, stop: int) -> int:
        """Runs the frames start + k * step, k in [i, stop), that are idle ticks nobody watches
        (SignalRequest.scan); the machine calls it only while it holds nothing and nobody wants
        idle results. Returns the first frame index that needs a full `tick()` (what get_signal
        answered there is kept for it), or `stop`."""
        request, pricing = self.request, self.pricing
        if request.asked is not None or not request.steps_inline:
            return i
        first_priced = -((start - pricing.priced_from) // step)  # frames outside: a full tick
        if i < first_priced:
            return i
        stop = min(stop, (pricing.priced_until - start) // step + 1)
        if stop <= i:
            return i
        return request.scan(self.watch, self.outbox.watched_topics, start, step, i, stop)

    def asked_row(self, when: int) -> tuple[SignalRow, float] | None:
        """`next_row` without a coroutine for a signal a quiet scan kept for `when`, when nothing
        in steps 5-9 waits (no risk gate, the VWAP already known) and they all pass: the row and
        its VWAP, and the answer is taken. None (the answer still kept) sends the tick through
        `next_row`, which runs the same steps and reports what fails."""
        request = self.request
        asked = request.asked
        if asked is None or asked[0] != when or self.risk_gates or self.watch.stopped:
            return None
        dto = asked[1]
        if not dto or type(dto) is Suspended or isinstance(dto, Exception):
            return None
        try:
            signal = dto if type(dto) is Signal else as_signal(dto)
            price = self.pricing.now(when)
            if price is None:
                return None
            row = self._row(signal, price, when)
        except Exception:
            return None  # next_row runs the same pure steps again and reports the failure
        request.asked = None
        return row, price

    async def next_row(self, when: int) -> SignalRow | None:
        """Steps 1-9 of SPEC 5 at `when`: a new signal's validated row, or None."""
        request, watch = self.request, self.watch
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
        if watch.stopped or watch.refusal is not None or not request.due(when):
            return None
        price: float | None = None
        try:
            if not self.pricing.known(when):
                price = await self.pricing.at(when)  # SPEC 5: priced before asking the strategy
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
            if not dto or self.watch.stopped:
                return None
            signal = as_signal(dto)
            if price is None:
                price = await self.pricing.at(when)
            if self.risk_gates and not await self.risk.allows(signal, price, when):
                return None
            return self._row(signal, price, when)
        except Exception as exc:
            if isinstance(exc, SignalValidationError):
                self.rejections.record(exc, when)
            self.outbox.warnings.warning(
                _log,
                "get_signal_failed",
                strategy=self.strategy_name,
                symbol=self.symbol,
                when=when,
                error=exc,
            )
            await self.outbox.report_error(exc)
            return None

    def _row(self, signal: Signal, price: float, when: int) -> SignalRow:
        return signal_row(
            signal,
            price,
            when,
            symbol=self.symbol,
            exchange_name=self.exchange_name,
            strategy_name=self.strategy_name,
        )
