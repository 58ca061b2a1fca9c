"""The text every Markdown report shares (SPEC 10): title, empty line, body; no final newline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .column_config import configured_columns
from .columns import Column, markdown_table

__all__ = ["configured_table", "statistics_report", "table_report"]


def statistics_report(title: str, *lines: str) -> str:
    """A report's text: its title, an empty line, then `lines` (SPEC 10, no final newline)."""
    return "\n".join([title, "", *lines])


def configured_table(
    table: str, rows: Sequence[Any], columns: Sequence[Column] | None
) -> list[str]:
    """The Markdown table over `rows`: `columns`, else the configured `table` columns (SPEC 2)."""
    return markdown_table(rows, columns if columns is not None else configured_columns(table))


def table_report(
    title: str,
    total: int,
    empty: str,
    table: str,
    rows: Sequence[Any],
    columns: Sequence[Column] | None,
    summary: Sequence[str],
) -> str:
    """Title, empty line, then `empty` when the statistics count nothing (`total` is 0), else
    the table over `rows` (`columns`, else the configured `table` ones), empty line, `summary`."""
    if total == 0:
        return statistics_report(title, empty)
    return statistics_report(title, *configured_table(table, rows, columns), "", *summary)
