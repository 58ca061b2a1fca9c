"""What the bias analyzer reports: per strategy, the signals checked and changed, the "no
signal" instants checked and changed (`idle`, `woke`), and the first offending decision (time,
field, warm-up, both values)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["BiasFinding", "BiasReport", "StrategyBias"]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class BiasFinding:
    """A signal whose decision changed on truncated history: the first field that differs."""

    timestamp: int
    field: str
    warmup_minutes: int | None  # None: the history from the first candle
    baseline: Any
    truncated: Any
    error: str = ""  # the truncated re-run's error, when it raised

    def describe(self) -> str:
        history = (
            "full history"
            if self.warmup_minutes is None
            else (f"{self.warmup_minutes} min warm-up")
        )
        what = self.error or f"{self.baseline!r} -> {self.truncated!r}"
        return f"{_iso(self.timestamp)} {self.field} ({history}): {what}"


@dataclass(frozen=True, slots=True)
class StrategyBias:
    """Opened signals re-asked and changed; instants where the backtest got no signal
    (`idle_*`) re-asked and changed (a None that became a signal); the earliest change."""

    strategy: str
    signals_checked: int
    signals_changed: int
    first: BiasFinding | None
    idle_checked: int = 0
    idle_changed: int = 0

    @property
    def biased(self) -> bool:
        return self.signals_changed > 0 or self.idle_changed > 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "biased": self.biased}


@dataclass(frozen=True, slots=True)
class BiasReport:
    symbol: str
    exchange: str
    frame: str
    profile: str
    warmups: tuple[int | None, ...]
    strategies: tuple[StrategyBias, ...]
    guard: str = ""  # how the re-runs' reads were guarded (`sandbox.Guard.describe`)

    def strategy(self, name: str) -> StrategyBias:
        for item in self.strategies:
            if item.strategy == name:
                return item
        raise KeyError(f"strategy {name!r} was not analyzed")

    @property
    def biased(self) -> tuple[str, ...]:
        return tuple(s.strategy for s in self.strategies if s.biased)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """A plain-text table, one line per strategy."""
        warmups = ", ".join("full" if w is None else f"{w} min" for w in self.warmups)
        out = [
            f"Look-ahead bias on {self.symbol} ({self.exchange}, frame {self.frame}, "
            f"{self.profile} profile, histories: {warmups})",
            f"{'strategy':<24} {'checked':>7} {'changed':>7} {'idle':>6} {'woke':>5}  "
            "first offending decision",
        ]
        for s in self.strategies:
            first = s.first.describe() if s.first is not None else "-"
            out.append(
                f"{s.strategy:<24} {s.signals_checked:>7} {s.signals_changed:>7} "
                f"{s.idle_checked:>6} {s.idle_changed:>5}  {first}"
            )
        if self.guard:
            out.append(f"re-run reads guarded by {self.guard}")
        return out
