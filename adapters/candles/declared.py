"""The options every reader of files and DataFrames takes (`columns=`, `ignore=`,
`time_unit=`), checked when the source is built."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TypedDict

from backtestkit.actors.market.table_source import TableSource

from .column_map import ColumnMap
from .time_units import TimeUnit, check_time_unit

__all__ = ["ReadOptions", "TableOptions", "check_keywords", "read_options"]


class ReadOptions(TypedDict, total=False):
    """How a source's items are read: column names, columns to skip, the open times' unit."""

    columns: Mapping[str, str] | None
    ignore: Collection[str] | str
    time_unit: TimeUnit | None


class TableOptions(ReadOptions, total=False):
    """A reader's options: a source's, and the step of the table's rows (ms)."""

    step_ms: int


def check_keywords(options: Mapping[str, object], known: Collection[str], owner: str) -> None:
    """A misspelt option is a TypeError, as for any keyword a function does not take."""
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"{owner}() got an unexpected keyword argument {unknown[0]!r}")


def read_options(owner: str, options: ReadOptions) -> TableOptions:
    """The keyword arguments every reader takes besides the item itself."""
    check_keywords(options, ReadOptions.__optional_keys__, owner)
    time_unit = options.get("time_unit")
    check_time_unit(time_unit)
    layout = ColumnMap(dict(options.get("columns") or {}), options.get("ignore", ()))
    return {
        "step_ms": TableSource.base_step_ms,
        "columns": layout.columns,
        "ignore": layout.ignore,
        "time_unit": time_unit,
    }
