"""The options every reader of files and DataFrames takes (`columns=`, `ignore=`,
`time_unit=`), checked when the source is built."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypedDict, Unpack

from backtestkit.actors.market.table_source import TableSource

from .column_map import ColumnMap
from .time_units import TimeUnit, check_time_unit

__all__ = ["ReadOptions", "read_options"]


class ReadOptions(TypedDict, total=False):
    """How a source's items are read: column names, columns to skip, the open times' unit."""

    columns: Mapping[str, str] | None
    ignore: Collection[str] | str
    time_unit: TimeUnit | None


def read_options(**options: Unpack[ReadOptions]) -> dict[str, Any]:
    """The keyword arguments every reader takes besides the item itself."""
    time_unit = options.get("time_unit")
    check_time_unit(time_unit)
    layout = ColumnMap(dict(options.get("columns") or {}), options.get("ignore", ()))
    return {
        "step_ms": TableSource.base_step_ms,
        "columns": layout.columns,
        "ignore": layout.ignore,
        "time_unit": time_unit,
    }
