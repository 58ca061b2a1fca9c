"""The HTML report (adapters/reports): sections, the charts (plotly, or the static fallback),
one row per trade, prices by the exchange's format_price, research metrics on a short run,
simulation assumptions from the config, self-containment; the PNG export and the equity curve.
(tests/test_browser_reports.py opens the pages in Chromium.)"""

from __future__ import annotations

import base64
import dataclasses
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from hand_market import LONG_SL, LONG_TP, MIN, SHORT_TP, T0, minute_of, register_market

from backtestkit.actors import Backtest, add_exchange, set_config
from backtestkit.actors.core import registry
from backtestkit.actors.market import CandleTable
from backtestkit.adapters.reports import (
    MISSING_MATPLOTLIB,
    equity_curve,
    render_html,
    research_rows,
    write_html,
    write_png,
)
from backtestkit.adapters.reports.price_data import price_bars, trade_marks

pytest.importorskip("matplotlib")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Outline(HTMLParser):
    """Collects section ids and titles, images, trade rows and every external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.titles: list[str] = []
        self.images: list[str] = []
        self.trade_rows = 0
        self.trade_cells: list[list[str]] = []
        self.links: list[str] = []
        self._in_trades = self._in_body = self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id") or "")
        elif tag == "h2":
            self._in_h2 = True
        elif tag == "img":
            self.images.append(a.get("src") or "")
        elif tag == "table" and a.get("class") == "trades":
            self._in_trades = True
        elif tag == "tbody" and self._in_trades:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.trade_rows += 1
            self.trade_cells.append([])
        for key in ("href", "src"):
            value = a.get(key)
            if value and not value.startswith("data:"):
                self.links.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_trades = self._in_body = False
        elif tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.titles.append(data)
        elif self._in_body and self.trade_cells:
            self.trade_cells[-1].append(data)


def _outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture
def aaa() -> None:
    """AAA of the hand-made market: take_profit, stop_loss, take_profit (short)."""
    register_market()
    Backtest.run_sync("AAA", strategy="plan", exchange="hand", frame="f")


SECTIONS = ["summary", "research", "price", "equity", "trades", "assumptions"]
TITLES = [
    "Summary statistics",
    "Research metrics",
    "Price, entries and exits",
    "Equity curve and drawdown",
    "Trades (oldest first)",
    "Simulation assumptions",
]


def test_static_fallback_sections_chart_and_one_row_per_trade(aaa: None, tmp_path: Path) -> None:
    """Without plotly (interactive=False): the equity chart is a PNG, no script at all."""
    path = write_html("AAA", "plan", tmp_path / "report.html", interactive=False)
    html = path.read_text(encoding="utf-8")
    outline = _outline(html)
    assert outline.sections == SECTIONS
    assert outline.titles == TITLES
    assert "The interactive price chart needs plotly: pip install 'backtestkit[plot]'." in html
    [image] = outline.images
    prefix = "data:image/png;base64,"
    assert image.startswith(prefix)
    assert base64.b64decode(image[len(prefix) :]).startswith(PNG_MAGIC)
    assert outline.trade_rows == 3
    reasons = [
        next(c for c in row if c in ("take_profit", "stop_loss")) for row in outline.trade_cells
    ]
    assert reasons == ["take_profit", "stop_loss", "take_profit"]  # oldest first
    assert outline.links == []  # nothing to fetch: viewable offline
    assert "<style>" in html and "<script" not in html


def test_summary_numbers(aaa: None) -> None:
    html = render_html(Backtest.get_data("AAA", "plan"), strategy="plan", symbol="AAA")
    total = LONG_TP + LONG_SL + SHORT_TP
    assert "<title>Backtest report: plan on AAA</title>" in html
    assert f"<td>Total PnL (net)</td><td>{total:+.2f} %</td>" in html
    assert "<td>Wins / losses</td><td>2 / 1</td>" in html
    assert f"<td>Max drawdown</td><td>{LONG_TP - (LONG_TP + LONG_SL):.2f} pp</td>" in html


def test_assumptions_follow_the_config(aaa: None) -> None:
    set_config(CC_PERCENT_SLIPPAGE=0.05, CC_PERCENT_FEE=0.075, CC_AVG_PRICE_CANDLES_COUNT=7)
    html = render_html(Backtest.get_data("AAA", "plan"), strategy="plan")
    for text in (
        "<dt>Slippage</dt><dd>0.05 % per side",
        "<dt>Fees</dt><dd>0.075 % per side",
        "2 × 0.075 % = 0.15 %",
        "VWAP of the last 7 one-minute candles",
        "the take-profit wins",
        "<dt>Limit entries</dt>",
        "<dt>Expiry</dt>",
        "not filled within 120 minutes",
        "<dt>Candle visibility</dt><dd>Reference profile",
    ):
        assert text in html
    set_config(CC_LOOKAHEAD_PROFILE="safe")
    html = render_html(Backtest.get_data("AAA", "plan"), strategy="plan")
    assert "<dt>Candle visibility</dt><dd>Safe profile" in html


def test_no_trades_no_chart(tmp_path: Path) -> None:
    register_market()
    html = write_html("AAA", "plan", tmp_path).read_text(encoding="utf-8")  # a folder
    outline = _outline(html)
    assert outline.images == [] and outline.trade_rows == 0
    assert "No signals closed yet." in html
    assert (tmp_path / "plan.html").is_file()


def test_png_export(aaa: None, tmp_path: Path) -> None:
    path = write_png("AAA", "plan", tmp_path / "equity.png")
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert write_png("AAA", "plan", tmp_path / "again.png").read_bytes() == path.read_bytes()


def test_equity_curve_oldest_first(aaa: None) -> None:
    stats = Backtest.get_data("AAA", "plan")
    curve = equity_curve(stats)
    assert curve.cumulative == pytest.approx(
        [0, LONG_TP, LONG_TP + LONG_SL, LONG_TP + LONG_SL + SHORT_TP]
    )
    assert curve.drawdown == pytest.approx([0, 0, LONG_SL, LONG_SL + SHORT_TP])
    assert curve.max_drawdown == pytest.approx(stats.max_drawdown)
    assert list(curve.timestamps) == sorted(curve.timestamps)


def _without(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, package, None)  # import package -> ImportError


def test_without_plotly_and_matplotlib_tables_only(
    aaa: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _without(monkeypatch, "plotly")
    _without(monkeypatch, "matplotlib")
    html = write_html("AAA", "plan", tmp_path / "plain.html").read_text(encoding="utf-8")
    outline = _outline(html)
    assert outline.sections == SECTIONS and outline.images == [] and outline.trade_rows == 3
    assert "Charts need plotly: pip install 'backtestkit[plot]'." in html
    assert "<script" not in html
    with pytest.raises(ImportError) as caught:
        write_png("AAA", "plan", tmp_path / "equity.png")
    assert str(caught.value) == MISSING_MATPLOTLIB
    assert "pip install 'backtestkit[png]'" in MISSING_MATPLOTLIB


# --- what the charts and tables show ---------------------------------------------------------


def test_trade_marks_of_the_hand_market(aaa: None) -> None:
    """One entry and one exit per trade, at the prices and minutes tests/hand_market.py plans."""
    marks = trade_marks(Backtest.get_data("AAA", "plan"), lambda p: f"{p:.1f}")
    assert [(m.position, minute_of(m.entry_ms), m.entry_price) for m in marks] == [
        ("long", 20, 100.0),
        ("long", 40, 100.0),
        ("short", 60, 100.0),
    ]
    assert [(minute_of(m.exit_ms), m.exit_price, m.close_reason) for m in marks] == [
        (30, 101.0, "take_profit"),
        (45, 99.0, "stop_loss"),
        (70, 99.0, "take_profit"),
    ]
    assert [(m.take_profit, m.stop_loss) for m in marks] == [(101, 99), (101, 99), (99, 101)]
    assert "at 100.0<br>take-profit 101.0, stop-loss 99.0" in marks[0].entry_text
    assert f"PnL {LONG_SL:+.2f} % (net)<br>held 5 min" in marks[1].exit_text


def test_price_bars_resample_to_a_readable_count() -> None:
    """3000 one-minute candles, at most 2000 bars: 5-minute bars (600), each the first open,
    the highest high, the lowest low and the last close of its five minutes."""
    n = 3000
    minutes = np.arange(n, dtype=np.float64)
    table = CandleTable(
        T0 + np.arange(n, dtype=np.int64) * MIN, 100 + minutes, 100.5 + minutes,
        99.5 + minutes, 100.25 + minutes, np.ones(n), step_ms=MIN,
    )  # fmt: skip
    bars = price_bars(table, T0, T0 + (n - 1) * MIN)
    assert bars.minutes == 5 and len(bars) == 600
    assert (bars.timestamp[0], bars.open[0], bars.high[0], bars.low[0], bars.close[0]) == (
        T0, 100.0, 104.5, 99.5, 104.25
    )
    assert bars.timestamp[-1] == T0 + 2995 * MIN and bars.close[-1] == 100.25 + 2999
    few = price_bars(table, T0 + 10 * MIN, T0 + 19 * MIN)  # 10 candles: kept as they are
    assert few.minutes == 1 and list(few.open) == [110.0 + i for i in range(10)]


def test_prices_in_the_exchanges_format(tmp_path: Path) -> None:
    """The trades table shows prices as the run's exchange formats them (not 8 decimals)."""
    register_market()
    add_exchange(
        "hand-usd",
        candles=registry.exchange("hand").candles,
        format_price=lambda symbol, price: f"${price:,.3f}",
    )
    Backtest.run_sync("AAA", strategy="plan", exchange="hand-usd", frame="f")
    html = write_html("AAA", "plan", tmp_path / "r.html", interactive=False).read_text()
    cells = _outline(html).trade_cells
    assert [row[3:7] for row in cells] == [
        ["$100.000", "$101.000", "$101.000", "$99.000"],
        ["$100.000", "$99.000", "$101.000", "$99.000"],
        ["$100.000", "$99.000", "$99.000", "$101.000"],
    ]
    assert "100.00000000 USD" not in html


