"""Candle invariants: the columns a table needs and the first row that breaks a rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "COLUMNS",
    "PRICE_COLUMNS",
    "CandleDataError",
    "FloatArray",
    "IntArray",
    "UnservedSymbolError",
    "as_timestamps",
    "plain",
    "validate_columns",
]

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
PRICE_COLUMNS = ("open", "high", "low", "close")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class CandleDataError(ValueError):
    """Candle data that cannot be trusted: names the origin, the row and the field."""


class UnservedSymbolError(CandleDataError, KeyError):
    """A source asked for a symbol it has no candles for; names the symbols it serves.
    A KeyError too, as a lookup by symbol has always raised."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds, for messages (1786924800, not
    np.int64(1786924800))."""
    return value.item() if isinstance(value, np.generic) else value


def as_timestamps(raw: npt.NDArray[Any], origin: str, first_row: int) -> IntArray:
    if raw.dtype.kind in "iu":
        return np.ascontiguousarray(raw, dtype=np.int64)
    try:
        as_float = raw.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise CandleDataError(f"{origin}: field timestamp: not numeric ({exc})") from None
    bad = ~np.isfinite(as_float) | (as_float != np.floor(as_float))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CandleDataError(
            f"{origin}: row {row + first_row}: field timestamp: not an integer number of "
            f"milliseconds ({plain(raw[row])!r})"
        )
    return as_float.astype(np.int64)


def validate_columns(
    timestamp: IntArray,
    floats: Mapping[str, FloatArray],
    *,
    step_ms: int,
    origin: str,
    first_row: int,
) -> None:
    """Raise CandleDataError for the earliest row that breaks a candle invariant."""
    findings: list[tuple[int, str]] = []

    def first(mask: npt.NDArray[np.bool_], field: str, problem: str, values: Any) -> None:
        hits = np.flatnonzero(mask)
        if hits.size:
            row = int(hits[0])
            findings.append(
                (
                    row,
                    f"field {field}: {problem} ({plain(values[row])!r}; {hits.size} row(s) in all)",
                )
            )

    for name in COLUMNS[1:]:
        values = floats[name]
        first(~np.isfinite(values), name, "not a finite number", values)
    for name in PRICE_COLUMNS:
        values = floats[name]
        first(values <= 0, name, "price must be > 0", values)
    first(floats["volume"] < 0, "volume", "volume must be >= 0", floats["volume"])
    high, low = floats["high"], floats["low"]
    body_top = np.maximum(floats["open"], floats["close"])
    body_bottom = np.minimum(floats["open"], floats["close"])
    first(high < body_top, "high", "high below max(open, close)", high)
    first(low > body_bottom, "low", "low above min(open, close)", low)
    first(timestamp < 0, "timestamp", "negative timestamp, before 1970-01-01", timestamp)
    first(timestamp % step_ms != 0, "timestamp", f"not aligned to {step_ms} ms", timestamp)
    if timestamp.size > 1:
        diff = np.diff(timestamp)
        first(np.r_[False, diff < 0], "timestamp", "not sorted ascending", timestamp)
        first(np.r_[False, diff == 0], "timestamp", "duplicate timestamp", timestamp)
    if findings:
        # earliest row; on a tie the first rule checked (not the alphabetically first message)
        row, message = min(findings, key=lambda finding: finding[0])
        raise CandleDataError(f"{origin}: row {row + first_row}: {message}")
