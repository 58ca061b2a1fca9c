"""Interactive charts with plotly (extra `plot`, imported only here): the price chart with every
entry and exit, the equity + drawdown chart and the walker's overlaid equity curves.

The plotly.js bundle is inlined once per page (`plotly_head`), so a report opens offline; every
figure is responsive (it follows its container's width) and zooms by dragging.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .equity import EquityCurve
from .extras import installed
from .price_data import PriceBars, TradeMark

__all__ = [
    "equity_chart_plotly",
    "metric_bars_plotly",
    "overlay_equity_plotly",
    "plotly_head",
    "plotly_installed",
    "price_chart_plotly",
]

_GREEN, _RED, _BLUE, _GREY = "#1a7f37", "#d1242f", "#1f6feb", "#8c959f"
_CONFIG = {"responsive": True, "displaylogo": False, "scrollZoom": False}
_FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


def plotly_installed() -> bool:
    return installed("plotly")


def plotly_head() -> str:
    """The plotly.js bundle as an inline script (a few MB; nothing is fetched)."""
    from plotly.offline import get_plotlyjs

    return f'<script type="text/javascript">{get_plotlyjs()}</script>'


def _dates(ms: Sequence[int] | np.ndarray) -> np.ndarray:
    return np.asarray(ms, dtype="datetime64[ms]")


def _html(fig: Any, div_id: str, css: str) -> str:
    fig.update_layout(
        font=_FONT,
        margin={"l": 56, "r": 16, "t": 36, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        hovermode="closest",
        template="plotly_white",
    )
    html: str = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_CONFIG)
    return f'<div class="chart {css}">{html}</div>'


def _levels(marks: Sequence[TradeMark], price: str) -> tuple[list[Any], list[Any]]:
    """One horizontal segment per trade, from entry to exit, separated by gaps."""
    xs: list[Any] = []
    ys: list[Any] = []
    for mark in marks:
        level = getattr(mark, price)
        xs += [_dates([mark.entry_ms])[0], _dates([mark.exit_ms])[0], None]
        ys += [level, level, None]
    return xs, ys


def _markers(name: str, points: Sequence[tuple[int, float, str]], marker: dict[str, Any]) -> Any:
    """One marker per point (time, price, hover text); `meta` names the trace for tests."""
    import plotly.graph_objects as go

    return go.Scatter(
        x=_dates([p[0] for p in points]),
        y=[p[1] for p in points],
        mode="markers",
        name=name,
        meta=name,
        hovertext=[p[2] for p in points],
        hoverinfo="text",
        marker={**marker, "line": {"color": "white", "width": 1}},
    )


def price_chart_plotly(bars: PriceBars | None, marks: Sequence[TradeMark], title: str) -> str:
    """Candles (or nothing when no candles are at hand) with the take-profit / stop-loss level
    of each trade while it was open, a triangle at each entry and a cross at each exit."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if bars is not None and len(bars):
        fig.add_trace(
            go.Candlestick(
                x=_dates(bars.timestamp),
                open=bars.open,
                high=bars.high,
                low=bars.low,
                close=bars.close,
                name=f"price ({bars.minutes} min bars)",
                increasing={"line": {"color": "#57606a"}},
                decreasing={"line": {"color": "#afb8c1"}},
            )
        )
    for field, name, color in (
        ("take_profit", "take-profit", _GREEN),
        ("stop_loss", "stop-loss", _RED),
    ):
        xs, ys = _levels(marks, field)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=name,
                hoverinfo="skip",
                line={"color": color, "dash": "dot", "width": 1.2},
            )
        )
    long = [m.position == "long" for m in marks]
    entries = {
        "symbol": ["triangle-up" if up else "triangle-down" for up in long],
        "color": [_BLUE if up else "#8250df" for up in long],
        "size": 11,
    }
    exits = {"symbol": "x", "color": [_GREEN if m.pnl_pct > 0 else _RED for m in marks], "size": 10}
    fig.add_trace(
        _markers("entries", [(m.entry_ms, m.entry_price, m.entry_text) for m in marks], entries)
    )
    fig.add_trace(_markers("exits", [(m.exit_ms, m.exit_price, m.exit_text) for m in marks], exits))
    fig.update_layout(meta=title)
    fig.update_xaxes(rangeslider_visible=False, title_text="time (UTC)")
    fig.update_yaxes(title_text="price", tickformat=",.2f", nticks=8)
    return _html(fig, "price-chart", "price-chart")


_PNL_STEPS: dict[str, Any] = {
    "mode": "lines+markers",
    "name": "cumulative PnL",
    "line": {"color": _BLUE, "width": 2},
    "marker": {"size": 4},
    "hovertemplate": "%{x}<br>%{y:+.2f} %<extra></extra>",
}
_DRAWDOWN: dict[str, Any] = {
    "mode": "lines",
    "fill": "tozeroy",
    "name": "drawdown",
    "line": {"color": _RED, "width": 1},
    "hovertemplate": "%{x}<br>%{y:.2f} pp<extra></extra>",
}


def equity_chart_plotly(curve: EquityCurve, title: str) -> str:
    """Cumulative PnL (%) above, its drawdown from the running peak (pp) below."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.06
    )
    when = _dates(curve.timestamps)
    for row, values, style in ((1, curve.cumulative, _PNL_STEPS), (2, curve.drawdown, _DRAWDOWN)):
        fig.add_trace(go.Scatter(x=when, y=values, line_shape="hv", **style), row=row, col=1)
    fig.update_layout(meta=title, showlegend=False)
    fig.update_yaxes(title_text="cumulative PnL, %", ticksuffix=" %", nticks=8, row=1, col=1)
    fig.update_yaxes(
        title_text="drawdown, pp", ticksuffix=" pp", nticks=6, rangemode="tozero", row=2, col=1
    )
    fig.update_xaxes(title_text="close time (UTC)", row=2, col=1)
    return _html(fig, "equity-chart", "equity-chart")


def overlay_equity_plotly(curves: Sequence[tuple[str, EquityCurve]], title: str) -> str:
    """One cumulative-PnL line per strategy, on one time axis."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, curve in curves:
        fig.add_trace(
            go.Scatter(
                x=_dates(curve.timestamps),
                y=curve.cumulative,
                mode="lines",
                line_shape="hv",
                name=name,
                meta=f"equity:{name}",
                hovertemplate=f"{name}<br>%{{x}}<br>%{{y:+.2f}} %<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": _GREY, "width": 1})
    fig.update_layout(meta=title)
    fig.update_yaxes(title_text="cumulative PnL, %", ticksuffix=" %", nticks=8)
    fig.update_xaxes(title_text="close time (UTC)")
    return _html(fig, "walker-equity-chart", "equity-chart")


def metric_bars_plotly(names: Sequence[str], values: Sequence[float | None], metric: str) -> str:
    """The walker's metric per strategy, best at the top."""
    import plotly.graph_objects as go

    shown = [0.0 if v is None else v for v in values]
    fig = go.Figure(
        go.Bar(
            x=list(reversed(shown)),
            y=list(reversed(names)),
            orientation="h",
            marker={"color": [_GREEN if v > 0 else _RED for v in reversed(shown)]},
            hovertemplate="%{y}<br>%{x:.4f}<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": f"{metric} per strategy", "x": 0, "font": {"size": 14}},
        height=max(260, 60 + 28 * len(names)),
    )
    fig.update_yaxes(automargin=True)
    return _html(fig, "walker-metric-chart", "")
