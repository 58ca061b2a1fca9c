"""pandas hand-off (to_frame / to_series / Backtest.stats), the research section of the HTML
report and the notebook view, on the hand-made market whose every close is known."""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime, timedelta

import pytest
from hand_market import LONG_SL, LONG_TP, SHORT_TP, T0, register_market

from backtestkit.actors import Backtest
from backtestkit.actors.reports.tabular import CLOSED_COLUMNS, MISSING_PANDAS
from backtestkit.adapters.reports import BacktestView, show, write_html

pd = pytest.importorskip("pandas")
pytest.importorskip("matplotlib")


@pytest.fixture
def aaa() -> None:
    """AAA of the hand-made market: take_profit @30, stop_loss @45, take_profit (short) @70,
    entered at minutes 20, 40, 60; frame "f" spans minutes 10..150 (141 one-minute bars)."""
    register_market()
    Backtest.run_sync("AAA", strategy="plan", exchange="hand", frame="f")


def at(minute: int) -> datetime:
    return datetime.fromtimestamp(T0 / 1000, tz=UTC) + timedelta(minutes=minute)


def test_closed_signals_to_frame_oldest_first(aaa: None) -> None:
    frame = Backtest.get_data("AAA", "plan").to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(CLOSED_COLUMNS)
    assert list(frame["close_reason"]) == ["take_profit", "stop_loss", "take_profit"]
    assert list(frame["position"]) == ["long", "long", "short"]
    assert list(frame["opened_at"]) == [at(20), at(40), at(60)]
    assert list(frame["closed_at"]) == [at(30), at(45), at(70)]
    assert list(frame["duration"]) == [timedelta(minutes=m) for m in (10, 5, 10)]
    assert list(frame["pnl_percentage"]) == pytest.approx([LONG_TP, LONG_SL, SHORT_TP])


def test_stats_series_joins_reference_and_research_metrics(aaa: None) -> None:
    stats = Backtest.stats("AAA", "plan", frame="f")
    assert isinstance(stats, pd.Series)
    assert stats["total_signals"] == 3 and stats["win_count"] == 2
    assert stats["total_pnl"] == pytest.approx(LONG_TP + LONG_SL + SHORT_TP)
    # Held bars: minutes 20..30, 40..45, 60..70 of the 141 bars 10..150.
    assert stats["exposure_pct"] == pytest.approx((11 + 6 + 11) / 141 * 100)
    growth = (1 + LONG_TP / 100) * (1 + LONG_SL / 100) * (1 + SHORT_TP / 100)
    assert stats["equity_final"] == pytest.approx(10_000 * growth)
    assert stats["profit_factor"] == pytest.approx((LONG_TP + SHORT_TP) / -LONG_SL)
    assert stats["expectancy_pct"] == pytest.approx((LONG_TP + LONG_SL + SHORT_TP) / 3)
    assert stats["max_trade_duration_ms"] == 10 * 60_000
    assert stats["return_ann_pct"] is None  # one calendar day: no daily return
    assert stats["max_drawdown_pct"] == pytest.approx(-LONG_SL)  # the stop-loss from the peak
    assert math.isclose(Backtest.research("AAA", "plan", frame="f").exposure_pct, 28 / 141 * 100)


def test_missing_pandas_is_a_clear_error(aaa: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "pandas" or m.startswith("pandas.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError) as caught:
        Backtest.get_data("AAA", "plan").to_frame()
    assert str(caught.value) == MISSING_PANDAS


def test_html_report_with_research_section(aaa: None, tmp_path: object) -> None:
    html = write_html("AAA", "plan", f"{tmp_path}/r.html", frame="f").read_text(encoding="utf-8")
    order = [html.index(f'<section id="{s}">') for s in ("summary", "research", "equity")]
    assert order == sorted(order)
    assert f"<td>Exposure time</td><td>{28 / 141 * 100:.2f} %</td>" in html
    assert "<td>Profit factor</td>" in html


def test_notebook_view_renders_inline(aaa: None) -> None:
    view = show("AAA", "plan", frame="f")
    assert isinstance(view, BacktestView)
    html = view._repr_html_()
    assert "<h3>Backtest: plan on AAA</h3>" in html
    assert "<h4>Research metrics</h4>" in html
    assert 'src="data:image/png;base64,' in html
    assert "<td>Wins / losses</td><td>2 / 1</td>" in html
    plain = show("AAA", "plan")._repr_html_()
    assert "Research metrics" not in plain and "data:image/png" in plain
