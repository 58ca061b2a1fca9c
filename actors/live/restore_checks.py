"""What a persisted signal row must be before a live run trades it again.

A row read back from disk passes the rules every new signal passes (SPEC 4, at its entry
price: the market has moved since, and a position past its take-profit must close, not be
refused) plus time sanity against the clock; a row that fails is quarantined like a file that
cannot be parsed. A row naming another exchange, strategy or symbol than the run belongs to
someone else: it is neither traded nor overwritten, unless the run was told to adopt it.
"""

from __future__ import annotations

from pathlib import Path

from backtestkit.bus import SignalRow

from ..core.config import get_config
from ..signal.validation import rule_failures

__all__ = ["ForeignStateError", "ownership_differences", "restore_problems"]


class ForeignStateError(ValueError):
    """A persisted row names another exchange, strategy or symbol than the live run."""

    def __init__(self, path: Path, row_id: str, differences: list[str]) -> None:
        super().__init__(
            f"state file {path} holds signal {row_id} of another run ({'; '.join(differences)}): "
            "it is left as it is and this run refuses to start on it. Run with the names it was "
            "saved under, move the file away, or pass adopt=True (CLI: --adopt) to take it over."
        )
        self.path = path
        self.row_id = row_id
        self.differences = differences


def ownership_differences(
    row: SignalRow, *, exchange: str, strategy: str, symbol: str
) -> list[str]:
    """Each name the row holds that differs from the run's, as `field 'row' != run 'value'`."""
    pairs = (
        ("exchangeName", row.exchange_name, exchange),
        ("strategyName", row.strategy_name, strategy),
        ("symbol", row.symbol, symbol),
    )
    return [f"{field} {saved!r} != run {ours!r}" for field, saved, ours in pairs if saved != ours]


def restore_problems(row: SignalRow, now: int) -> list[str]:
    """Every reason not to trade a restored row at `now` (empty: it may be restored)."""
    problems = rule_failures(row, row.price_open, True, get_config())
    if row.scheduled_at > now:
        problems.append(f"scheduledAt {row.scheduled_at} is in the future (now {now})")
    if row.pending_at > now:
        problems.append(f"pendingAt {row.pending_at} is in the future (now {now})")
    if row.pending_at < row.scheduled_at:
        problems.append(f"pendingAt {row.pending_at} is before scheduledAt {row.scheduled_at}")
    return problems
