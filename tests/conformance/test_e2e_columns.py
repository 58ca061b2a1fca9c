"""SCENARIOS B.8 e2e/columns: the column configuration (SPEC 2): set_columns / get_columns /
get_default_columns, validation with rollback.

Each test first resets with `set_columns(unsafe=True, **get_default_columns())`. A defective
column is a plain object missing or spoiling one attribute; the reference's `isVisible` is
`is_visible` here.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from backtestkit.actors.reports import (
    BACKTEST_COLUMNS,
    COLUMN_TABLES,
    Column,
    get_columns,
    get_default_columns,
    set_columns,
)

FAILED = "Column configuration validation failed:"


@pytest.fixture(autouse=True)
def default_columns() -> None:
    set_columns(unsafe=True, **get_default_columns())


def fmt(row: Any, index: int) -> str:
    return "x"


def visible() -> bool:
    return True


def column(**fields: Any) -> SimpleNamespace:
    """A column-like object: key "test", label "Test", callable format / is_visible, then
    `fields` (a value of `...` removes that attribute)."""
    values = {"key": "test", "label": "Test", "format": fmt, "is_visible": visible, **fields}
    return SimpleNamespace(**{name: value for name, value in values.items() if value is not ...})


def rejected(*columns: Any) -> str:
    """set_columns(backtest_columns=[...]) in safe mode must fail; the message."""
    with pytest.raises(ValueError) as info:
        set_columns(backtest_columns=list(columns))
    message = str(info.value)
    assert message.startswith(FAILED + "\n  1. ")
    return message


def test_columns_defaults_pass() -> None:
    """e2e/columns/defaults-pass"""
    set_columns(**get_default_columns())
    assert get_columns() == dict(get_default_columns())


def test_columns_get_copy() -> None:
    """e2e/columns/get-copy"""
    first, second = get_columns(), get_columns()
    assert first is not second
    assert first == second
    first["backtest_columns"] = ()  # a copy: the configuration is untouched
    assert get_columns()["backtest_columns"] == BACKTEST_COLUMNS


def test_columns_defaults_frozen() -> None:
    """e2e/columns/defaults-frozen"""
    defaults: Any = get_default_columns()
    with pytest.raises(TypeError):
        defaults["backtest_columns"] = ()
    with pytest.raises(TypeError):
        del defaults["risk_columns"]
    assert all(isinstance(columns, tuple) for columns in defaults.values())
    assert defaults["backtest_columns"] == BACKTEST_COLUMNS


def test_columns_default_keys() -> None:
    """e2e/columns/default-keys"""
    assert set(get_default_columns()) == {
        "backtest_columns",
        "heat_columns",
        "live_columns",
        "partial_columns",
        "performance_columns",
        "risk_columns",
        "schedule_columns",
        "walker_pnl_columns",
        "walker_strategy_columns",
    }
    assert set(COLUMN_TABLES) == set(get_default_columns())


def test_columns_missing_key() -> None:
    """e2e/columns/missing-key"""
    assert 'Missing required field "key"' in rejected(column(key=...))


def test_columns_missing_label() -> None:
    """e2e/columns/missing-label"""
    assert 'Missing required field "label"' in rejected(column(label=...))


def test_columns_missing_format() -> None:
    """e2e/columns/missing-format"""
    assert 'Missing required field "format"' in rejected(column(format=...))


def test_columns_missing_is_visible() -> None:
    """e2e/columns/missing-is-visible"""
    assert 'Missing required field "is_visible"' in rejected(column(is_visible=...))


def test_columns_empty_key() -> None:
    """e2e/columns/empty-key"""
    assert "key must be a non-empty string" in rejected(column(key=""))


def test_columns_empty_label() -> None:
    """e2e/columns/empty-label"""
    assert "label must be a non-empty string" in rejected(column(label=""))


def test_columns_format_not_callable() -> None:
    """e2e/columns/format-not-callable"""
    assert "format must be a function" in rejected(column(format="invalid"))


def test_columns_is_visible_not_callable() -> None:
    """e2e/columns/is-visible-not-callable"""
    assert "is_visible must be a function" in rejected(column(is_visible=True))
    assert "is_visible must be a function" in rejected(column(is_visible="invalid"))


def test_columns_duplicate_key() -> None:
    """e2e/columns/duplicate-key"""
    message = rejected(
        column(key="duplicate", label="First"), column(key="duplicate", label="Second")
    )
    assert 'Duplicate key "duplicate"' in message


def test_columns_valid_custom() -> None:
    """e2e/columns/valid-custom"""
    custom = Column("customSignal", "Custom Signal", lambda row, _i: row.signal.id)
    set_columns(backtest_columns=[custom])
    assert get_columns()["backtest_columns"] == (custom,)


def test_columns_rollback() -> None:
    """e2e/columns/rollback"""
    saved = get_columns()
    with pytest.raises(ValueError, match=f"^{FAILED}"):
        set_columns(
            backtest_columns=[Column("ok", "OK", fmt)],
            risk_columns=[column(key="")],  # one bad table spoils the whole update
        )
    assert get_columns() == saved


def test_columns_partial_update() -> None:
    """e2e/columns/partial-update"""
    before = get_columns()
    set_columns(backtest_columns=[Column("newCustom", "New Custom", fmt)])
    after = get_columns()
    assert after["backtest_columns"][0].key == "newCustom"
    assert {name: after[name] for name in after if name != "backtest_columns"} == {
        name: before[name] for name in before if name != "backtest_columns"
    }


def test_columns_key_not_string() -> None:
    """e2e/columns/key-not-string"""
    assert "key must be a non-empty string" in rejected(column(key=123))


def test_columns_label_not_string() -> None:
    """e2e/columns/label-not-string"""
    assert "label must be a non-empty string" in rejected(column(label=456))


def test_columns_aggregated() -> None:
    """e2e/columns/aggregated"""
    message = rejected(column(key="", label="", format="invalid", is_visible="invalid"))
    assert len(re.findall(r"\d+\.", message)) >= 4
    assert [line.split(". ", 1)[0].strip() for line in message.split("\n")[1:]] == [
        "1",
        "2",
        "3",
        "4",
    ]
