"""Column configuration (SPEC 2): the columns each of the nine report tables renders by default.

`set_columns(unsafe=False, **tables)` merges tables into the configuration and (unless `unsafe`)
validates the whole of it; on failure nothing changes and `ValueError("Column configuration
validation failed: ...")` lists every problem. A report rendered without explicit columns uses
`configured_columns(<table>)` at the time it renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from ..core.engine import EngineLocal, engine_bound
from .columns import (
    BACKTEST_COLUMNS,
    Column,
    column_problems,
    raise_column_problems,
)
from .live_columns import LIVE_COLUMNS
from .tables import (
    HEAT_COLUMNS,
    PARTIAL_COLUMNS,
    PERFORMANCE_COLUMNS,
    RISK_COLUMNS,
    SCHEDULE_COLUMNS,
)
from .walker_columns import WALKER_PNL_COLUMNS, WALKER_STRATEGY_COLUMNS

__all__ = [
    "COLUMN_TABLES",
    "ColumnTables",
    "configured_columns",
    "get_columns",
    "get_default_columns",
    "reset_columns",
    "set_columns",
]

COLUMN_TABLES: tuple[str, ...] = (
    "backtest_columns",
    "live_columns",
    "schedule_columns",
    "heat_columns",
    "performance_columns",
    "partial_columns",
    "risk_columns",
    "walker_strategy_columns",
    "walker_pnl_columns",
)
"""The nine configurable tables, by their reference names."""

ColumnTables = Mapping[str, tuple[Column, ...]]


def _default_tables() -> ColumnTables:
    return MappingProxyType(
        {
            "backtest_columns": BACKTEST_COLUMNS,
            "live_columns": LIVE_COLUMNS,
            "schedule_columns": SCHEDULE_COLUMNS,
            "heat_columns": HEAT_COLUMNS,
            "performance_columns": PERFORMANCE_COLUMNS,
            "partial_columns": PARTIAL_COLUMNS,
            "risk_columns": RISK_COLUMNS,
            "walker_strategy_columns": WALKER_STRATEGY_COLUMNS,
            "walker_pnl_columns": WALKER_PNL_COLUMNS,
        }
    )


class _ColumnSettings:
    """The process-wide column configuration (defaults built on first use)."""

    __slots__ = ("_current", "_defaults")

    def __init__(self) -> None:
        self._defaults: ColumnTables | None = None
        self._current: dict[str, tuple[Column, ...]] | None = None

    @property
    def defaults(self) -> ColumnTables:
        if self._defaults is None:
            self._defaults = _default_tables()
        return self._defaults

    @property
    def current(self) -> dict[str, tuple[Column, ...]]:
        if self._current is None:
            self._current = dict(self.defaults)
        return self._current

    def update(self, tables: Mapping[str, object], unsafe: bool) -> None:
        unknown = sorted(set(tables) - set(COLUMN_TABLES))
        if unknown:
            raise ValueError(
                f"set_columns: unknown table(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(COLUMN_TABLES)}"
            )
        merged: dict[str, object] = {**self.current, **tables}
        if not unsafe:
            problems = [p for name in COLUMN_TABLES for p in column_problems(merged[name], name)]
            raise_column_problems(problems)
        self._current = {name: _as_tuple(name, merged[name]) for name in COLUMN_TABLES}

    def reset(self) -> None:
        self._current = None


def _as_tuple(name: str, columns: object) -> tuple[Column, ...]:
    if isinstance(columns, tuple):
        return columns
    if isinstance(columns, str | bytes) or not isinstance(columns, Iterable):
        raise ValueError(f"set_columns: {name} must be a sequence of columns")
    return tuple(columns)


_SETTINGS: EngineLocal[_ColumnSettings] = EngineLocal("columns", lambda _e: _ColumnSettings())
_settings = engine_bound(_SETTINGS)


def set_columns(unsafe: bool = False, **tables: Sequence[Column]) -> None:
    """Merge `tables` (e.g. `backtest_columns=[...]`) into the configuration.

    Validated unless `unsafe`: every column needs a non-empty string `key` and `label`, a
    callable `format(row, index)` and a callable `is_visible()`, keys unique per table. On a
    problem nothing changes and `ValueError` lists them all (numbered).
    """
    _settings.update(tables, unsafe)


def get_columns() -> dict[str, tuple[Column, ...]]:
    """A copy of the current configuration: table name -> columns."""
    return dict(_settings.current)


def get_default_columns() -> ColumnTables:
    """The reference's defaults for the nine tables (a read-only mapping)."""
    return _settings.defaults


def reset_columns() -> None:
    """Back to the defaults."""
    _settings.reset()


def configured_columns(table: str) -> tuple[Column, ...]:
    """The columns `table` renders when a report is asked for without explicit columns."""
    try:
        return _settings.current[table]
    except KeyError:
        raise ValueError(
            f"unknown column table {table!r}; allowed: {', '.join(COLUMN_TABLES)}"
        ) from None
