"""What a parity run found: the per-signal comparison and the replay it came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .parity_replay import Replay, RestartNote, Timeline
from .recording_reader import Recording

__all__ = [
    "COMPARED_FIELDS",
    "FieldDifference",
    "ParityData",
    "SignalComparison",
    "compare",
    "get_field",
]


def get_field(path: str) -> Callable[[dict[str, Any]], Any]:
    keys = path.split(".")

    def get(item: dict[str, Any]) -> Any:
        value: Any = item
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return get


# In the order a difference is reported: what happened and when, then at what price and why.
COMPARED_FIELDS: tuple[str, ...] = (
    "action",
    "signal.position",
    "signal.scheduled_at",
    "signal.pending_at",
    "close_timestamp",
    "signal.price_open",
    "signal.price_take_profit",
    "signal.price_stop_loss",
    "signal.minute_estimated_time",
    "current_price",
    "close_reason",
    "pnl.pnl_percentage",
    "pnl.price_open",
    "pnl.price_close",
    "signal.id",
    "signal.note",
)
_GETTERS = tuple((name, get_field(name)) for name in COMPARED_FIELDS)


@dataclass(frozen=True, slots=True)
class FieldDifference:
    field: str
    live: Any
    backtest: Any


@dataclass(frozen=True, slots=True)
class SignalComparison:
    """The n-th signal live yielded and the n-th the backtest produced (None: there was none)."""

    index: int
    live: dict[str, Any] | None
    backtest: dict[str, Any] | None
    differences: tuple[FieldDifference, ...]

    @property
    def matches(self) -> bool:
        return not self.differences

    @property
    def signal_id(self) -> str | None:
        item = self.live if self.live is not None else self.backtest
        return None if item is None else get_field("signal.id")(item)


@dataclass(frozen=True, slots=True)
class ParityData:
    recording: Recording
    symbol: str
    strategy: str
    exchange: str
    timeline: Timeline
    candles: str  # "recorded" or the repr of the history source replayed instead
    replay: Replay
    comparisons: tuple[SignalComparison, ...]
    seconds: float

    @property
    def mismatches(self) -> list[SignalComparison]:
        return [c for c in self.comparisons if not c.matches]

    @property
    def first_mismatch(self) -> SignalComparison | None:
        return next((c for c in self.comparisons if not c.matches), None)

    @property
    def unexplained_restarts(self) -> list[RestartNote]:
        return [note for note in self.replay.restarts if not note.explained]

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.unexplained_restarts


def compare(
    live: list[dict[str, Any]], backtest: list[dict[str, Any]]
) -> tuple[SignalComparison, ...]:
    """Pairs the n-th live signal with the n-th backtest signal and lists differing fields."""
    out = []
    for index in range(max(len(live), len(backtest))):
        a = live[index] if index < len(live) else None
        b = backtest[index] if index < len(backtest) else None
        if a is None or b is None:
            diffs: tuple[FieldDifference, ...] = (
                FieldDifference("presence", a is not None, b is not None),
            )
        else:
            diffs = tuple(
                FieldDifference(name, get(a), get(b)) for name, get in _GETTERS if get(a) != get(b)
            )
        out.append(SignalComparison(index, a, b, diffs))
    return tuple(out)
