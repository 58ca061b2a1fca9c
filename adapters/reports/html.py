"""The backtest HTML report: one self-contained file that opens offline.

Sections: summary statistics, research metrics (with the frame), the price chart with every
entry and exit, equity and drawdown, the trades table and the simulation assumptions. With
plotly (extra `plot`) the charts are interactive (hover, zoom) and plotly.js is inlined; without
it the equity chart falls back to a matplotlib PNG (extra `png`), else the page has tables only.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import structlog

from backtestkit.actors import Backtest, BacktestStatistics
from backtestkit.actors.backtest import BacktestMode
from backtestkit.actors.core import registry
from backtestkit.actors.core.path_names import file_name
from backtestkit.actors.exchange.exchange import exchange_actor
from backtestkit.actors.reports import Column, ResearchMetrics, get_columns
from backtestkit.actors.reports.columns import visible_columns
from backtestkit.actors.reports.formatting import iso_ms, signed, to_fixed
from backtestkit.actors.signal import SignalRejections

from .assumptions import simulation_assumptions
from .charts import equity_png, matplotlib_installed
from .equity import equity_curve
from .page import page, table_html
from .plotly_charts import equity_chart_plotly, plotly_head, plotly_installed, price_chart_plotly
from .price_data import PriceBars, price_bars, trade_marks
from .research_rows import research_rows

__all__ = [
    "PriceFormat",
    "equity_chart_html",
    "render_html",
    "research_table_html",
    "summary_table_html",
    "write_html",
    "write_png",
]

PriceFormat = Callable[[float], str]


_log = structlog.get_logger("backtestkit.reports")
_NA = "N/A"
_NO_PLOTLY = (
    '<p class="note">The interactive price chart needs plotly: '
    "pip install 'backtestkit[plot]'.</p>"
)
_PRICE_KEYS: dict[str, Callable[[Any], float]] = {
    "open_price": lambda r: r.signal.price_open,
    "close_price": lambda r: r.current_price,
    "take_profit": lambda r: r.signal.price_take_profit,
    "stop_loss": lambda r: r.signal.price_stop_loss,
}


_TIME_KEYS: dict[str, Callable[[Any], int]] = {
    "open_timestamp": lambda r: r.signal.pending_at,
    "close_timestamp": lambda r: r.close_timestamp,
}


def _minute(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def _plain_price(price: float) -> str:
    return f"{price:,.2f}"


def _pct(value: float | None, digits: int = 2, sign: bool = True) -> str:
    if value is None:
        return _NA
    return (signed(value, digits) if sign else to_fixed(value, digits)) + " %"


def _num(value: float | None, digits: int = 3) -> str:
    return _NA if value is None else to_fixed(value, digits)


def _pp(value: float | None) -> str:
    return _NA if value is None else f"{to_fixed(value, 2)} pp"


def _summary_rows(
    stats: BacktestStatistics, rejections: SignalRejections | None
) -> list[tuple[str, str]]:
    rows = [
        ("Closed signals", str(stats.total_signals)),
        ("Wins / losses", f"{stats.win_count} / {stats.loss_count}"),
        ("Win rate", _pct(stats.win_rate, sign=False)),
        ("Total PnL (net)", _pct(stats.total_pnl)),
        ("Average PnL", _pct(stats.avg_pnl)),
        ("Standard deviation", _pct(stats.std_dev, 3, sign=False)),
        ("Sharpe ratio, per trade (reference)", _num(stats.sharpe_ratio)),
        ("Sharpe ratio, per trade × √365 (reference)", _num(stats.annualized_sharpe_ratio)),
        ("Certainty ratio", _num(stats.certainty_ratio)),
        ("Expected yearly returns", _pct(stats.expected_yearly_returns)),
        ("Max drawdown", _pp(stats.max_drawdown)),
    ]
    if rejections is not None:
        rows.append(("Signals rejected by validation", str(rejections.count)))
    if stats.signal_list:
        first, last = stats.signal_list[-1], stats.signal_list[0]
        period = f"{iso_ms(first.signal.pending_at)} .. {iso_ms(last.close_timestamp)}"
        rows.append(("Period", period))
    return rows


def _cell(read: Callable[[Any], Any], show: Callable[[Any], str]) -> Callable[[Any, int], str]:
    return lambda row, _index: show(read(row))


def _shown_columns(columns: Sequence[Column], price: PriceFormat) -> list[Column]:
    """The visible columns; the four price columns formatted by the exchange's format_price,
    the two time columns to the minute (UTC)."""
    shown = []
    for column in visible_columns(columns):
        value = _PRICE_KEYS.get(column.key)
        stamp = _TIME_KEYS.get(column.key)
        if value is not None:
            column = Column(column.key, column.label, _cell(value, price))
        elif stamp is not None:
            column = Column(column.key, column.label, _cell(stamp, _minute))
        shown.append(column)
    return shown


def _trades(stats: BacktestStatistics, columns: Sequence[Column], price: PriceFormat) -> str:
    shown = _shown_columns(columns, price)
    rows = list(reversed(stats.signal_list))
    return table_html(
        [c.label for c in shown],
        [[c.format(result, index) for c in shown] for index, result in enumerate(rows)],
        "trades",
        row_classes=["win" if r.pnl.pnl_percentage > 0 else "loss" for r in rows],
        cell_classes=[c.key for c in shown],
        labelled=True,
    )


def _equity_png_html(stats: BacktestStatistics, strategy: str) -> str:
    png = equity_png(equity_curve(stats), title=f"{strategy}: cumulative PnL and drawdown")
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img id="equity-chart" alt="Equity curve and drawdown of {escape(strategy)}" '
        f'src="data:image/png;base64,{data}">'
    )


def equity_chart_html(
    stats: BacktestStatistics, strategy: str, *, interactive: bool | None = None
) -> str:
    """The equity + drawdown chart with its caption: plotly when `interactive` (default: when
    plotly is installed), else a matplotlib PNG, else a note naming the extra."""
    if not stats.signal_list:
        return "<p>No signals closed yet.</p>"
    if interactive if interactive is not None else plotly_installed():
        chart = equity_chart_plotly(equity_curve(stats), f"{strategy}: cumulative PnL and drawdown")
    elif matplotlib_installed():
        chart = _equity_png_html(stats, strategy)
    else:
        return "<p class=\"note\">Charts need plotly: pip install 'backtestkit[plot]'.</p>"
    return chart + (
        "<p>Cumulative PnL in percent over the closed signals, oldest first (each step "
        "is one closed signal, net of fees and slippage), and its drawdown from the "
        "running peak.</p>"
    )


def summary_table_html(
    stats: BacktestStatistics, rejections: SignalRejections | None = None
) -> str:
    return table_html(("Metric", "Value"), _summary_rows(stats, rejections), "summary")


def research_table_html(research: ResearchMetrics) -> str:
    """The research metrics (`Backtest.research`) as a two-column table."""
    return table_html(("Metric", "Value"), research_rows(research), "summary")


def _price_section(
    stats: BacktestStatistics,
    title: str,
    bars: PriceBars | None,
    price: PriceFormat,
    interactive: bool,
) -> str:
    if not interactive:
        return _NO_PLOTLY
    marks = trade_marks(stats, price)
    chart = price_chart_plotly(bars, marks, title)
    note = (
        ""
        if bars is not None
        else '<p class="note">No candles at hand for this exchange: trades only.</p>'
    )
    return (
        chart
        + note
        + "<p>Each triangle is an entry (up: long, down: short), each cross an exit (green: "
        "a gain, red: a loss); the dotted lines are each trade's take-profit and stop-loss "
        "while it was open. Drag to zoom, double-click to reset; hover for details.</p>"
    )


def render_html(
    stats: BacktestStatistics,
    *,
    strategy: str,
    symbol: str | None = None,
    columns: Sequence[Column] | None = None,
    research: ResearchMetrics | None = None,
    bars: PriceBars | None = None,
    price: PriceFormat | None = None,
    rejections: SignalRejections | None = None,
    interactive: bool | None = None,
) -> str:
    """The whole report as one HTML document. `research` adds the research metrics, `bars`
    the candles under the price chart, `price` formats prices (default 2 decimals),
    `rejections` the signals validation refused; `interactive` (default: plotly installed)
    picks plotly charts over the static fallback."""
    shown_columns = columns if columns is not None else get_columns()["backtest_columns"]
    price = price or _plain_price
    live = plotly_installed() if interactive is None else interactive
    title = f"Backtest report: {strategy}" + (f" on {symbol}" if symbol else "")
    chart = equity_chart_html(stats, strategy, interactive=live)
    trades = _trades(stats, shown_columns, price) if stats.signal_list else chart
    assumptions = "".join(
        f"<dt>{escape(topic)}</dt><dd>{escape(text)}</dd>"
        for topic, text in simulation_assumptions()
    )
    warning = [] if not rejections else [f'<pre class="warn">{escape(rejections.summary())}</pre>']
    chart_title = f"{symbol or ''} price, entries and exits of {strategy}".strip()
    body = [
        '<p class="meta">Generated by backtestkit from the newest '
        f"{stats.total_signals} closed signals; times in UTC.</p>",
        *warning,
        '<section id="summary"><h2>Summary statistics</h2>',
        summary_table_html(stats, rejections),
        "</section>",
        *(
            []
            if research is None
            else [
                '<section id="research"><h2>Research metrics</h2>',
                research_table_html(research),
                "<p>Realised equity compounding every closed signal's PnL from the starting "
                "capital, sampled on the frame's bars; definitions as backtesting.py's.</p>",
                "</section>",
            ]
        ),
        '<section id="price"><h2>Price, entries and exits</h2>',
        _price_section(stats, chart_title, bars, price, live),
        "</section>",
        f'<section id="equity"><h2>Equity curve and drawdown</h2>{chart}</section>',
        f'<section id="trades"><h2>Trades (oldest first)</h2>{trades}</section>',
        '<section id="assumptions"><h2>Simulation assumptions</h2>',
        f'<dl class="assumptions">{assumptions}</dl></section>',
    ]
    return page(title, body, head=plotly_head() if live else "")


def _run_market(
    backtest: BacktestMode, symbol: str, strategy: str, stats: BacktestStatistics
) -> tuple[PriceBars | None, PriceFormat, str | None]:
    """The latest run's candles over its frame (file-backed exchanges), its exchange's
    format_price and its frame name."""
    run = backtest.last_run(symbol, strategy)
    if run is None:
        return None, _plain_price, None
    actor = exchange_actor(registry.exchange(run.exchange))
    frame = registry.frame(run.frame)

    def price(value: float) -> str:
        return actor.format_price(symbol, value)

    bars = None
    if actor.is_table_backed:
        closes = [r.close_timestamp for r in stats.signal_list]
        end = max([frame.end_ms, *closes])
        bars = price_bars(actor.table(symbol, "1m"), frame.start_ms, end)
    return bars, price, run.frame


def _target(path: str | Path | None, strategy: str, suffix: str) -> Path:
    file = f"{file_name(strategy)}{suffix}"
    target = Path(path) if path is not None else Path("dump", "backtest", file)
    if target.suffix != suffix:
        target = target / file
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def write_html(
    symbol: str,
    strategy: str,
    path: str | Path | None = None,
    *,
    columns: Sequence[Column] | None = None,
    backtest: BacktestMode = Backtest,
    frame: str | None = None,
    interactive: bool | None = None,
) -> Path:
    """Write the HTML report of a finished backtest (default ./dump/backtest/<strategy>.html):
    the price chart over the run's candles with prices in its exchange's format_price, and the
    research metrics over `frame` (default: the run's frame)."""
    stats = backtest.get_data(symbol, strategy)
    bars, price, run_frame = _run_market(backtest, symbol, strategy, stats)
    frame = frame or run_frame
    research = None if frame is None else backtest.research(symbol, strategy, frame=frame)
    html = render_html(
        stats,
        strategy=strategy,
        symbol=symbol,
        columns=columns,
        research=research,
        bars=bars,
        price=price,
        rejections=backtest.get_rejections(symbol, strategy),
        interactive=interactive,
    )
    target = _target(path, strategy, ".html")
    target.write_text(html, encoding="utf-8")
    _log.info("report_saved", path=str(target))
    return target


def write_png(
    symbol: str, strategy: str, path: str | Path | None = None, *, backtest: BacktestMode = Backtest
) -> Path:
    """Write the equity + drawdown chart as a PNG (default ./dump/backtest/<strategy>.png)."""
    curve = equity_curve(backtest.get_data(symbol, strategy))
    png = equity_png(curve, title=f"{strategy} on {symbol}: cumulative PnL and drawdown")
    target = _target(path, strategy, ".png")
    target.write_bytes(png)
    _log.info("chart_saved", path=str(target))
    return target
