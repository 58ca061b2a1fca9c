"""Risk actor: per-profile active-position books and validations (SPEC 1.4)."""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

import structlog

from backtestkit.bus import Bus, RiskEvent

from .eager import settle_callback
from .engine import EngineLocal, engine_bound
from .schemas import RiskSchema
from .warning_tally import WarningTally

__all__ = [
    "ActivePosition",
    "RiskAsk",
    "RiskBook",
    "RiskCheck",
    "RiskGate",
    "refuse",
    "risk_books",
]

_log = structlog.get_logger("backtestkit.risk")


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivePosition:
    """An entry of a risk book (the reference keeps no signal and an empty exchange, Q11)."""

    signal: None
    strategy_name: str
    exchange_name: str
    open_timestamp: int


class RiskAsk(TypedDict):
    """A signal asking to enter: the keywords of `RiskGate.check` and `RiskBook.check`."""

    symbol: str
    pending_signal: Any
    strategy_name: str
    exchange_name: str
    current_price: float
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskCheck:
    """What a risk validation receives."""

    symbol: str
    pending_signal: Any
    strategy_name: str
    exchange_name: str
    current_price: float
    timestamp: int
    active_position_count: int
    active_positions: tuple[ActivePosition, ...]


class RiskBook:
    """One risk profile's portfolio-wide book, shared by every strategy that names it."""

    def __init__(self, schema: RiskSchema) -> None:
        self.schema = schema
        self.positions: dict[str, ActivePosition] = {}
        self.changed = False  # live persistence writes the book when set

    def add(self, strategy_name: str, symbol: str) -> None:
        key = f"{strategy_name}:{symbol}"
        if key not in self.positions:
            self.changed = True
        self.positions[key] = ActivePosition(
            signal=None,
            strategy_name=strategy_name,
            exchange_name="",
            open_timestamp=int(time.time() * 1000),
        )

    def remove(self, strategy_name: str, symbol: str) -> None:
        if self.positions.pop(f"{strategy_name}:{symbol}", None) is not None:
            self.changed = True

    async def check(
        self, bus: Bus, *, warnings: WarningTally | None = None, **ask: Unpack[RiskAsk]
    ) -> bool:
        count = len(self.positions)
        payload = RiskCheck(
            **ask, active_position_count=count, active_positions=tuple(self.positions.values())
        )
        comment: str | None = None
        limit = self.schema.max_concurrent_positions
        if limit is not None and count >= limit:
            comment = f"max_concurrent_positions={limit} reached"
            await _emit_error(bus, ValueError(f"risk {self.schema.name!r}: {comment}"))
        else:
            for validation in self.schema.validations:
                try:
                    outcome = validation.validate(payload)
                    if inspect.isawaitable(outcome):
                        await outcome
                except Exception as exc:
                    (warnings or WarningTally()).warning(
                        _log, "ClientRisk exception thrown", risk=self.schema.name, error=exc
                    )
                    await _emit_error(bus, exc)
                    comment = validation.note if validation.note is not None else "N/A"
                    break
        callbacks = self.schema.callbacks
        if comment is None:
            if callbacks is not None and callbacks.on_allowed is not None:
                settle_callback(callbacks.on_allowed(payload.symbol, payload), bus.error.emit)
            return True
        await refuse(bus, ask, len(self.positions), comment)
        if callbacks is not None and callbacks.on_rejected is not None:
            settle_callback(callbacks.on_rejected(payload.symbol, payload), bus.error.emit)
        return False


async def refuse(bus: Bus, ask: RiskAsk, active_position_count: int, comment: str) -> None:
    """The rejection event (only built when someone listens)."""
    if bus.risk.has_listeners:
        await bus.risk.emit(
            RiskEvent(**ask, active_position_count=active_position_count, comment=comment)
        )


async def _emit_error(bus: Bus, exc: BaseException) -> None:
    if bus.validation.has_listeners:
        await bus.validation.emit(exc)


class RiskBooks:
    """Backtest risk books by profile name, shared by every run that names the profile.

    Decision Q12: a book starts empty when the first run using it starts; runs going on at the
    same time share it, so their positions count together (SPEC 1.4).
    """

    def __init__(self) -> None:
        self._books: dict[str, RiskBook] = {}
        self._users: dict[str, int] = {}

    def get(self, schema: RiskSchema) -> RiskBook:
        book = self._books.get(schema.name)
        if book is None or book.schema is not schema:
            book = self._books[schema.name] = RiskBook(schema)
        return book

    def acquire(self, schemas: list[RiskSchema]) -> None:
        for schema in schemas:
            users = self._users.get(schema.name, 0)
            if users == 0:
                self.get(schema).positions.clear()
            self._users[schema.name] = users + 1

    def release(self, schemas: list[RiskSchema]) -> None:
        for schema in schemas:
            self._users[schema.name] = max(0, self._users.get(schema.name, 0) - 1)

    def clear(self) -> None:
        self._books.clear()
        self._users.clear()


_RISK_BOOKS: EngineLocal[RiskBooks] = EngineLocal("risk books", lambda _engine: RiskBooks())
risk_books = engine_bound(_RISK_BOOKS)  # the current engine's books


class RiskGate:
    """The risk profiles of one strategy: a signal passes only if every profile allows it."""

    __slots__ = ("books", "bus")

    def __init__(self, books: list[RiskBook], bus: Bus) -> None:
        self.books = books
        self.bus = bus

    async def check(self, *, warnings: WarningTally | None = None, **ask: Unpack[RiskAsk]) -> bool:
        allowed = True
        for book in self.books:  # every profile is evaluated, even after a rejection
            ok = await book.check(self.bus, warnings=warnings, **ask)
            allowed = allowed and ok
        return allowed

    def add(self, strategy_name: str, symbol: str) -> None:
        for book in self.books:
            book.add(strategy_name, symbol)

    def remove(self, strategy_name: str, symbol: str) -> None:
        for book in self.books:
            book.remove(strategy_name, symbol)
