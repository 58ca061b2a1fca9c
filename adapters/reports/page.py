"""The look every HTML report shares: one CSS, responsive tables, the page skeleton.

Tables fit any window: wide ones wrap their cells at desktop widths and turn into one card per
row below 700 px (each cell labelled by its column), so the page never scrolls sideways.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["CSS", "page", "table_html"]

CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;
margin:1.5rem auto;max-width:1240px;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem;overflow-wrap:anywhere}h2{font-size:1.2rem;
border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}
.meta,.note{color:#59636e}.meta{margin-top:0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;max-width:100%}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top;
overflow-wrap:break-word}th{background:#f6f8fa}td.signal_id{word-break:break-all;min-width:9em}
table.summary td:nth-child(2){text-align:right}
table.trades{font-size:12px;width:100%}
tr.win td.pnl{color:#1a7f37}tr.loss td.pnl{color:#d1242f}img{max-width:100%;height:auto}
.chart{width:100%;min-height:320px}.price-chart{height:560px}.equity-chart{height:460px}
dl.assumptions dt{font-weight:600;margin-top:.6rem}dl.assumptions dd{margin-left:1rem}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem .8rem;border-radius:6px}
@media (max-width:700px){
body{margin:.8rem auto;padding:0 .6rem}
table.trades,table.trades tbody,table.trades tr,table.trades td{display:block;width:100%}
table.trades thead{display:none}
table.trades tr{border:1px solid #d0d7de;margin-bottom:.6rem}
table.trades td{border:none;border-bottom:1px solid #eaeef2;display:flex;gap:.6rem}
table.trades td::before{content:attr(data-label);font-weight:600;flex:0 0 42%}
.price-chart{height:420px}.equity-chart{height:380px}
}
"""


def table_html(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    css: str,
    *,
    row_classes: Sequence[str] | None = None,
    cell_classes: Sequence[str] | None = None,
    labelled: bool = False,
) -> str:
    """A table; `labelled` cells carry their column label (`data-label`), which the narrow
    layout of a wide table ("trades" class) shows beside each value."""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    lines = []
    for number, row in enumerate(rows):
        cells = "".join(
            f"<td{_class(cell_classes[i] if cell_classes else '')}"
            + (f' data-label="{escape(header[i])}"' if labelled else "")
            + f">{escape(cell)}</td>"
            for i, cell in enumerate(row)
        )
        lines.append(f"<tr{_class(row_classes[number] if row_classes else '')}>{cells}</tr>")
    body = "\n".join(lines)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def _class(name: str) -> str:
    return f' class="{escape(name)}"' if name else ""


def page(title: str, body: Sequence[str], *, head: str = "", css: str = "") -> str:
    """A whole self-contained document: `head` holds inline scripts (the chart library)."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{CSS}{css}</style>{head}</head><body>",
            f"<h1>{escape(title)}</h1>",
            *body,
            "</body></html>",
            "",
        ]
    )
