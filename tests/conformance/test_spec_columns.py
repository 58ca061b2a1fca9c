"""SCENARIOS A.15 spec/columns: custom columns passed to Backtest.get_report / Backtest.dump.

MOCK, STD-LONG, 1d frame, background run: one trade (LONG, +1.950634 %). The columns go straight
to the call; the global column configuration (set_columns) is ported in test_e2e_columns.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backtestkit.actors import Backtest, Closed, add_strategy
from backtestkit.actors.reports import Column

from .harness import add_day_frame, add_mock_exchange, std_long
from .spec_support import SYMBOL, run_background

pytestmark = pytest.mark.anyio


async def _one_trade() -> str:
    """The signal id of the single STD-LONG trade."""
    add_mock_exchange()
    add_day_frame()
    add_strategy("cols", interval="1m", get_signal=std_long())
    await run_background(strategy="cols")
    stats = Backtest.get_data(SYMBOL, "cols")
    assert stats.total_signals == 1
    return stats.signal_list[0].signal.id


def _signal_id(label: str) -> Column:
    return Column("signalId", label, lambda r, _i: r.signal.id)


def _result(label: str = "Result") -> Column:
    return Column("pnl", label, lambda r, _i: "WIN" if r.pnl.pnl_percentage > 0 else "LOSS")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|") if cell.strip()]


async def test_custom_get_report() -> None:
    """spec/columns/custom-get-report"""
    signal_id = await _one_trade()

    def pnl(row: Closed, _index: int) -> str:
        return f"{row.pnl.pnl_percentage:.2f}%"

    columns = [
        _signal_id("ID"),
        Column("position", "Position", lambda r, _i: r.signal.position.upper()),
        Column("pnl", "PNL", pnl),
    ]
    report = Backtest.get_report(SYMBOL, "cols", columns)
    for header in ("| ID |", "| Position |", "| PNL |"):
        assert header in report
    assert "| Symbol |" not in report
    assert "| Take Profit |" not in report
    # computed: the one row
    assert f"| {signal_id} | LONG | 1.95% |" in report.split("\n")


async def test_custom_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """spec/columns/custom-dump"""
    signal_id = await _one_trade()
    monkeypatch.chdir(tmp_path)
    written = Backtest.dump(SYMBOL, "cols", "./test/temp", [_signal_id("Signal"), _result()])
    target = tmp_path / "test" / "temp" / "cols.md"
    assert target.exists()
    assert Path(written).resolve() == target.resolve()
    text = target.read_text(encoding="utf-8")
    assert "| Signal |" in text
    assert "| Result |" in text
    assert f"| {signal_id} | WIN |" in text.split("\n")  # computed


async def test_table_structure() -> None:
    """spec/columns/table-structure"""
    await _one_trade()
    report = Backtest.get_report(SYMBOL, "cols", [_signal_id("ID"), _result()])
    lines = report.split("\n")
    header = next(line for line in lines if "| ID |" in line)
    separator = next(line for line in lines if "| --- |" in line)
    assert _cells(header) == ["ID", "Result"]
    assert _cells(separator) == ["---", "---"]


async def test_default_columns() -> None:
    """spec/columns/default-columns"""
    await _one_trade()
    report = Backtest.get_report(SYMBOL, "cols")
    for header in (
        "| Signal ID |",
        "| Symbol |",
        "| Position |",
        "| Take Profit |",
        "| Stop Loss |",
    ):
        assert header in report
