"""The parity report as data (sections of rows) and as Markdown; the HTML adapter renders the
same sections."""

from __future__ import annotations

from typing import Any

from ..reports.formatting import iso_ms
from .parity_fills import FillGap, fill_gaps
from .parity_model import ParityData, SignalComparison

__all__ = [
    "PARITY_ASSUMPTIONS",
    "parity_markdown",
    "parity_sections",
    "parity_summary",
    "parity_verdict",
]

SHOWN_NOTES = 20

PARITY_ASSUMPTIONS: tuple[tuple[str, str], ...] = (
    (
        "Minutes",
        "The backtest ticks at exactly the instants live ticked (recorded to the millisecond; "
        "live ticks every 60 001 ms, so they drift off the minute grid), and reads its "
        "look-back windows, as live does, from the tick's minute. With timeline 'regular' it "
        "ticks the nominal schedule instead: every 60 001 ms from each run's first tick.",
    ),
    (
        "Candles",
        "The backtest sees history: the last served version of every recorded candle, visible "
        "from its timestamp on (the look-back window [m - (n-1) steps, m], m the tick's "
        "minute). A candle live got later than that, or that changed after live first saw it, "
        "shows as a divergence; both are listed under data notes.",
    ),
    (
        "Open signals",
        "An open signal is checked at every tick as live checks it (the VWAP against take-profit, "
        "stop-loss and the lifetime), not fast-forwarded over one-minute highs and lows as "
        "Backtest.run does (SPEC 6.3 vs 11.1): those close rules differ by design, so parity "
        "compares the live decision procedure on the backtest's inputs.",
    ),
    (
        "Restarts",
        "At each live restart the backtest adopts the open and scheduled signals live restored "
        "from disk. A difference is explained when the replay's signals last changed at the last "
        "recorded tick before the restart (a crash before that tick's state write); otherwise it "
        "counts against parity (a position lost or invented by the restart).",
    ),
    (
        "Compared",
        "The n-th signal live yielded (opened, closed, cancelled) against the n-th the backtest "
        "produced: action, times, prices, lifetime, close reason, PnL, id and note. Risk profiles "
        "start from an empty book (other strategies' positions are not recorded). Callbacks run "
        "as in any backtest; nothing is published on the engine's topics.",
    ),
)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return repr(value) if isinstance(value, float) else str(value)


def _time(item: dict[str, Any] | None) -> str:
    if item is None:
        return "-"
    stamp = item.get("close_timestamp")
    if stamp is None:
        stamp = (item.get("signal") or {}).get("pending_at")
    return "-" if stamp is None else iso_ms(stamp)


def parity_verdict(result: ParityData) -> str:
    count = len(result.comparisons)
    first = result.first_mismatch
    if result.ok:
        return f"Parity holds: {count} signals compared, 0 mismatches."
    if first is None:
        return f"{count} signals match, but a restart is unexplained (see Restarts)."
    diff = first.differences[0]
    return (
        f"Diverges: {len(result.mismatches)} of {count} signals differ. First: signal "
        f"#{first.index + 1} ({first.signal_id}), field {diff.field}: live {_fmt(diff.live)}, "
        f"backtest {_fmt(diff.backtest)}."
    )


def parity_summary(result: ParityData) -> list[tuple[str, str]]:
    recording = result.recording
    ticks = sorted(t for run in recording.runs for t in run.ticks)
    period = f"{iso_ms(ticks[0])} .. {iso_ms(ticks[-1])}" if ticks else "-"
    return [
        ("Recording", str(recording.path)),
        ("Strategy, symbol, exchange", f"{result.strategy}, {result.symbol}, {result.exchange}"),
        ("Live runs (restarts)", f"{len(recording.runs)} ({len(recording.runs) - 1})"),
        ("Ticks recorded / replayed", f"{recording.ticks} / {result.replay.ticks}"),
        ("Period", period),
        ("Signals live / backtest", f"{len(recording.signals)} / {len(result.replay.results)}"),
        ("Mismatched signals", str(len(result.mismatches))),
        ("Timeline", result.timeline),
        ("Candles", result.candles),
        ("Revised candles", str(len(recording.revisions))),
        ("Late 1m candles", str(len(recording.late_candles(result.symbol)))),
        ("Torn tail ignored", f"{recording.torn_bytes} bytes"),
        ("Failed backtest ticks", str(len(result.replay.failures))),
        ("Replay time", f"{result.seconds:.3f} s"),
    ]


