"""SCENARIOS B.13 e2e/sequence: several signals in a row through one backtest.

Tests 2-8 use a slice exchange from T0 without buffer (B.13): the T0 look-back sees only the T0
candle of the *initial* array (P is read before get_signal rebuilds it); a ff for a signal
opened at once at T0 gets the fallback minutes 0 .. limit-1 (kept 0 .. mET); later ticks get
the plain window. The live persistence tests of e2e/sequence are in test_e2e_live.py.
"""

from __future__ import annotations

from typing import Any

from backtestkit.actors import Signal

from .e2e_sources import (
    BUFFER_START,
    MIN,
    Ohlcv,
    SliceCandles,
    add_recorded_strategy,
    add_source_exchange,
    band,
    first_calls,
    plan,
    rows_from,
    run_backtest,
    spec_pnl,
    spec_vwap,
    watch,
)
from .harness import T0, add_minute_frame

SYMBOL = "BTCUSDT"
BASE = (95000, 95100, 94950, 95000, 100)  # base band: h +100, l -50
FLAT = band(95000)  # o/c 95000, h 95100, l 94900


def long_(met: int) -> Signal:
    return Signal("long", 96000, 94000, met, price_open=95000)


def short_(met: int) -> Signal:
    return Signal("short", 94000, 96000, met, price_open=95000)


def run_sequence(
    rebuilt: list[Ohlcv],
    make: Any,
    calls: int,
    frame_minutes: int,
    *,
    initial: Ohlcv = FLAT,
    origin: int = T0,
    buffer: list[Ohlcv] | None = None,
) -> tuple[Any, list[Any], Any]:
    start = [initial] * 5
    source = SliceCandles(origin, rows_from(origin, start))

    def signal(n: int, symbol: str) -> Signal:
        if n == 1:
            source.rows = rows_from(origin, (buffer or []) + rebuilt)
        return make(n)

    add_source_exchange("slice", source)
    add_minute_frame("frame", T0, T0 + frame_minutes * MIN)
    recorder = add_recorded_strategy("sequence", first_calls(signal, calls))
    seen = watch()
    results = run_backtest(SYMBOL, "sequence", "slice", "frame")
    return recorder, results, seen


