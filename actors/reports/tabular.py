"""pandas hand-off (extra `pandas`, imported only when a frame is asked for).

`rows_frame(rows)` turns a list of flat dicts into a DataFrame; `closed_rows(closed)` gives
one flat dict per closed signal (times as UTC datetimes, the duration as a timedelta).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from backtestkit.bus import Closed

__all__ = [
    "CLOSED_COLUMNS",
    "MISSING_PANDAS",
    "closed_rows",
    "require_pandas",
    "rows_frame",
    "series",
]

MISSING_PANDAS = (
    "to_frame() and stats() need pandas, which is not installed: pip install 'backtestkit[pandas]'"
)
CLOSED_COLUMNS = (
    "signal_id",
    "strategy_name",
    "symbol",
    "position",
    "note",
    "scheduled_at",
    "opened_at",
    "closed_at",
    "duration",
    "price_open",
    "price_close",
    "price_take_profit",
    "price_stop_loss",
    "close_reason",
    "pnl_percentage",
)


def require_pandas() -> Any:
    """The pandas module, or ImportError with the install hint."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise ImportError(MISSING_PANDAS) from None


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def closed_rows(closed: Iterable[Closed]) -> list[dict[str, Any]]:
    """One row per closed signal, in the given order."""
    return [
        {
            "signal_id": c.signal.id,
            "strategy_name": c.strategy_name,
            "symbol": c.symbol,
            "position": c.signal.position,
            "note": c.signal.note,
            "scheduled_at": _when(c.signal.scheduled_at),
            "opened_at": _when(c.signal.pending_at),
            "closed_at": _when(c.close_timestamp),
            "duration": timedelta(milliseconds=c.close_timestamp - c.signal.pending_at),
            "price_open": c.pnl.price_open,
            "price_close": c.pnl.price_close,
            "price_take_profit": c.signal.price_take_profit,
            "price_stop_loss": c.signal.price_stop_loss,
            "close_reason": c.close_reason,
            "pnl_percentage": c.pnl.pnl_percentage,
        }
        for c in closed
    ]


def rows_frame(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> Any:
    """A pandas DataFrame of `rows` (the columns given, even when there is no row)."""
    pandas = require_pandas()
    return pandas.DataFrame(list(rows), columns=list(columns) if columns is not None else None)


def series(values: dict[str, Any], name: str | None = None) -> Any:
    """A pandas Series (object dtype, so ints stay ints and None stays None)."""
    pandas = require_pandas()
    return pandas.Series(values, name=name, dtype=object)
