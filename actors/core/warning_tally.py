"""WarningTally: a warning repeated frame after frame is logged once, then counted.

A year of frames outside the loaded candles used to print one line per frame (86 000 JSON
lines). The first warning of a kind is logged at once; the repeats are counted and logged as one
line with `count` (all occurrences), `first_when`, `last_when` and the last error when the run
ends (Live: also every hour of ticks), so nothing is hidden and nothing floods.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, TypeVar

__all__ = ["WarningTally"]

T = TypeVar("T")
_Key = tuple[str, str, str, tuple[tuple[str, Any], ...]]
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


class _Repeats:
    __slots__ = ("count", "error", "first_when", "last_when", "logger")

    def __init__(self, logger: Any, error: str, when: int | None) -> None:
        self.logger = logger
        self.count = 1
        self.error = error
        self.first_when = when
        self.last_when = when


class WarningTally:
    """One run's warnings by event, fields and error (its type and its text with the numbers
    masked, so prices and times do not make each one new): the first logged, repeats counted."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[_Key, _Repeats] = {}

    def warning(
        self,
        logger: Any,
        event: str,
        *,
        error: BaseException,
        when: int | None = None,
        **fields: Any,
    ) -> None:
        text = str(error)
        key = (event, type(error).__name__, _NUMBER.sub("#", text), tuple(fields.items()))
        repeats = self._seen.get(key)
        if repeats is None:
            self._seen[key] = _Repeats(logger, text, when)
            if when is None:
                logger.warning(event, **fields, error=text)
            else:
                logger.warning(event, **fields, when=when, error=text)
            return
        repeats.count += 1
        repeats.error = text
        repeats.last_when = when

    def flush(self) -> None:
        """Log one line per warning that repeated since it was first logged; start afresh."""
        seen, self._seen = self._seen, {}
        for (event, _, _, fields), repeats in seen.items():
            if repeats.count > 1:
                repeats.logger.warning(
                    event,
                    **dict(fields),
                    count=repeats.count,
                    first_when=repeats.first_when,
                    last_when=repeats.last_when,
                    error=repeats.error,
                )

    async def flushed_after(self, results: AsyncGenerator[T, None]) -> AsyncIterator[T]:
        """`results`, then one line per repeated warning when they end or are closed."""
        try:
            async for result in results:
                yield result
        finally:
            await results.aclose()
            self.flush()
