"""Report writers beyond the engine's Markdown: the self-contained HTML report and PNG chart.

`write_html` draws interactive charts with plotly (extra `plot`), inlined so the page opens
offline, and falls back to a matplotlib PNG (extra `png`) or to tables alone; `write_png`
needs matplotlib. Both are imported only when a chart is drawn.
"""

from .assumptions import simulation_assumptions
from .charts import MISSING_MATPLOTLIB, equity_png, require_matplotlib
from .equity import EquityCurve, equity_curve
from .html import render_html, write_html, write_png
from .notebook import BacktestView, show
from .parity_html import render_parity_html, write_parity_html
from .portfolio_html import render_portfolio_html, write_portfolio_html
from .research_rows import research_rows
from .walker_html import render_walker_html, write_walker_html

__all__ = [
    "MISSING_MATPLOTLIB",
    "BacktestView",
    "EquityCurve",
    "equity_curve",
    "equity_png",
    "render_html",
    "render_parity_html",
    "render_portfolio_html",
    "render_walker_html",
    "require_matplotlib",
    "research_rows",
    "show",
    "simulation_assumptions",
    "write_html",
    "write_parity_html",
    "write_png",
    "write_portfolio_html",
    "write_walker_html",
]
