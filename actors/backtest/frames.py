"""Frame timelines (SPEC 1.3): arithmetic, never a materialised list of datetimes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import overload

from ..core.eager import settle_callback
from ..core.engine import EngineLocal
from ..core.schemas import FrameSchema
from ..market.intervals import FRAME_INTERVALS, interval_ms

__all__ = ["FrameTimeline", "timeline"]


class FrameTimeline(Sequence[int]):
    """start, start + step, ... while <= end (both ends inclusive when aligned), in ms UTC."""

    __slots__ = ("end_ms", "size", "start_ms", "step_ms")

    def __init__(self, start_ms: int, end_ms: int, step_ms: int) -> None:
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.step_ms = step_ms
        self.size = (end_ms - start_ms) // step_ms + 1 if end_ms >= start_ms else 0

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return [self.start_ms + i * self.step_ms for i in range(*index.indices(self.size))]
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError(f"frame index {index} out of range for {self.size} frames")
        return self.start_ms + index * self.step_ms

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start_ms, self.start_ms + self.size * self.step_ms, self.step_ms))

    def index_at_or_after(self, ts: int) -> int:
        """The first frame index whose time is >= ts (size if none)."""
        if ts <= self.start_ms:
            return 0
        return min(self.size, -((self.start_ms - ts) // self.step_ms))

    def dates(self) -> Iterator[datetime]:
        return (datetime.fromtimestamp(t / 1000, tz=UTC) for t in self)


_ANNOUNCED: EngineLocal[set[str]] = EngineLocal("announced frames", lambda _engine: set())


def timeline(frame: FrameSchema) -> FrameTimeline:
    """The frame's timeline; on_timeframe fires once per frame name per engine (Q15)."""
    result = FrameTimeline(
        frame.start_ms, frame.end_ms, interval_ms(frame.interval, FRAME_INTERVALS, "frame")
    )
    callbacks = frame.callbacks
    announced = _ANNOUNCED.get()
    if frame.name not in announced:
        announced.add(frame.name)
        if callbacks is not None and callbacks.on_timeframe is not None:
            outcome = callbacks.on_timeframe(
                result,
                datetime.fromtimestamp(frame.start_ms / 1000, tz=UTC),
                datetime.fromtimestamp(frame.end_ms / 1000, tz=UTC),
                frame.interval,
            )
            settle_callback(outcome)
    return result
