"""The HTML report (adapters/reports): sections, the charts (plotly, or the static fallback),
one row per trade, prices by the exchange's format_price, research metrics on a short run,
simulation assumptions from the config, self-containment; the PNG export and the equity curve.
(tests/test_browser_reports.py opens the pages in Chromium.)"""

from __future__ import annotations

import base64
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hand_market import LONG_SL, LONG_TP, SHORT_TP, register_market

from backtestkit.actors import Backtest, set_config
from backtestkit.adapters.reports import (
    MISSING_MATPLOTLIB,
    equity_curve,
    render_html,
    write_html,
    write_png,
)

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
