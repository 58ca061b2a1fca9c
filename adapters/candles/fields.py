"""From raw source columns to a validated CandleTable: numbers only (no bool, no text), open
times through `epoch_ms`; every refusal names the origin, the row and the field."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from backtestkit.actors.market.candle_checks import COLUMNS, CandleDataError, FloatArray, plain
from backtestkit.actors.market.candles import CandleTable

from .time_units import epoch_ms

__all__ = ["numeric_column", "table_from_fields"]


def numeric_column(raw: npt.NDArray[Any], *, origin: str, first_row: int, name: str) -> FloatArray:
    """A price or volume column as float64 (Python numbers and Decimals of an object column
    too); NaN stays for validate_columns to report."""
    kind = raw.dtype.kind
    if kind in "iuf":
        return np.ascontiguousarray(raw, dtype=np.float64)
    if kind == "O":
        for row, value in enumerate(raw.tolist()):
            if value is None:
                raise CandleDataError(
                    f"{origin}: row {row + first_row}: field {name}: missing value"
                )
            if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
                what = "a text" if isinstance(value, str) else f"a {type(value).__name__}"
                raise _not_numeric(origin, row + first_row, name, f"{what} value", value)
        return np.asarray(raw.tolist(), dtype=np.float64)
    value = raw[0] if raw.size else None
    what = {"b": "bool", "U": "text", "S": "bytes"}.get(kind, str(raw.dtype))
    raise _not_numeric(origin, first_row, name, f"a {what} column", value)


def _not_numeric(origin: str, row: int, name: str, what: str, value: Any) -> CandleDataError:
    return CandleDataError(
        f"{origin}: row {row}: field {name}: {what} ({plain(value)!r}); prices and volume "
        "must be numbers (convert the column first)"
    )


def table_from_fields(
    raw: Mapping[str, npt.NDArray[Any]],
    *,
    step_ms: int,
    origin: str,
    first_row: int,
    time_unit: str | None,
) -> CandleTable:
    """Check each column's type, convert the open times to ms, validate the candles."""
    columns: dict[str, Any] = {
        "timestamp": epoch_ms(
            raw["timestamp"],
            time_unit=time_unit,
            origin=origin,
            first_row=first_row,
            step_ms=step_ms,
        )
    }
    for name in COLUMNS[1:]:
        columns[name] = numeric_column(raw[name], origin=origin, first_row=first_row, name=name)
    return CandleTable.from_columns(columns, step_ms=step_ms, origin=origin, first_row=first_row)
