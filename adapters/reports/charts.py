"""The equity + drawdown chart as PNG bytes (matplotlib, extra `png`, imported lazily).

The figure is drawn with matplotlib's object API on an Agg canvas: no pyplot, so the caller's
own matplotlib backend (a notebook's, say) is left alone.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .equity import EquityCurve
from .extras import installed

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MISSING_MATPLOTLIB", "equity_png", "matplotlib_installed", "require_matplotlib"]

MISSING_MATPLOTLIB = (
    "PNG charts need matplotlib, which is not installed: pip install 'backtestkit[png]'"
)
_EQUITY = "#1f6feb"
_DRAWDOWN = "#d1242f"


def matplotlib_installed() -> bool:
    return installed("matplotlib")


def require_matplotlib() -> None:
    """Raise ImportError with an install hint when matplotlib is missing."""
    if not matplotlib_installed():
        raise ImportError(MISSING_MATPLOTLIB)


def _figure(curve: EquityCurve, title: str) -> Figure:
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 5.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.4])
    when: list[Any] = [datetime.fromtimestamp(t / 1000, tz=UTC) for t in curve.timestamps]
    top.step(when, curve.cumulative, where="post", color=_EQUITY, linewidth=1.6)
    top.axhline(0.0, color="#8c959f", linewidth=0.8)
    top.set_ylabel("cumulative PnL, %")
    top.set_title(title, loc="left", fontsize=11)
    top.grid(alpha=0.3)
    bottom.fill_between(when, curve.drawdown, 0.0, step="post", color=_DRAWDOWN, alpha=0.35)
    bottom.step(when, curve.drawdown, where="post", color=_DRAWDOWN, linewidth=1.0)
    bottom.set_ylabel("drawdown, pp")
    bottom.set_xlabel("close time (UTC)")
    bottom.grid(alpha=0.3)
    fig.autofmt_xdate()
    return fig


def equity_png(curve: EquityCurve, *, title: str = "Equity curve") -> bytes:
    """The chart as PNG bytes (deterministic: no software/date metadata)."""
    fig = _figure(curve, title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
