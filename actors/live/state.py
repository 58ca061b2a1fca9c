"""Persistence actor of one live (symbol, strategy): what SPEC 11.3 persists, when, and restore.

Ordering makes every transition survive a crash at any instant:
* a new pending or scheduled signal is written *before* its result is yielded (write-ahead), so
  a position the consumer hears of is always on disk and comes back on restart (on_active);
* a cleared slot (close, cancel) is written *after* the consumer took the result, so a crash in
  between replays the same close at restart (same signal id) instead of losing it;
* risk books and partial levels are rebuilt from the signal slots on restore, so a crash between
  two files leaves no ghost position in a risk book.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import structlog

from backtestkit.bus import SignalRow

from ..core.risk import RiskBook
from ..core.schemas import RiskSchema
from ..signal.strategy import SignalStateMachine
from .persistence import (
    MISSING,
    CorruptStateError,
    SignalStore,
    check_name,
    corrupt_files,
    symbol_path_name,
)
from .restore_checks import ForeignStateError, ownership_differences, restore_problems
from .state_json import (
    levels_from_json,
    positions_from_json,
    positions_to_json,
    row_from_json,
    row_to_json,
)

__all__ = ["LiveRiskBooks", "LiveState"]

_log = structlog.get_logger("backtestkit.persistence")


class LiveRiskBooks:
    """Live risk books, one per (state directory, profile), loaded from disk on first use."""

    def __init__(self) -> None:
        self._books: dict[tuple[Path, str], RiskBook] = {}

    def get(self, store: SignalStore, schema: RiskSchema) -> RiskBook:
        key = (store.base_dir.resolve(), schema.name)
        book = self._books.get(key)
        if book is None:
            book = RiskBook(schema)
            path = store.path("risk", check_name("risk", schema.name), "positions.json")
            loaded = store.read(path, positions_from_json)  # CorruptStateError propagates
            if loaded is not MISSING:
                book.positions.update(loaded)
            self._books[key] = book
        return book

    def save(self, store: SignalStore, book: RiskBook) -> None:
        if book.changed:
            store.write(
                store.path("risk", book.schema.name, "positions.json"), positions_to_json(book)
            )
            book.changed = False

    def clear(self) -> None:
        self._books.clear()


class LiveState:
    """Writes the slots of one state machine at the safe moments and restores them."""

    def __init__(
        self,
        store: SignalStore,
        machine: SignalStateMachine,
        risk_books: list[RiskBook],
        live_books: LiveRiskBooks,
        on_error: Callable[[BaseException], None],
    ) -> None:
        symbol = symbol_path_name(machine.symbol)
        strategy = check_name("strategy", machine.schema.name)
        check_name("exchange", machine.exchange.name)
        self.store = store
        self.machine = machine
        self.risk_books = risk_books
        self.live_books = live_books
        self.on_error = on_error
        key = f"{symbol}_{strategy}"
        self.pending_path = store.path("signal", key, f"{symbol}.json")
        self.scheduled_path = store.path("schedule", key, f"{symbol}.json")
        self.partial_path = store.path("partial", symbol, "levels.json")
        self.saved_pending: SignalRow | None = None
        self.saved_scheduled: SignalRow | None = None
        self._level_ids: set[str] = set()  # signal ids whose levels this instance wrote
        self.unreadable: list[CorruptStateError] = []  # found before the run (risk books)

    # -- restore (SPEC 11.3) ---------------------------------------------------------------

    def _directories(self) -> list[Path]:
        directories = [
            self.pending_path.parent,
            self.scheduled_path.parent,
            self.partial_path.parent,
        ]
        directories += [self.store.path("risk", book.schema.name) for book in self.risk_books]
        return directories

    def quarantined(self) -> list[Path]:
        return [path for directory in self._directories() for path in corrupt_files(directory)]

    def _refusal(self) -> str | None:
        files = self.quarantined()
        if not files:
            return None
        names = ", ".join(str(f) for f in files)
        return f"quarantined state file(s) {names}: inspect and remove them to trade again"

    def read_slots(
        self, now: int, *, adopt: bool = False
    ) -> tuple[SignalRow | None, SignalRow | None, list[CorruptStateError]]:
        """The persisted pending and scheduled rows, checked for `now` (a row that fails is
        quarantined); a row of another exchange, strategy or symbol raises ForeignStateError
        and stays where it is, unless `adopt` takes it over for this run."""
        errors: list[CorruptStateError] = list(self.unreadable)
        self.unreadable.clear()
        for directory in self._directories():
            self.store.sweep_temporaries(directory)
        pending = self._read_slot(self.pending_path, now, adopt, errors)
        scheduled = self._read_slot(self.scheduled_path, now, adopt, errors)
        if pending is not None and scheduled is not None and scheduled.id == pending.id:
            scheduled = None  # crashed between writing the activation and clearing the slot
            self.store.write(self.scheduled_path, None)
        self.saved_pending, self.saved_scheduled = pending, scheduled
        self.machine.refusal = self._refusal()
        return pending, scheduled, errors

    def _read_slot(
        self, path: Path, now: int, adopt: bool, errors: list[CorruptStateError]
    ) -> SignalRow | None:
        def checked(value: object) -> SignalRow | None:
            row = row_from_json(value)
            problems = [] if row is None else restore_problems(row, now)
            if problems:
                raise ValueError("; ".join(problems))
            return row

        try:
            found: SignalRow | None = self.store.read(path, checked)
        except CorruptStateError as exc:
            errors.append(exc)
            return None
        if found is MISSING or found is None:
            return None
        machine = self.machine
        exchange, strategy, symbol = machine.exchange.name, machine.schema.name, machine.symbol
        differences = ownership_differences(
            found, exchange=exchange, strategy=strategy, symbol=symbol
        )
        if not differences:
            return found
        if not adopt:
            raise ForeignStateError(path, found.id, differences)
        adopted = replace(found, exchange_name=exchange, strategy_name=strategy, symbol=symbol)
        self.store.write(path, row_to_json(adopted))
        _log.warning("state_row_adopted", path=str(path), signal=found.id, changes=differences)
        return adopted

    def reconcile(self, pending: SignalRow | None) -> None:
        """Risk books and partial levels follow the restored pending slot."""
        name, symbol = self.machine.schema.name, self.machine.symbol
        for book in self.risk_books:
            if pending is None:
                book.remove(name, symbol)
            elif f"{name}:{symbol}" not in book.positions:
                book.add(name, symbol)
            self.live_books.save(self.store, book)
        if pending is not None:
            levels = self._read_levels()
            if pending.id in levels:
                profit, loss = levels[pending.id]
                self.machine.partial.load(pending.id, profit, loss)
                self._level_ids.add(pending.id)
        self.machine.partial.changed = False

    # -- writes at the safe moments ----------------------------------------------------------

    def save_openings(self, action: str | None) -> None:
        """Before the tick's result is yielded: new slots (write-ahead), and a scheduled slot
        cleared without a `cancelled` result (activation, stop-loss, risk refusal, stop)."""
        machine = self.machine
        if machine.pending is not None and machine.pending is not self.saved_pending:
            self.store.write(self.pending_path, row_to_json(machine.pending))
            self.saved_pending = machine.pending
        scheduled = machine.scheduled
        if scheduled is not self.saved_scheduled and (
            scheduled is not None or action != "cancelled"
        ):
            self.store.write(self.scheduled_path, row_to_json(scheduled))
            self.saved_scheduled = scheduled

    def save_closings(self) -> None:
        """After the consumer took the result: cleared slots, risk books, partial levels."""
        machine = self.machine
        if machine.pending is None and self.saved_pending is not None:
            self.store.write(self.pending_path, None)
            self.saved_pending = None
        if machine.scheduled is None and self.saved_scheduled is not None:
            self.store.write(self.scheduled_path, None)
            self.saved_scheduled = None
        for book in self.risk_books:
            self.live_books.save(self.store, book)
        if machine.partial.changed:
            self._save_levels()
        machine.refusal = self._refusal() if machine.refusal is not None else None

    def _save_levels(self) -> None:
        partial = self.machine.partial
        levels = self._read_levels()
        pending = self.machine.pending
        for signal_id in self._level_ids:  # the file is per symbol, shared with other strategies
            levels.pop(signal_id, None)
        self._level_ids.clear()
        if pending is not None:
            current = partial.levels(pending.id)
            if current is not None:
                levels[pending.id] = current
                self._level_ids.add(pending.id)
        self.store.write(
            self.partial_path,
            {sid: {"profitLevels": p, "lossLevels": lo} for sid, (p, lo) in levels.items()},
        )
        partial.changed = False

    def _read_levels(self) -> dict[str, tuple[list[int], list[int]]]:
        try:
            found = self.store.read(self.partial_path, levels_from_json)
        except CorruptStateError as exc:
            self.machine.refusal = str(exc)
            self.on_error(exc)
            return {}
        return {} if found is MISSING else dict(found)
