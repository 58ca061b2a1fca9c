"""Report table columns (SPEC 2 "Column configuration", SPEC 10 / 10.2) and the Markdown table.

A column is `Column(key, label, format(row, index) -> str, is_visible() -> bool)`;
`is_visible` is evaluated each time a table is rendered, so the Note column follows the live
`CC_REPORT_SHOW_SIGNAL_NOTE` setting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from backtestkit.bus.results import Closed

from ..core.config import get_config
from .formatting import iso_ms, js_round, price_usd, signed

__all__ = [
    "BACKTEST_COLUMNS",
    "Column",
    "column_problems",
    "markdown_table",
    "note_visible",
    "raise_column_problems",
    "validate_columns",
    "visible_columns",
]


def _always() -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Column:
    """One report column: `format(row, index)` renders a cell, `is_visible()` filters it."""

    key: str
    label: str
    format: Callable[[Any, int], str]
    is_visible: Callable[[], bool] = _always


def visible_columns(columns: Sequence[Column]) -> list[Column]:
    """The columns whose `is_visible()` is true, in order."""
    return [column for column in columns if column.is_visible()]


def markdown_table(rows: Sequence[Any], columns: Sequence[Column]) -> list[str]:
    """Header, `| --- |` separator and one line per row, over the visible columns only.

    Every line is `"| " + " | ".join(cells) + " |"`.
    """
    shown = visible_columns(columns)
    table: list[list[str]] = [
        [column.label for column in shown],
        ["---" for _ in shown],
    ]
    for index, row in enumerate(rows):
        table.append([column.format(row, index) for column in shown])
    return ["| " + " | ".join(cells) + " |" for cells in table]


def validate_columns(columns: Any, table: str = "columns") -> None:
    """SPEC 2 column validation; raises `ValueError` listing every problem (numbered).

    Each column needs a non-empty string `key` and `label`, a callable `format` and a callable
    `is_visible`; keys must be unique within the table.
    """
    raise_column_problems(column_problems(columns, table))


def raise_column_problems(problems: Sequence[str]) -> None:
    """Raise the SPEC 2 error (`Column configuration validation failed:` + numbered lines)."""
    if problems:
        lines = "\n".join(f"  {number}. {problem}" for number, problem in enumerate(problems, 1))
        raise ValueError(f"Column configuration validation failed:\n{lines}")


def column_problems(columns: Any, table: str = "columns") -> list[str]:
    """Every problem of one column table, in column order (empty when valid)."""
    errors: list[str] = []
    if isinstance(columns, str | bytes) or not isinstance(columns, Sequence):
        errors.append(f"{table} is not a sequence, got {type(columns).__name__}")
        return errors
    key_indexes: dict[str, list[int]] = {}
    for index, column in enumerate(columns):
        where = f"{table}[{index}]"
        fields = ("key", "label", "format", "is_visible")
        missing = [field for field in fields if not hasattr(column, field)]
        if len(missing) == 4:
            errors.append(f"{where}: Column must be a Column, got {type(column).__name__}")
            continue
        errors.extend(f'{where}: Missing required field "{field}"' for field in missing)
        key = getattr(column, "key", None)
        if not isinstance(key, str) or key.strip() == "":
            shown = f'"{key}"' if isinstance(key, str) else type(key).__name__
            errors.append(f"{where}.key must be a non-empty string, got {shown}")
        else:
            key_indexes.setdefault(key, []).append(index)
        label = getattr(column, "label", None)
        if not isinstance(label, str) or label.strip() == "":
            shown = f'"{label}"' if isinstance(label, str) else type(label).__name__
            errors.append(f"{where}.label must be a non-empty string, got {shown}")
        for field in ("format", "is_visible"):
            if field in missing:
                continue
            value = getattr(column, field)
            if not callable(value):
                errors.append(f'{where}.{field} must be a function, got "{type(value).__name__}"')
    for key, indexes in key_indexes.items():
        if len(indexes) > 1:
            joined = ", ".join(str(i) for i in indexes)
            errors.append(f'{table}: Duplicate key "{key}" at indexes {joined}')
    return errors


# --- backtest table (SPEC 10.2) ---------------------------------------------------------------


def _note(result: Closed, _index: int) -> str:
    return result.signal.note  # plain text since the signal opened; "" stays empty (SPEC 1.1.1)


def note_visible() -> bool:
    """The Note column's `is_visible`: follows `CC_REPORT_SHOW_SIGNAL_NOTE` (SPEC 10)."""
    return bool(get_config().CC_REPORT_SHOW_SIGNAL_NOTE)


def _duration_min(result: Closed, _index: int) -> str:
    return str(js_round((result.close_timestamp - result.signal.pending_at) / 60000))


BACKTEST_COLUMNS: tuple[Column, ...] = (
    Column("signal_id", "Signal ID", lambda r, _i: r.signal.id),
    Column("symbol", "Symbol", lambda r, _i: r.signal.symbol),
    Column("position", "Position", lambda r, _i: r.signal.position.upper()),
    Column("note", "Note", _note, note_visible),
    Column("open_price", "Open Price", lambda r, _i: price_usd(r.signal.price_open)),
    Column("close_price", "Close Price", lambda r, _i: price_usd(r.current_price)),
    Column("take_profit", "Take Profit", lambda r, _i: price_usd(r.signal.price_take_profit)),
    Column("stop_loss", "Stop Loss", lambda r, _i: price_usd(r.signal.price_stop_loss)),
    Column("pnl", "PNL (net)", lambda r, _i: signed(r.pnl.pnl_percentage, 2) + "%"),
    Column("close_reason", "Close Reason", lambda r, _i: r.close_reason),
    Column("duration", "Duration (min)", _duration_min),
    Column("open_timestamp", "Open Time", lambda r, _i: iso_ms(r.signal.pending_at)),
    Column("close_timestamp", "Close Time", lambda r, _i: iso_ms(r.close_timestamp)),
)
