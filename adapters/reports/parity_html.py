"""The parity report as one self-contained HTML page, in the backtest report's style: the verdict,
the summary, the first divergence, every signal side by side, restarts, data notes and the
assumptions. No chart, so no extra is needed."""

from __future__ import annotations

from html import escape
from pathlib import Path

import structlog

from backtestkit.actors.live import ParityResult
from backtestkit.actors.live.parity_report import (
    PARITY_ASSUMPTIONS,
    parity_sections,
    parity_summary,
    parity_verdict,
)

from .page import CSS, table_html  # the backtest report's look

__all__ = ["render_parity_html", "write_parity_html"]

_log = structlog.get_logger("backtestkit.reports")
_VERDICT_CSS = ".verdict{font-weight:600;padding:.5rem .8rem;border-radius:6px}"
_VERDICT_CSS += ".ok{background:#dafbe1}.diverges{background:#ffebe9}"


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")


def render_parity_html(result: ParityResult) -> str:
    title = f"Live vs backtest parity: {result.strategy} on {result.symbol}"
    verdict_css = "ok" if result.ok else "diverges"
    sections = [
        f'<section id="{_slug(name)}"><h2>{escape(name)}</h2>'
        + (table_html(header, rows, "trades", labelled=True) if rows else "<p>(none)</p>")
        + "</section>"
        for name, header, rows in parity_sections(result)
    ]
    assumptions = "".join(
        f"<dt>{escape(topic)}</dt><dd>{escape(text)}</dd>" for topic, text in PARITY_ASSUMPTIONS
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{CSS}{_VERDICT_CSS}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="verdict {verdict_css}">{escape(parity_verdict(result))}</p>',
            '<section id="summary"><h2>Summary</h2>',
            table_html(("", ""), parity_summary(result), "summary"),
            "</section>",
            *sections,
            '<section id="assumptions"><h2>Assumptions</h2>',
            f'<dl class="assumptions">{assumptions}</dl></section>',
            "</body></html>",
            "",
        ]
    )


def write_parity_html(result: ParityResult, path: str | Path | None = None) -> Path:
    """Write the page (default ./dump/parity/<symbol>_<strategy>.html)."""
    target = Path(path) if path is not None else Path("dump", "parity", f"{result.key}.html")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_parity_html(result), encoding="utf-8")
    _log.info("report_saved", path=str(target))
    return target
