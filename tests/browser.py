"""A headless Chromium looking at a report the way a reader's browser would.

`probe(html_path, width)` copies the page with a small script added (first thing in <head>: it
records every error and console.error; after load: it measures the page and the plotly charts)
and opens it in an iframe exactly `width` px wide (headless Chromium will not make a window
narrower than 500 px; an iframe's viewport is what media queries and layout see), whose parent
page receives the findings by postMessage and shows them as JSON; `chromium --headless
--dump-dom` prints that. No CDP client is needed and nothing but local files is read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BrowserProbe", "chromium", "probe", "screenshot"]

_RECORDER = """<script>
window.__btk = {errors: []};
window.addEventListener('error', function (e) {
  var what = e.message || (e.target && (e.target.src || e.target.href)) || 'error';
  window.__btk.errors.push('error: ' + what);
}, true);
window.addEventListener('unhandledrejection', function (e) {
  window.__btk.errors.push('unhandled rejection: ' + e.reason);
});
['error', 'warn'].forEach(function (level) {
  var original = console[level];
  console[level] = function () {
    window.__btk.errors.push('console.' + level + ': ' + Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
});
</script>"""

_REPORTER = """<script>
window.addEventListener('load', function () { setTimeout(function () {
  var root = document.documentElement;
  var out = {errors: window.__btk.errors, innerWidth: window.innerWidth,
             scrollWidth: root.scrollWidth, wide: [], charts: {}};
  document.querySelectorAll('body *').forEach(function (el) {
    var box = el.getBoundingClientRect();
    if (box.right > window.innerWidth + 1 && out.wide.length < 5) {
      out.wide.push(el.tagName + '.' + el.className + ' right=' + Math.round(box.right));
    }
  });
  document.querySelectorAll('.js-plotly-plot').forEach(function (gd) {
    var traces = {};
    gd.querySelectorAll('.scatterlayer .trace').forEach(function (g) {
      var trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
      if (trace && trace.meta) { traces[trace.meta] = g.querySelectorAll('path.point').length; }
    });
    var box = gd.getBoundingClientRect();
    var ticks = {};
    gd.querySelectorAll('.yaxislayer-above .ytick, .yaxislayer-above .y2tick').forEach(
      function (t) { var axis = t.classList[0]; ticks[axis] = (ticks[axis] || 0) + 1; });
    out.charts[gd.id] = {width: Math.round(box.width), height: Math.round(box.height),
                         drawn_points: traces, y_ticks: ticks,
                         data_points: gd.data.reduce(function (acc, t) {
                           if (t.meta) { acc[t.meta] = (t.x || []).length; } return acc; }, {})};
  });
  window.parent.postMessage(JSON.stringify(out), '*');
}, 300); });
</script>"""

_FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
{frames}
<script>
window.addEventListener('message', function (e) {{
  var pre = document.createElement('pre');
  pre.className = 'btk-probe';
  pre.textContent = e.data;
  document.body.appendChild(pre);
}});
</script></body></html>"""
_IFRAME = (
    '<iframe src="{src}" style="border:0;display:block;width:{width}px;height:{height}px"></iframe>'
)

_PROBE = re.compile(r'<pre class="btk-probe"[^>]*>(.*?)</pre>', re.S)


@dataclass(frozen=True, slots=True)
class BrowserProbe:
    """What the page showed at one window width."""

    width: int
    errors: list[str]
    inner_width: int
    scroll_width: int
    wide: list[str]
    charts: dict[str, Any]


def chromium() -> str | None:
    """The Chromium (or Chrome) binary on PATH, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _flags(width: int, height: int) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--virtual-time-budget=15000",
    ]


def _run(args: list[str], profile: str) -> subprocess.CompletedProcess[str]:
    binary = chromium()
    if binary is None:
        raise RuntimeError("no chromium on PATH")
    env = {**os.environ, "HOME": profile}
    return subprocess.run(
        [binary, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _frames(src: str, widths: tuple[int, ...], height: int) -> str:
    return _FRAME.format(
        frames="\n".join(_IFRAME.format(src=src, width=w, height=height) for w in widths)
    )


def probe(
    page: Path, widths: tuple[int, ...] = (1280, 390), height: int = 900
) -> dict[int, BrowserProbe]:
    """Open `page` at each window width (one iframe each, `height` px tall) in one Chromium;
    per width: errors, overflow and the charts."""
    html = page.read_text(encoding="utf-8")
    head = html.index("<head>") + len("<head>")
    body_end = html.rindex("</body>")
    probed = html[:head] + _RECORDER + html[head:body_end] + _REPORTER + html[body_end:]
    with tempfile.TemporaryDirectory(prefix="btk-browser-") as scratch:
        copy = Path(scratch, page.name)
        copy.write_text(probed, encoding="utf-8")
        frame = Path(scratch, "frame.html")
        frame.write_text(_frames(page.name, widths, height), "utf-8")
        window = _flags(max(*widths, 500) + 20, height * len(widths) + 40)
        done = _run([*window, "--dump-dom", frame.as_uri()], scratch)
    import html as html_module

    found: dict[int, BrowserProbe] = {}
    for match in _PROBE.finditer(done.stdout):
        data = json.loads(html_module.unescape(match.group(1)))
        found[data["innerWidth"]] = BrowserProbe(
            width=data["innerWidth"],
            errors=data["errors"],
            inner_width=data["innerWidth"],
            scroll_width=data["scrollWidth"],
            wide=data["wide"],
            charts=data["charts"],
        )
    if sorted(found) != sorted(widths):
        raise AssertionError(
            f"chromium reported widths {sorted(found)} of {sorted(widths)} for {page} "
            f"(rc {done.returncode}): {done.stderr[-2000:]}"
        )
    return found


def screenshot(page: Path, target: Path, width: int, height: int) -> Path:
    """A PNG of `page` in a `width` x `height` viewport (an iframe, as in `probe`; the PNG is
    at least 500 px wide, the page on its left)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="btk-browser-") as scratch:
        frame = Path(scratch, "frame.html")
        frame.write_text(_frames(page.resolve().as_uri(), (width,), height), "utf-8")
        window = _flags(max(width, 500), height)
        done = _run([*window, f"--screenshot={target}", frame.as_uri()], scratch)
    if not target.is_file():
        raise RuntimeError(f"chromium wrote no screenshot of {page}: {done.stderr[-2000:]}")
    return target


def main(pages: list[str], out: Path = Path("dump", "screenshots")) -> int:
    """`python tests/browser.py PAGE.html...`: a 1280 px and a 390 px screenshot of each."""
    if chromium() is None:
        print("screenshot: skipped, no chromium on PATH (apt-get install -y chromium)")
        return 0
    for name in pages:
        page = Path(name).resolve()
        for width in (1280, 390):
            target = screenshot(page, (out / f"{page.stem}-{width}.png").resolve(), width, 4000)
            print(f"screenshot: {target.relative_to(Path.cwd().resolve())}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