def closes(results: list[Any]) -> list[tuple[str, int, float]]:
    return [
        (r.close_reason, (r.close_timestamp - T0) // MIN, r.current_price)
        for r in results
        if r.action == "closed"
    ]


def test_sequence_mixed_5() -> None:
    """e2e/sequence/mixed-5: five scheduled longs; TP and SL closes among them."""
    rebuilt = plan(
        180,
        band(95200),
        (0, 9, BASE),
        (10, 14, band(94500)),
        (15, 19, band(95500)),
        (20, 29, band(95000)),
        (30, 34, band(94500)),
        (35, 39, band(93500)),
        (40, 49, band(95200)),
        (50, 54, band(93000)),
        (55, 59, band(95200)),
        (60, 69, band(95000)),
        (70, 74, band(94500)),
        (75, 79, band(95500)),
        (80, 89, band(95000)),
        (90, 94, band(94500)),
        (95, 99, band(93500)),
    )
    recorder, _, seen = run_sequence(
        rebuilt,
        lambda n: Signal("long", 95500, 93500, 60, price_open=94500, note=f"SEQUENCE: signal #{n}"),
        5,
        180,
        initial=BASE,
        origin=BUFFER_START,
        buffer=[(95000, 95050, 94950, 95000, 100)] * 4,
    )
    assert seen.errors == []
    assert len(recorder.schedule) >= 2
    assert len(recorder.open) >= 2
    assert len(recorder.close) >= 2
    closed = seen.closed()
    assert len(closed) >= 2
    assert {"take_profit", "stop_loss"} <= {c.close_reason for c in closed}


def test_sequence_three_tp() -> None:
    """e2e/sequence/three-tp: three scheduled longs, each take_profit (+0.656287 %)."""
    cycle = plan(30, band(95500), (0, 9, BASE), (10, 14, band(94500)))
    recorder, results, seen = run_sequence(
        cycle * 3, lambda n: Signal("long", 95500, 93500, 60, price_open=94500), 3, 90,
        initial=BASE,
    )  # fmt: skip
    assert len(recorder.schedule) == 3
    assert len(recorder.open) == 3
    assert len(recorder.close) == 3
    closed = seen.closed()
    assert all(c.close_reason == "take_profit" and c.pnl.pnl_percentage > 0 for c in closed)
    assert [row.scheduled_at for _, row, _, _ in recorder.schedule] == [
        T0, T0 + 16 * MIN, T0 + 46 * MIN,
    ]  # fmt: skip
    assert [row.pending_at for _, row, _, _ in recorder.open] == [
        T0 + 14 * MIN, T0 + 40 * MIN, T0 + 70 * MIN,
    ]  # fmt: skip
    assert [minute for _, minute, _ in closes(results)] == [15, 45, 75]
    assert results[0].action == "active"  # the T0 ff sees only the last 4 candles
    for c in closed:
        assert c.pnl.pnl_percentage == spec_pnl("long", 94500, 95500)
        assert round(c.pnl.pnl_percentage, 6) == 0.656287


def test_sequence_three_sl() -> None:
    """e2e/sequence/three-sl: three longs opened at once, each stop_loss 94000 (-1.450329 %)."""
    cycle = plan(30, band(94000), (0, 9, band(95500)), (10, 14, band(95000)))
    recorder, results, seen = run_sequence(cycle * 3, lambda n: long_(60), 3, 90)
    assert len(recorder.open) >= 1 and len(seen.closed()) >= 1
    assert all(c.close_reason == "stop_loss" and c.pnl.pnl_percentage < 0 for c in seen.closed())
    assert (len(recorder.schedule), len(recorder.open), len(recorder.close)) == (0, 3, 3)
    assert [row.pending_at for _, row, _, _ in recorder.open] == [
        T0, T0 + 16 * MIN, T0 + 17 * MIN,
    ]  # fmt: skip
    assert [p for _, _, p, _ in recorder.open] == [95000] * 3
    assert closes(results) == [
        ("stop_loss", 15, 94000),
        ("stop_loss", 16, 94000),
        ("stop_loss", 17, 94000),
    ]
    for c in seen.closed():
        assert c.pnl.pnl_percentage == spec_pnl("long", 95000, 94000)
        assert round(c.pnl.pnl_percentage, 6) == -1.450329


def test_sequence_fast_3() -> None:
    """e2e/sequence/fast-3: mET 5: three time_expired closes."""
    rebuilt = plan(
        45,
        band(95000),
        (0, 2, band(95500)),
        (5, 6, band(96000)),
        (10, 12, band(95500)),
        (15, 19, band(95200)),
        (25, 27, band(95500)),
        (30, 31, band(94000)),
    )
    recorder, results, seen = run_sequence(rebuilt, lambda n: long_(5), 3, 45)
    assert len(recorder.open) >= 2 and len(recorder.close) >= 2
    assert any(c.close_reason == "time_expired" for c in seen.closed())
    assert closes(results) == [
        ("time_expired", 5, 95400), ("time_expired", 12, 95300), ("time_expired", 18, 95160),
    ]  # fmt: skip
    assert [row.pending_at for _, row, _, _ in recorder.open] == [
        T0, T0 + 7 * MIN, T0 + 13 * MIN,
    ]  # fmt: skip
    assert [row.scheduled_at for _, row, _, _ in recorder.schedule] == [T0 + 6 * MIN, T0 + 13 * MIN]
    pnls = [c.pnl.pnl_percentage for c in seen.closed()]
    assert pnls == [spec_pnl("long", 95000, p) for p in (95400, 95300, 95160)]
    assert [round(p, 6) for p in pnls] == [0.020411, -0.084642, -0.231716]


def test_sequence_slow_2() -> None:
    """e2e/sequence/slow-2: mET 120: TP on T0+70m, then SL on T0+190m."""
    rebuilt = plan(
        240,
        band(95000),
        (0, 9, band(95500)),
        (10, 14, band(95000)),
        (15, 69, band(95200)),
        (70, 74, band(96000)),
        (120, 129, band(95500)),
        (130, 134, band(95000)),
        (135, 189, band(94800)),
        (190, 194, band(94000)),
    )
    recorder, results, _ = run_sequence(rebuilt, lambda n: long_(120), 2, 240)
    assert len(recorder.open) >= 1 and len(recorder.close) >= 1
    assert closes(results) == [("take_profit", 70, 96000), ("stop_loss", 190, 94000)]
    assert [row.pending_at for _, row, _, _ in recorder.open] == [T0, T0 + 75 * MIN]
    assert [row.scheduled_at for _, row, _, _ in recorder.schedule] == [T0 + 71 * MIN]
    assert recorder.schedule[0][2] == spec_vwap(rebuilt[67:72]) == 95520  # minutes 67-71
    pnls = [r.pnl.pnl_percentage for r in results]
    assert pnls == [spec_pnl("long", 95000, 96000), spec_pnl("long", 95000, 94000)]
    assert [round(p, 6) for p in pnls] == [0.650728, -1.450329]


def test_sequence_alternating() -> None:
    """e2e/sequence/alternating: long TP, short SL, long SL, short TP."""
    rebuilt = plan(
        120,
        band(95000),
        (0, 4, band(95500)),
        (10, 14, band(96000)),
        (20, 24, band(94500)),
        (30, 34, band(94000)),
        (45, 49, band(95500)),
        (55, 59, band(94000)),
        (70, 74, band(94500)),
        (80, 84, band(96000)),
    )
    recorder, results, seen = run_sequence(
        rebuilt, lambda n: long_(60) if n % 2 else short_(60), 4, 120
    )
    assert len(recorder.open) >= 2 and len(recorder.close) >= 2
    assert len(seen.closed()) >= 2
    assert {"take_profit", "stop_loss"} <= {c.close_reason for c in seen.closed()}
    assert closes(results) == [
        ("take_profit", 10, 96000), ("stop_loss", 11, 96000),
        ("stop_loss", 30, 94000), ("take_profit", 55, 94000),
    ]  # fmt: skip
    assert [r.signal.position for r in results] == ["long", "short", "long", "short"]
    assert [row.pending_at for _, row, _, _ in recorder.open] == [
        T0, T0 + 11 * MIN, T0 + 15 * MIN, T0 + 35 * MIN,
    ]  # fmt: skip
    assert [row.scheduled_at for _, row, _, _ in recorder.schedule] == [
        T0 + 12 * MIN,
        T0 + 31 * MIN,
    ]
    pnls = [round(r.pnl.pnl_percentage, 6) for r in results]
    assert pnls == [0.650728, -1.454939, -1.450329, 0.654539]
    assert [r.pnl.pnl_percentage for r in results] == [
        spec_pnl("long", 95000, 96000), spec_pnl("short", 95000, 96000),
        spec_pnl("long", 95000, 94000), spec_pnl("short", 95000, 94000),
    ]  # fmt: skip


def test_sequence_quick_long_pair() -> None:
    """e2e/sequence/quick-long-pair: mET 15: TP on T0+5m, then SL on T0+15m."""
    rebuilt = plan(
        40,
        band(95000),
        (0, 2, band(95500)),
        (5, 6, band(96000)),
        (10, 12, band(95500)),
        (15, 16, band(94000)),
    )
    recorder, results, seen = run_sequence(rebuilt, lambda n: long_(15), 2, 40)
    assert len(recorder.open) >= 1 and len(recorder.close) >= 1 and len(seen.closed()) >= 1
    assert closes(results) == [("take_profit", 5, 96000), ("stop_loss", 15, 94000)]
    assert [row.pending_at for _, row, _, _ in recorder.open] == [T0, T0 + 7 * MIN]
    assert [row.scheduled_at for _, row, _, _ in recorder.schedule] == [T0 + 6 * MIN]
    assert [round(r.pnl.pnl_percentage, 6) for r in results] == [0.650728, -1.450329]


def test_sequence_quick_short_pair() -> None:
    """e2e/sequence/quick-short-pair: mirror: TP 94000 on T0+5m, then SL 96000 on T0+15m."""
    rebuilt = plan(
        40,
        band(95000),
        (0, 2, band(94500)),
        (5, 6, band(94000)),
        (10, 12, band(94500)),
        (15, 16, band(96000)),
    )
    recorder, results, seen = run_sequence(rebuilt, lambda n: short_(15), 2, 40)
    assert len(recorder.open) >= 1 and len(recorder.close) >= 1 and len(seen.closed()) >= 1
    assert closes(results) == [("take_profit", 5, 94000), ("stop_loss", 15, 96000)]
    assert [row.pending_at for _, row, _, _ in recorder.open] == [T0, T0 + 7 * MIN]
    assert [row.scheduled_at for _, row, _, _ in recorder.schedule] == [T0 + 6 * MIN]
    assert [r.pnl.pnl_percentage for r in results] == [
        spec_pnl("short", 95000, 94000), spec_pnl("short", 95000, 96000),
    ]  # fmt: skip
    assert [round(r.pnl.pnl_percentage, 6) for r in results] == [0.654539, -1.454939]
