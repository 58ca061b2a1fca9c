"""Every closed signal of a run, as three compact arrays, for research metrics.

The reference's statistics and report keep only the newest 250 closed signals (SPEC 9.1,
Q16). Research numbers (equity, exposure, Sortino, DSR, PBO, ...) must count every trade, so
a run also keeps, per closed signal, its entry time (`pending_at`), close time and
`pnl_percentage`: 24 bytes a trade instead of a result object.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from backtestkit.bus import Closed

__all__ = ["LedgerRecorder", "TradeLedger"]


def _array(values: Iterable[Any]) -> Any:
    return values if isinstance(values, np.ndarray) else np.asarray(list(values))


def _frozen(values: Any, dtype: type) -> Any:
    out: Any = np.array(values, dtype=dtype)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, slots=True, eq=False)
class TradeLedger:
    """Closed trades ordered by (close time, entry time); times in ms UTC."""

    entry_ms: npt.NDArray[np.int64]
    close_ms: npt.NDArray[np.int64]
    pnl_percentage: npt.NDArray[np.float64]

    @classmethod
    def of(
        cls, entry_ms: Iterable[int], close_ms: Iterable[int], pnl_percentage: Iterable[float]
    ) -> TradeLedger:
        """From parallel sequences in any order (sorted here; equal keys keep their order)."""
        entries, closes, pnls = (_array(v) for v in (entry_ms, close_ms, pnl_percentage))
        if not len(entries) == len(closes) == len(pnls):
            raise ValueError(
                f"trade ledger: {len(entries)} entry times, {len(closes)} close times and "
                f"{len(pnls)} pnls"
            )
        order = np.lexsort((entries, closes)) if len(closes) else np.arange(0)
        return cls(
            _frozen(np.asarray(entries, dtype=np.int64)[order], np.int64),
            _frozen(np.asarray(closes, dtype=np.int64)[order], np.int64),
            _frozen(np.asarray(pnls, dtype=np.float64)[order], np.float64),
        )

    @classmethod
    def from_closed(cls, closed: Iterable[Closed]) -> TradeLedger:
        """From result objects (a stored list, newest first, or any order)."""
        rows = list(closed)
        return cls.of(
            [c.signal.pending_at for c in rows],
            [c.close_timestamp for c in rows],
            [c.pnl.pnl_percentage for c in rows],
        )

    def __len__(self) -> int:
        return int(self.close_ms.size)

    def to_dict(self) -> dict[str, list[Any]]:
        """Plain lists (JSON floats round-trip exactly); `of(**d)` reads them back."""
        return {
            "entry_ms": self.entry_ms.tolist(),
            "close_ms": self.close_ms.tolist(),
            "pnl_percentage": self.pnl_percentage.tolist(),
        }


class LedgerRecorder:
    """Appends closed signals as they come (a run closes them in time order)."""

    __slots__ = ("_close", "_entry", "_pnl")

    def __init__(self) -> None:
        self._entry = array("q")
        self._close = array("q")
        self._pnl = array("d")

    def add(self, closed: Closed) -> None:
        self._entry.append(closed.signal.pending_at)
        self._close.append(closed.close_timestamp)
        self._pnl.append(closed.pnl.pnl_percentage)

    def clear(self) -> None:
        del self._entry[:], self._close[:], self._pnl[:]

    def __len__(self) -> int:
        return len(self._close)

    def ledger(self) -> TradeLedger:
        return TradeLedger.of(
            np.frombuffer(self._entry, dtype=np.int64),
            np.frombuffer(self._close, dtype=np.int64),
            np.frombuffer(self._pnl, dtype=np.float64),
        )
