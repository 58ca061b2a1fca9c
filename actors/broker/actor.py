"""The broker actor: turns the persisted signal state into orders, idempotently.

The signal state machine decides *when*; the broker owns *what was filled*. After every tick
(once the tick's slots are on disk) `settle` brings the exchange to the persisted state:
1. every journal intent without a final answer is looked up by its client id and adopted;
   only an order the exchange has never seen is sent (again, under the same client id);
2. the persisted pending signal gets its entry order, written to the journal before it is sent;
3. every other signal still holding a filled amount gets an exit order for exactly that amount;
4. the exchange's position is compared with the journal's: a mismatch is an error event and
   blocks new entries for the symbol (`block_on_mismatch`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import structlog

from backtestkit.bus import Bus, SignalRow, TickResult

from ..core.config import get_config
from ..core.registry import registry
from ..core.sizing import PositionSize
from .errors import BrokerError, OrderRejected, PositionMismatch, TransientOrderError
from .journal import OrderJournal
from .orders import MarketRules, OrderReport, OrderRequest, OrderSide, client_order_id
from .protocol import Broker
from .quantity import checked_amount, round_down
from .retry import retrying

__all__ = ["BrokerActor", "EntryRefused", "Sizing"]

_log = structlog.get_logger("backtestkit.broker")
T = TypeVar("T")

# the base amount to buy for a signal at `price`, given the market and the quote balance
Sizing = Callable[[SignalRow, float, MarketRules], float]


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryRefused:
    """The pending signal's entry cannot be placed; the ticker closes it with `reason`."""

    signal_id: str
    reason: str
    message: str


def quote_amount_sizing(row: SignalRow, price: float, rules: MarketRules) -> float:
    return get_config().CC_BROKER_QUOTE_AMOUNT / price