def test_research_on_a_short_run_says_not_available(aaa: None) -> None:
    """Frame f spans 140 minutes: no annualised figure; the same metrics over 30 days show."""
    research = Backtest.research("AAA", "plan", frame="f")
    rows = dict(research_rows(research))
    short = "n/a (run shorter than 30 days)"
    annualised = [
        "Return (annualised)",
        "Volatility (annualised)",
        "CAGR",
        "Sharpe ratio, daily equity returns, annualised",
        "Sortino ratio (annualised)",
        "Calmar ratio (annualised return / max drawdown)",
    ]
    assert [rows[label] for label in annualised] == [short] * 6
    assert rows["Return"] != short and rows["Profit factor"] != short
    month = dataclasses.replace(research, end=research.start + 30 * 86_400_000)
    assert all(dict(research_rows(month))[label] != short for label in annualised)


def test_the_three_sharpe_figures_are_named_apart(aaa: None, tmp_path: Path) -> None:
    text = write_html("AAA", "plan", tmp_path / "r.html", interactive=False).read_text()
    for label in (
        "Sharpe ratio, per trade (reference)",
        "Sharpe ratio, per trade × √365 (reference)",
        "Sharpe ratio, daily equity returns, annualised",
    ):
        assert text.count(f"<td>{label}</td>") == 1


def test_interactive_report_is_self_contained(aaa: None, tmp_path: Path) -> None:
    pytest.importorskip("plotly")
    html = write_html("AAA", "plan", tmp_path / "live.html").read_text(encoding="utf-8")
    outline = _outline(html)
    assert outline.links == [] and outline.images == []  # plotly.js is inline, nothing fetched
    assert html.count("Plotly.newPlot(") == 2  # the bundle is inline: no script src at all
    assert html.count('id="price-chart"') == 1 and html.count('id="equity-chart"') == 1
    assert outline.sections == SECTIONS and outline.trade_rows == 3
