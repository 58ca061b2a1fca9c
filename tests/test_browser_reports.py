"""Every HTML report opened in a real headless Chromium (Debian's `chromium`; `.ci/run`
installs it when missing): no error or console error, no horizontal overflow in a 1280 px and
a 390 px wide window, and the price chart draws one marker per entry and one per exit.

The browser is driven by tests/browser.py (a probe script added to a copy of the page,
results read back with --dump-dom)."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from browser import chromium, probe
from hand_market import register_market

from backtestkit.actors import Backtest
from backtestkit.adapters.reports import write_html

pytest.importorskip("plotly", reason="the interactive reports need plotly (extra 'plot')")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium() is None,
        reason="no chromium on PATH: install Debian's chromium (`.ci/run` does, as root)",
    ),
]

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "examples" / "schemas.py"
WIDTHS = (1280, 390)


def _fits_and_clean(page: Path) -> dict[int, dict[str, object]]:
    """Asserts no errors and no overflow at both widths; returns the charts per width."""
    seen = probe(page, WIDTHS)
    for width, result in seen.items():
        assert result.errors == [], (width, result.errors)
        assert result.inner_width == width
        assert result.scroll_width <= width, (width, result.scroll_width, result.wide)
        assert result.wide == [], (width, result.wide)
    return {width: result.charts for width, result in seen.items()}


def test_hand_market_report_marks_its_three_trades(tmp_path: Path) -> None:
    """AAA of tests/hand_market.py: three trades (long TP, long SL, short TP), so three entry
    and three exit markers, at both widths."""
    register_market()
    results = Backtest.run_sync("AAA", strategy="plan", exchange="hand", frame="f")
    assert [r.close_reason for r in results] == ["take_profit", "stop_loss", "take_profit"]
    charts = _fits_and_clean(write_html("AAA", "plan", tmp_path / "aaa.html"))
    for width in WIDTHS:
        price = charts[width]["price-chart"]
        assert price["data_points"] == {"entries": 3, "exits": 3}  # type: ignore[index]
        assert price["drawn_points"] == {"entries": 3, "exits": 3}  # type: ignore[index]
        # the drawdown axis (y2: 0 down to -1.40 pp) is readable: several labelled ticks
        assert charts[width]["equity-chart"]["y_ticks"]["y2tick"] >= 3  # type: ignore[index]
        assert charts[width]["equity-chart"]["y_ticks"]["ytick"] >= 3  # type: ignore[index]


def test_sma_report_marks_every_entry_and_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 14-day SMA example: one entry and one exit marker per closed signal."""
    monkeypatch.syspath_prepend(str(SCHEMAS.parent))
    runpy.run_path(str(SCHEMAS))
    results = Backtest.run_sync("BTCUSD", strategy="sma-cross", exchange="bitstamp",
                                frame="aug-2026")  # fmt: skip
    closed = [r for r in results if r.action == "closed"]
    assert len(closed) == Backtest.get_data("BTCUSD", "sma-cross").total_signals > 50
    charts = _fits_and_clean(write_html("BTCUSD", "sma-cross", tmp_path / "sma.html"))
    for width in WIDTHS:
        price = charts[width]["price-chart"]
        expected = {"entries": len(closed), "exits": len(closed)}
        assert price["drawn_points"] == expected  # type: ignore[index]


def test_walker_report_from_the_cli(tmp_path: Path) -> None:
    """`backtestkit walk --html` on examples/schemas.py's walker "compare" (three strategies,
    each of which trades in August): the ranking, the metric chart, one equity curve per
    strategy and the overfitting check."""
    page = tmp_path / "walk.html"
    done = subprocess.run(
        [sys.executable, "-m", "backtestkit.adapters.cli", "walk", str(SCHEMAS),
         "--symbol", "BTCUSD", "--walker", "compare", "--html", str(page), "--quiet"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "BACKTESTKIT_LOG_LEVEL": "warning"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    charts = _fits_and_clean(page)
    curves = {f"equity:{name}" for name in ("sma-5-20", "sma-10-40", "mean-reversion")}
    for width in WIDTHS:
        assert set(charts[width]) == {"walker-metric-chart", "walker-equity-chart"}
        assert set(charts[width]["walker-equity-chart"]["data_points"]) == curves  # type: ignore[index]
    html = page.read_text(encoding="utf-8")
    assert "<h2>Ranking</h2>" in html and "<h2>Overfitting check</h2>" in html


def test_the_probe_sees_errors_and_overflow(tmp_path: Path) -> None:
    """The checks above can fail: a page with a script error, a console.error and a table
    wider than the window is reported as such."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        "<div style='width:1500px'>wide</div><script>console.error('boom');"
        "undefinedFunction();</script></body></html>"
    )
    seen = probe(page, WIDTHS)
    for width in WIDTHS:
        assert seen[width].scroll_width == 1500 + 8  # the div plus body's 8 px margin
        assert seen[width].errors[0] == "console.error: boom"
        assert "undefinedFunction is not defined" in seen[width].errors[1]
