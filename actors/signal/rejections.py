"""The signals a run's validation refused (SPEC 4): how many, and the first few reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["FIRST_REASONS", "RejectionTally", "SignalRejections"]

FIRST_REASONS = 3


@dataclass(frozen=True, slots=True)
class SignalRejections:
    """`count` signals refused by validation in the run; `first` holds the first
    `FIRST_REASONS` of them (time, then the failed rules), in the order they happened."""

    count: int = 0
    first: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.count > 0

    def summary(self) -> str:
        """One line per reason after the count, e.g. for a terminal or a log."""
        lines = [f"signals rejected: {self.count}"]
        lines += [f"  {reason}" for reason in self.first]
        return "\n".join(lines)


@dataclass(slots=True)
class RejectionTally:
    """Counts one state machine's rejected signals as they happen."""

    count: int = 0
    first: list[str] = field(default_factory=list)

    def record(self, error: BaseException, when: int) -> None:
        self.count += 1
        if len(self.first) < FIRST_REASONS:
            header, *rules = str(error).split("\n")
            stamp = datetime.fromtimestamp(when / 1000, UTC).strftime("%Y-%m-%d %H:%M")
            self.first.append(f"{stamp} UTC {header.rstrip(':')}: {'; '.join(rules)}")

    def snapshot(self) -> SignalRejections:
        return SignalRejections(self.count, tuple(self.first))
