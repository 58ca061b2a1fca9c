"""The getSignal procedure (SPEC 5): throttle, price, ask the strategy, validate the signal,
ask the risk gate, build its row; and the backtest's fast path over frames nobody watches."""

from __future__ import annotations

from typing import Any, Protocol

import structlog

from backtestkit.bus import SignalRow, Topic

from .context import ExecutionContext
from .eager import Suspended
from .exchange import ExchangeActor
from .rejections import RejectionTally
from .schemas import StrategySchema
from .signal import as_signal, signal_row
from .signal_request import SignalRequest
from .validation import SignalValidationError
from .warning_tally import WarningTally

__all__ = ["IntakeOwner", "SignalIntake"]

_log = structlog.get_logger("backtestkit.strategy")


class IntakeOwner(Protocol):
    """What the procedure reads and calls on the state machine it feeds."""

    pending: SignalRow | None
    scheduled: SignalRow | None
    stopped: bool
    refusal: str | None
    warnings: WarningTally
    rejections: RejectionTally

    @property
    def wants_idle(self) -> bool: ...

    @property
    def watched_topics(self) -> tuple[Topic[Any], Topic[Any]]: ...

    async def price(self, when: int) -> float: ...

    async def risk_allows(self, pending_signal: Any, current_price: float, when: int) -> bool: ...

    async def report_error(self, exc: BaseException) -> None: ...


class SignalIntake:
    """Where one state machine's new signals come from."""

    def __init__(
        self,
        owner: IntakeOwner,
        schema: StrategySchema,
        exchange: ExchangeActor,
        context: ExecutionContext,
    ) -> None:
        self.owner = owner
        self.symbol = context.symbol
        self.strategy_name = schema.name
        self.exchange = exchange
        self.request = SignalRequest(schema, context.symbol, context)
        self.priced_from, self.priced_until = exchange.priced_span(context.symbol)

    def priced(self, when: int) -> bool:
        """Whether `when` lies where the candle table prices every minute (VWAP can wait)."""
        return self.priced_from <= when <= self.priced_until

    def scan_quiet(self, start: int, step: int, i: int, stop: int) -> int:
        """Runs the frames start + k * step, k in [i, stop), that are idle ticks nobody watches
        (SignalRequest.scan). Returns the first frame index that needs a full `tick()` (what
        get_signal answered there is kept for it), or `stop`."""
        request, owner = self.request, self.owner
        if (
            owner.pending is not None
            or owner.scheduled is not None
            or owner.stopped
            or owner.refusal is not None
            or request.asked is not None
            or not request.steps_inline
            or owner.wants_idle
        ):
            return i
        first_priced = -((start - self.priced_from) // step)  # frames outside need a full tick
        if i < first_priced:
            return i
        stop = min(stop, (self.priced_until - start) // step + 1)
        if stop <= i:
            return i
        return request.scan(owner, start, step, i, stop)

    async def next_row(self, when: int) -> SignalRow | None:
        """Steps 1-9 of SPEC 5 at `when`: a new signal's validated row, or None."""
        request, owner = self.request, self.owner
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
        if owner.stopped or owner.refusal is not None or not request.due(when):
            return None
        price: float | None = None
        try:
            if not self.priced(when) and not (
                self.exchange.is_table_backed and self.exchange.has_candles_at(self.symbol, when)
            ):
                price = await owner.price(when)  # SPEC 5: priced before asking the strategy
            dto = await request.answer(when)
        except Exception as exc:
            return await self._consider(exc, when, price)
        return await self._consider(dto, when, price)

    async def _consider(self, dto: Any, when: int, price: float | None = None) -> SignalRow | None:
        """Steps 5-9 of SPEC 5 on what get_signal answered (or raised); `price` is the VWAP
        taken before the call (table-backed candles cannot change, so it is taken lazily)."""
        owner = self.owner
        try:
            if isinstance(dto, Exception):
                raise dto
            if not dto or owner.stopped:
                return None
            signal = as_signal(dto)
            if price is None:
                price = await owner.price(when)
            if not await owner.risk_allows(signal, price, when):
                return None
            return signal_row(
                signal,
                price,
                when,
                symbol=self.symbol,
                exchange_name=self.exchange.name,
                strategy_name=self.strategy_name,
            )
        except Exception as exc:
            if isinstance(exc, SignalValidationError):
                owner.rejections.record(exc, when)
            owner.warnings.warning(
                _log,
                "get_signal_failed",
                strategy=self.strategy_name,
                symbol=self.symbol,
                when=when,
                error=exc,
            )
            await owner.report_error(exc)
            return None