def _signal_row(comparison: SignalComparison) -> list[str]:
    item = comparison.live if comparison.live is not None else comparison.backtest
    action = "-" if item is None else str(item.get("action"))
    status = "match" if comparison.matches else ", ".join(d.field for d in comparison.differences)
    return [
        str(comparison.index + 1),
        action,
        str(comparison.signal_id),
        _time(comparison.live),
        _time(comparison.backtest),
        status,
    ]


def parity_sections(result: ParityData) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table of the report, in order."""
    sections: list[tuple[str, list[str], list[list[str]]]] = []
    first = result.first_mismatch
    if first is not None:
        rows = [[d.field, _fmt(d.live), _fmt(d.backtest)] for d in first.differences]
        sections.append(
            (f"First divergence: signal #{first.index + 1}", ["field", "live", "backtest"], rows)
        )
    sections.append(
        (
            "Signals",
            ["#", "action", "signal id", "live time", "backtest time", "status"],
            [_signal_row(c) for c in result.comparisons],
        )
    )
    restarts = result.replay.restarts
    if restarts:
        sections.append(
            (
                "Restarts",
                ["at", "live restored", "backtest held", "explained"],
                [
                    [
                        iso_ms(n.when),
                        f"{n.live_pending or '-'} / {n.live_scheduled or '-'}",
                        f"{n.replay_pending or '-'} / {n.replay_scheduled or '-'}",
                        "yes" if n.explained else "NO",
                    ]
                    for n in restarts
                ],
            )
        )
    recording = result.recording
    gaps = _fill_gaps(result)
    if gaps:
        sections.append(
            (
                "Fills: signal vs exchange",
                ["signal id", "side", "entry: signal / fill", "exit: signal / fill",
                 "PnL engine %", "PnL filled %", "gap %", "timing %", "slippage %", "fees %"],
                [
                    [
                        g.signal_id, g.position,
                        f"{_price(g.signal_open)} / {_price(g.entry_fill)}",
                        f"{_price(g.signal_close)} / {_price(g.exit_fill)}",
                        _pct(g.engine_pnl), _pct(g.filled_pnl), _pct(g.gap), _pct(g.timing),
                        "-" if g.slippage is None else _pct(g.slippage), _pct(g.fees),
                    ]
                    for g in gaps
                ],
            )
        )  # fmt: skip
    notes = [
        [
            "revised",
            f"{r.interval} {iso_ms(r.timestamp)}",
            f"at tick {iso_ms(r.tick)}: {r.before} -> {r.after}",
        ]
        for r in recording.revisions[:SHOWN_NOTES]
    ]
    notes += [
        ["late", f"1m {iso_ms(ts)}", f"due at tick {iso_ms(due)}, first served {iso_ms(got)}"]
        for ts, due, got in recording.late_candles(result.symbol)[:SHOWN_NOTES]
    ]
    notes += [
        ["tick failed", iso_ms(when), error] for when, error in result.replay.failures[:SHOWN_NOTES]
    ]
    if notes:
        sections.append(("Data notes", ["kind", "candle / tick", "detail"], notes))
    return sections


def _price(value: float) -> str:
    return f"{value:.8g}"


def _pct(value: float) -> str:
    return f"{value:+.4f}"


def _fill_gaps(result: ParityData) -> list[FillGap]:
    recording = result.recording
    if not recording.fills:
        return []
    closed: dict[str, dict[str, Any]] = {}
    for _, item in recording.signals:  # a close replayed after a restart is the same close
        if item.get("action") == "closed":
            closed.setdefault(item["signal"]["id"], item)
    rows = recording.candles.get((result.symbol, "1m"), {})

    def market(minute: int) -> float | None:
        candle = rows.get(minute)
        return None if candle is None else candle[0]

    return fill_gaps(list(closed.values()), recording.fills, market)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(r) for r in rows)])


def parity_markdown(result: ParityData) -> str:
    parts = [
        f"# Live vs backtest parity: {result.strategy} on {result.symbol}",
        "",
        f"**{parity_verdict(result)}**",
        "",
        _md_table(["", ""], [[k, v] for k, v in parity_summary(result)]),
    ]
    for title, header, rows in parity_sections(result):
        parts += ["", f"## {title}", "", _md_table(header, rows) if rows else "(none)"]
    parts += ["", "## Assumptions", ""]
    parts += [f"- **{title}**: {text}" for title, text in PARITY_ASSUMPTIONS]
    return "\n".join(parts) + "\n"