class BrokerActor:
    def __init__(
        self,
        broker: Broker,
        journal: OrderJournal,
        *,
        symbol: str,
        bus: Bus,
        sizing: Sizing | str | None = None,
        block_on_mismatch: bool = True,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.broker = broker
        self.journal = journal
        self.symbol = symbol
        self.bus = bus
        self.sizing: Sizing | None = None if isinstance(sizing, str) else sizing
        self.sizing_name = sizing if isinstance(sizing, str) else None
        if self.sizing_name is not None:
            method = registry.sizing(self.sizing_name).method
            if method != "fixed_percentage":
                raise ValueError(
                    f"sizing {self.sizing_name!r} uses {method}: the broker sizes orders with "
                    "fixed_percentage (balance and stop-loss known at entry); pass "
                    "sizing=callable(row, price, rules) -> amount for other methods"
                )
        self.block_on_mismatch = block_on_mismatch
        self.sleep = sleep
        self.blocked: str | None = None  # why new entries are refused, when they are
        self.rules: MarketRules | None = None
        self._held: dict[str, float] | None = None  # built from the journal on first use
        self.last_price: float | None = None
        self.signal_prices: dict[str, float] = {}  # signal id -> the engine's price per leg
        self.fills: list[tuple[OrderRequest, OrderReport]] = []  # final, since take_fills()
        bus.signal_live.subscribe(self._on_result)

    def _on_result(self, result: TickResult) -> None:
        if result.symbol != self.symbol:
            return
        self.last_price = result.current_price
        if result.signal is not None and result.action in ("opened", "closed"):
            self.signal_prices[f"{result.signal.id}:{result.action}"] = result.current_price

    # -- the exchange, with retries --------------------------------------------------------

    async def _retrying(self, call: Callable[[], Awaitable[T]], **kw: Any) -> T:
        config = get_config()
        return await retrying(
            call,
            retries=config.CC_BROKER_RETRY_COUNT,
            delay_ms=config.CC_BROKER_RETRY_DELAY_MS,
            sleep=self.sleep,
            **kw,
        )

    async def market(self) -> MarketRules:
        if self.rules is None:
            self.rules = await self._retrying(lambda: self.broker.market(self.symbol))
        return self.rules

    async def _send(self, request: OrderRequest) -> OrderReport:
        """Place an order whose intent is journaled; a retry first asks whether it arrived."""

        async def lookup() -> OrderReport | None:
            return await self.broker.lookup(request.market, request.client_id)

        report = await self._retrying(lambda: self.broker.place(request), before_retry=lookup)
        self.journal.phase("after_request", request.client_id)
        return self._answer(request, report)

    def _answer(self, request: OrderRequest, report: OrderReport) -> OrderReport:
        if report.client_id != request.client_id:
            report = dataclasses.replace(report, client_id=request.client_id)
        known = self.journal.answers.get(request.client_id)
        if known != report and self.rules is not None:
            if known is not None:
                self._hold(request, known, self.rules.base, -1)
            self._hold(request, report, self.rules.base, 1)
        self.journal.answer(report)
        if report.final and known != report:
            self.fills.append((request, report))
        return report

    def take_fills(self) -> list[tuple[OrderRequest, OrderReport]]:
        fills, self.fills = self.fills, []
        return fills

    # -- settle ------------------------------------------------------------------------------

    async def settle(self, pending: SignalRow | None, when: int) -> EntryRefused | None:
        """Bring the exchange to the persisted state; the pending entry refused, if it was."""
        try:
            rules = await self.market()
        except OrderRejected as exc:
            return self._refuse(pending, exc.reason, str(exc))
        except BrokerError as exc:
            await self._error(exc)
            return None
        try:
            if not await self._resolve(pending):
                return None  # an intent is still unknown: act once the exchange answers
            refused = await self._enter(pending, rules, when)
            await self._exit(pending, rules, when)
            await self._check_position(rules)
        except BrokerError as exc:
            await self._error(exc)
            return None
        return refused

    async def _resolve(self, pending: SignalRow | None) -> bool:
        """Adopt every unanswered intent; True when each has a final answer now. An entry the
        exchange never saw is sent again only while its signal is still the pending one."""
        for request in self.journal.unanswered():
            report = await self._retrying(
                lambda r=request: self.broker.lookup(r.market, r.client_id)  # type: ignore[misc]
            )
            gone = pending is None or pending.id != request.signal_id
            if report is None and request.leg == "entry" and gone:
                self.journal.reject(request.client_id, "signal_closed_before_entry")
                continue
            if report is None:
                _log.warning("order_resent", client_id=request.client_id, leg=request.leg)
                try:
                    report = await self._send(request)
                except OrderRejected as exc:
                    self.journal.reject(request.client_id, exc.reason)
                    await self._error(exc)
                    continue
            else:
                report = self._answer(request, report)
            if not report.final:
                return False
        return True

    async def _enter(
        self, pending: SignalRow | None, rules: MarketRules, when: int
    ) -> EntryRefused | None:
        if pending is None:
            return None
        entry = client_order_id(pending.id, "entry")
        if entry in self.journal.rejections:  # refused before the close reached the disk
            return self._refuse(pending, self.journal.rejections[entry], "entry order refused")
        if entry in self.journal.intents:
            return None
        if self.blocked is not None:
            return self._refuse(pending, "entries_blocked", self.blocked)
        if pending.position == "short" and not rules.shorting:
            message = f"{rules.symbol} is a spot market: a short would sell what is not held"
            return self._refuse(pending, "short_not_supported", message)
        price = pending.price_open
        side: OrderSide = "buy" if pending.position == "long" else "sell"
        try:
            amount = checked_amount(await self._quantity(pending, price, rules), price, rules)
        except OrderRejected as exc:
            return self._refuse(pending, exc.reason, str(exc))
        except ValueError as exc:  # the sizing schema's own checks
            return self._refuse(pending, "sizing_failed", str(exc))
        try:
            await self._order(pending.id, "entry", side, amount, price, when, rules)
        except OrderRejected as exc:
            return self._refuse(pending, exc.reason, str(exc))
        return None

    async def _order(
        self,
        signal_id: str,
        leg: str,
        side: OrderSide,
        amount: float,
        price: float,
        when: int,
        rules: MarketRules,
    ) -> OrderReport:
        """Journal the intent, then send; a refusal is journaled too (never sent again)."""
        request = OrderRequest(
            client_id=client_order_id(signal_id, leg),
            signal_id=signal_id,
            leg=leg,
            market=rules.symbol,
            side=side,
            amount=amount,
            price=price,
            at=when,
        )
        self.journal.intent(request)
        try:
            return await self._send(request)
        except OrderRejected as exc:
            self.journal.reject(request.client_id, exc.reason)
            raise

    async def _quantity(self, row: SignalRow, price: float, rules: MarketRules) -> float:
        """The sizing callable's amount, the sizing schema's (fixed_percentage of the free
        quote balance), or CC_BROKER_QUOTE_AMOUNT of quote."""
        if self.sizing is not None:
            return self.sizing(row, price, rules)
        if self.sizing_name is None:
            return quote_amount_sizing(row, price, rules)
        balance = await self._retrying(lambda: self.broker.balance(rules.quote))
        if balance is None:
            raise OrderRejected("sizing_failed", f"{rules.symbol}: no {rules.quote} balance known")
        return PositionSize.fixed_percentage(
            self.symbol, balance, price, row.price_stop_loss, sizing=self.sizing_name
        )

    def held(self, rules: MarketRules) -> dict[str, float]:
        """Signal id -> the base amount its filled orders hold (signed: buys add); kept up to
        date answer by answer, so a tick costs nothing however long the journal grows."""
        if self._held is None:
            self._held = {}
            for cid, report in self.journal.answers.items():
                self._hold(self.journal.intents[cid], report, rules.base, 1)
        return self._held

    def _hold(self, request: OrderRequest, report: OrderReport, base: str, sign: int) -> None:
        held = self._held
        if held is None or report.filled == 0:
            return
        filled = report.filled
        if report.fee_currency == base:  # a fee taken from what was bought
            filled -= report.fee if request.side == "buy" else -report.fee
        amount = held.get(request.signal_id, 0.0) + sign * (
            filled if request.side == "buy" else -filled
        )
        if abs(amount) < 1e-12:
            held.pop(request.signal_id, None)
        else:
            held[request.signal_id] = amount

    async def _exit(self, pending: SignalRow | None, rules: MarketRules, when: int) -> None:
        for signal_id, amount in list(self.held(rules).items()):
            if pending is not None and signal_id == pending.id:
                continue
            size = round_down(abs(amount), rules.amount_step)
            if size <= 0 or size < rules.min_amount:
                continue  # dust below what the market trades
            legs = [r for r in self.journal.legs(signal_id) if r.leg.startswith("exit")]
            if any(r.client_id in self.journal.rejections for r in legs):
                continue  # refused once: reported and blocked, never retried blindly
            leg = "exit" if not legs else f"exit-{len(legs)}"
            price = self.last_price
            if price is None:
                price = self.journal.intents[client_order_id(signal_id, "entry")].price
            side: OrderSide = "sell" if amount > 0 else "buy"
            try:
                await self._order(signal_id, leg, side, size, price, when, rules)
            except OrderRejected as exc:
                self.blocked = f"exit of signal {signal_id} refused: {exc}"
                await self._error(exc)

    async def _check_position(self, rules: MarketRules) -> None:
        held = await self._retrying(lambda: self.broker.position(rules))
        if held is None:
            return
        baseline = self.journal.baselines.get(rules.symbol)
        expected = sum(self.held(rules).values())
        if baseline is None:
            self.journal.baseline(rules.symbol, held - expected)
            return
        tolerance = max(rules.amount_step, 1e-12)
        if abs(held - baseline - expected) > tolerance:
            message = (
                f"{self.symbol}: the exchange holds {held - baseline:.10g} {rules.base} "
                f"from this bot, the journal {expected:.10g}"
            )
            if self.block_on_mismatch:
                self.blocked = message
            await self._error(PositionMismatch(message))

    def _refuse(self, pending: SignalRow | None, reason: str, message: str) -> EntryRefused | None:
        if pending is None:
            return None
        _log.warning("entry_refused", signal=pending.id, reason=reason, detail=message)
        return EntryRefused(signal_id=pending.id, reason=reason, message=message)

    async def _error(self, exc: BrokerError) -> None:
        kind = "transient" if isinstance(exc, TransientOrderError) else type(exc).__name__
        _log.error("broker_error", symbol=self.symbol, kind=kind, error=str(exc))
        if self.bus.error.has_listeners:
            await self.bus.error.emit(exc)

    async def close(self) -> None:
        self.journal.close()
        await self.broker.close()
