"""The backtest HTML report: one self-contained file (inline CSS, the chart as a base64 PNG).

Sections: summary statistics, equity curve and drawdown, the trades table (the configured
backtest columns, oldest first) and the simulation assumptions. Viewing it needs no network.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from pathlib import Path

import structlog

from backtestkit.actors import Backtest, BacktestStatistics
from backtestkit.actors.backtest import BacktestMode
from backtestkit.actors.core.path_names import file_name
from backtestkit.actors.reports import Column, ResearchMetrics, get_columns
from backtestkit.actors.reports.columns import visible_columns
from backtestkit.actors.reports.formatting import iso_ms, signed, to_fixed

from .assumptions import simulation_assumptions
from .charts import equity_png
from .equity import equity_curve
from .research_rows import research_rows

__all__ = [
    "equity_chart_html",
    "render_html",
    "research_table_html",
    "summary_table_html",
    "write_html",
    "write_png",
]

_log = structlog.get_logger("backtestkit.reports")
_NA = "N/A"
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;
margin:2rem auto;max-width:1200px;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;
padding-bottom:.3rem;margin-top:2rem}.meta{color:#59636e;margin-top:0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}th{background:#f6f8fa}
table.summary td:nth-child(2){text-align:right}.trades{font-size:12px;width:100%}
tr.win td.pnl{color:#1a7f37}tr.loss td.pnl{color:#d1242f}img{max-width:100%;height:auto}
dl.assumptions dt{font-weight:600;margin-top:.6rem}dl.assumptions dd{margin-left:1rem}
"""


def _pct(value: float | None, digits: int = 2, sign: bool = True) -> str:
    if value is None:
        return _NA
    return (signed(value, digits) if sign else to_fixed(value, digits)) + " %"


def _num(value: float | None, digits: int = 3) -> str:
    return _NA if value is None else to_fixed(value, digits)


def _pp(value: float | None) -> str:
    return _NA if value is None else f"{to_fixed(value, 2)} pp"


def _summary_rows(stats: BacktestStatistics) -> list[tuple[str, str]]:
    rows = [
        ("Closed signals", str(stats.total_signals)),
        ("Wins / losses", f"{stats.win_count} / {stats.loss_count}"),
        ("Win rate", _pct(stats.win_rate, sign=False)),
        ("Total PnL (net)", _pct(stats.total_pnl)),
        ("Average PnL", _pct(stats.avg_pnl)),
        ("Standard deviation", _pct(stats.std_dev, 3, sign=False)),
        ("Sharpe ratio", _num(stats.sharpe_ratio)),
        ("Annualized Sharpe ratio", _num(stats.annualized_sharpe_ratio)),
        ("Certainty ratio", _num(stats.certainty_ratio)),
        ("Expected yearly returns", _pct(stats.expected_yearly_returns)),
        ("Max drawdown", _pp(stats.max_drawdown)),
    ]
    if stats.signal_list:
        first, last = stats.signal_list[-1], stats.signal_list[0]
        period = f"{iso_ms(first.signal.pending_at)} .. {iso_ms(last.close_timestamp)}"
        rows.append(("Period", period))
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], css: str) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _trades(stats: BacktestStatistics, columns: Sequence[Column]) -> str:
    shown = visible_columns(columns)
    head = "".join(f"<th>{escape(c.label)}</th>" for c in shown)
    lines = []
    for index, result in enumerate(reversed(stats.signal_list)):
        outcome = "win" if result.pnl.pnl_percentage > 0 else "loss"
        cells = "".join(
            f'<td class="{escape(c.key)}">{escape(c.format(result, index))}</td>' for c in shown
        )
        lines.append(f'<tr class="{outcome}">{cells}</tr>')
    body = "\n".join(lines)
    return f'<table class="trades"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def equity_chart_html(stats: BacktestStatistics, strategy: str) -> str:
    """The equity + drawdown chart as an inline <img> with its caption (needs matplotlib)."""
    if not stats.signal_list:
        return "<p>No signals closed yet.</p>"
    png = equity_png(equity_curve(stats), title=f"{strategy}: cumulative PnL and drawdown")
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img id="equity-chart" alt="Equity curve and drawdown of {escape(strategy)}" '
        f'src="data:image/png;base64,{data}">'
        "<p>Cumulative PnL in percent over the closed signals, oldest first (each step "
        "is one closed signal, net of fees and slippage), and its drawdown from the "
        "running peak.</p>"
    )


def summary_table_html(stats: BacktestStatistics) -> str:
    return _table(("Metric", "Value"), _summary_rows(stats), "summary")


def research_table_html(research: ResearchMetrics) -> str:
    """The research metrics (`Backtest.research`) as a two-column table."""
    return _table(("Metric", "Value"), research_rows(research), "summary")


def render_html(
    stats: BacktestStatistics,
    *,
    strategy: str,
    symbol: str | None = None,
    columns: Sequence[Column] | None = None,
    research: ResearchMetrics | None = None,
) -> str:
    """The whole report as one HTML document (needs matplotlib when there are trades);
    `research` adds a "Research metrics" section after the summary."""
    shown_columns = columns if columns is not None else get_columns()["backtest_columns"]
    title = f"Backtest report: {strategy}" + (f" on {symbol}" if symbol else "")
    chart = equity_chart_html(stats, strategy)
    trades = _trades(stats, shown_columns) if stats.signal_list else chart
    assumptions = "".join(
        f"<dt>{escape(topic)}</dt><dd>{escape(text)}</dd>"
        for topic, text in simulation_assumptions()
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            '<p class="meta">Generated by backtestkit from the newest '
            f"{stats.total_signals} closed signals.</p>",
            '<section id="summary"><h2>Summary statistics</h2>',
            summary_table_html(stats),
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
            f'<section id="equity"><h2>Equity curve and drawdown</h2>{chart}</section>',
            f'<section id="trades"><h2>Trades (oldest first)</h2>{trades}</section>',
            '<section id="assumptions"><h2>Simulation assumptions</h2>',
            f'<dl class="assumptions">{assumptions}</dl></section>',
            "</body></html>",
            "",
        ]
    )


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
) -> Path:
    """Write the HTML report of a finished backtest (default ./dump/backtest/<strategy>.html);
    with the backtest's `frame` name it includes the research metrics."""
    research = None if frame is None else backtest.research(symbol, strategy, frame=frame)
    html = render_html(
        backtest.get_data(symbol, strategy),
        strategy=strategy,
        symbol=symbol,
        columns=columns,
        research=research,
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
