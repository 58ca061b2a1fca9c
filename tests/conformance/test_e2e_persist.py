"""SCENARIOS B.12, backtest part: the strategy's on_write sees every pending-slot write
(e2e/persist-sequence/*, e2e/sanitize/onwrite-*). The live restore/persist scenarios of B.12
are in test_e2e_live.py.

Exchange: a slice exchange from T0 with no buffer (B.12): the first tick's VWAP sees only the
T0 candle; a fast-forward requested at T0 with `limit` beyond the array gets its last 4 candles.
"""

from __future__ import annotations

from typing import Any

from backtestkit.actors import Signal

from .e2e_sources import (
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
LONG = Signal("long", 95500, 93500, 60, price_open=94500)


def run_rebuilt(
    strategy: str,
    initial: Ohlcv,
    rebuilt: list[Ohlcv],
    make: Any,
    calls: int,
    frame_minutes: int,
) -> tuple[Any, list[Any], Any]:
    source = SliceCandles(T0, rows_from(T0, [initial] * 5))

    def signal(n: int, symbol: str) -> Signal:
        if n == 1:
            source.rows = rows_from(T0, rebuilt)
        return make(n)

    add_source_exchange("slice", source)
    add_minute_frame("frame", T0, T0 + frame_minutes * MIN)
    recorder = add_recorded_strategy(strategy, first_calls(signal, calls))
    seen = watch()
    results = run_backtest(SYMBOL, strategy, "slice", "frame")
    return recorder, results, seen


def test_persist_sequence_two_longs() -> None:
    """e2e/persist-sequence/two-longs: writes row, null, row, null; TP then SL."""
    rebuilt = plan(
        60,
        band(95000),
        (5, 9, band(94500)),
        (10, 14, band(95500)),
        (25, 29, band(94500)),
        (30, 34, band(93500)),
    )
    recorder, results, _ = run_rebuilt(
        "persist-seq-strategy",
        band(95000),
        rebuilt,
        lambda n: Signal(
            "long", 95500, 93500, 60, price_open=94500, note=f"Persist seq signal #{n}"
        ),
        2,
        60,
    )
    writes = recorder.write
    assert len(writes) >= 2
    assert writes[0] is not None
    assert writes[0].position == "long" and writes[0].price_open == 94500
    assert sum(w is None for w in writes) >= 1
    assert sum(w is not None for w in writes) >= 2
    assert [w is None for w in writes] == [False, True, False, True]
    # #1 scheduled at T0 (P 95000): the T0 ff sees minutes 56-59 only -> `active`
    assert results[0].action == "active"
    assert [row.scheduled_at for _, row, _, _ in recorder.schedule] == [T0, T0 + 11 * MIN]
    first, second = writes[0], writes[2]
    assert (first.scheduled_at, first.pending_at) == (T0, T0 + 9 * MIN)  # activated in a tick
    assert (second.scheduled_at, second.pending_at) == (T0 + 11 * MIN, T0 + 25 * MIN)
    closed = [r for r in results if r.action == "closed"]
    assert [(c.close_reason, c.close_timestamp) for c in closed] == [
        ("take_profit", T0 + 10 * MIN),
        ("stop_loss", T0 + 30 * MIN),
    ]
    assert closed[0].pnl.pnl_percentage == spec_pnl("long", 94500, 95500)
    assert closed[1].pnl.pnl_percentage == spec_pnl("long", 94500, 93500)
    assert round(closed[0].pnl.pnl_percentage, 6) == 0.656287
    assert round(closed[1].pnl.pnl_percentage, 6) == -1.455887


def test_persist_sequence_all_fields() -> None:
    """e2e/persist-sequence/all-fields: the written row carries every field."""
    rebuilt = plan(20, band(94500), (0, 4, band(95000)))
    recorder, results, _ = run_rebuilt(
        "persist-seq-strategy-2",
        band(95000),
        rebuilt,
        lambda n: Signal(
            "long", 95500, 93500, 60, price_open=94500, note="Field verification test"
        ),
        1,
        20,
    )
    assert len(recorder.open) == 1
    row = next(w for w in recorder.write if w is not None)
    for key in (
        "position",
        "price_open",
        "price_take_profit",
        "price_stop_loss",
        "minute_estimated_time",
        "symbol",
        "strategy_name",
        "exchange_name",
        "scheduled_at",
        "pending_at",
        "id",
        "note",
        "is_scheduled",
    ):
        assert hasattr(row, key)
    assert row.position == "long"
    assert row.price_open == 94500
    assert row.symbol == SYMBOL
    assert row.strategy_name == "persist-seq-strategy-2"
    assert row.exchange_name == "slice"
    assert row.note == "Field verification test"
    assert (row.scheduled_at, row.pending_at, row.is_scheduled) == (T0, T0 + 9 * MIN, False)
    closed = results[-1]
    assert closed.close_reason == "time_expired"
    assert closed.close_timestamp == T0 + 19 * MIN
    assert closed.current_price == 94500
    assert closed.pnl.pnl_percentage == spec_pnl("long", 94500, 94500)
    assert round(closed.pnl.pnl_percentage, 6) == -0.3998


def test_persist_sequence_short_lifecycle() -> None:
    """e2e/persist-sequence/short-lifecycle: opened at once at T0 (P 95000 >= 95000); the ff
    gets minutes 16-19 only: time_expired at 94000 on T0+19m; writes row, null."""
    rebuilt = plan(20, band(95000), (0, 4, band(94500)), (10, 19, band(94000)))
    recorder, results, _ = run_rebuilt(
        "short-lifecycle",
        band(95000),
        rebuilt,
        lambda n: Signal("short", 94000, 96000, 60, price_open=95000, note="SHORT lifecycle test"),
        1,
        20,
    )
    assert len(recorder.open) == 1 and len(recorder.close) == 1
    writes = recorder.write
    assert len(writes) >= 2
    assert writes[0] is not None and writes[0].position == "short"
    assert sum(w is None for w in writes) >= 1
    assert [w is None for w in writes] == [False, True]
    assert recorder.schedule == []
    assert writes[0].pending_at == T0
    [closed] = results
    assert closed.close_reason == "time_expired"
    assert closed.close_timestamp == T0 + 19 * MIN
    assert closed.current_price == spec_vwap([band(94000)] * 4) == 94000
    assert closed.pnl.pnl_percentage == spec_pnl("short", 95000, 94000)
    assert round(closed.pnl.pnl_percentage, 6) == 0.654539


def test_persist_sequence_mixed_tp_sl_cancelled() -> None:
    """e2e/persist-sequence/mixed-tp-sl-cancelled: TP, SL, then an immediate SL."""
    base = (95000, 95100, 94950, 95000, 100)
    rebuilt = plan(
        120,
        base,
        (5, 9, band(94500)),
        (10, 14, band(95500)),
        (25, 29, band(94500)),
        (30, 34, band(93500)),
        (40, 44, band(93000)),
    )
    recorder, results, _ = run_rebuilt("mixed", base, rebuilt, lambda n: LONG, 3, 120)
    assert len(recorder.schedule) == 2
    assert len(recorder.open) >= 2 and len(recorder.close) >= 2
    non_null = [w for w in recorder.write if w is not None]
    nulls = [w for w in recorder.write if w is None]
    assert len(non_null) >= 2
    assert len(nulls) >= 2 and len(nulls) >= len(recorder.close)
    assert (len(recorder.open), len(recorder.close), len(recorder.cancel)) == (3, 3, 0)
    assert [w is None for w in recorder.write] == [False, True] * 3
    assert [row.pending_at for row in non_null] == [T0 + 9 * MIN, T0 + 25 * MIN, T0 + 31 * MIN]
    assert non_null[2].scheduled_at == T0 + 31 * MIN  # opened at once, not scheduled
    closed = [r for r in results if r.action == "closed"]
    assert [(c.close_reason, c.close_timestamp) for c in closed] == [
        ("take_profit", T0 + 10 * MIN),
        ("stop_loss", T0 + 30 * MIN),
        ("stop_loss", T0 + 31 * MIN),
    ]


def test_persist_sequence_close_before_null() -> None:
    """e2e/persist-sequence/close-before-null: onWrite(row) before onOpen, onClose before
    onWrite(null)."""
    rebuilt = plan(30, band(95500), (0, 4, band(95000)), (5, 9, band(94500)))
    recorder, results, _ = run_rebuilt(
        "close-before-null", band(95000), rebuilt, lambda n: LONG, 1, 30
    )
    order = recorder.order
    assert {"schedule", "open", "close", "write-signal", "write-null"} <= set(order)
    assert order.index("write-signal") < order.index("open")
    assert order.index("write-null") > order.index("close")
    assert order == ["schedule", "write-signal", "open", "close", "write-null"]
    assert recorder.open[0][1].pending_at == T0 + 9 * MIN
    closed = results[-1]
    assert (closed.close_reason, closed.close_timestamp) == ("take_profit", T0 + 10 * MIN)


def run_static(prices: list[Ohlcv]) -> tuple[Any, list[Any], Any]:
    add_source_exchange("static", SliceCandles(T0, rows_from(T0, prices)))
    add_minute_frame("20m", T0, T0 + 20 * MIN)
    signal = Signal("long", 43000, 41000, 60, price_open=42000)
    recorder = add_recorded_strategy("onwrite", first_calls(lambda n, s: signal, 1))
    seen = watch()
    results = run_backtest(SYMBOL, "onwrite", "static", "20m")
    return recorder, results, seen


def test_sanitize_onwrite_once_open() -> None:
    """e2e/sanitize/onwrite-once-open: exactly one non-null write; time_expired at T0+19m."""
    recorder, results, seen = run_static(plan(20, band(42000), (5, 9, band(42500))))
    assert seen.errors == []
    assert len(recorder.open) == 1
    assert sum(w is not None for w in recorder.write) == 1
    assert recorder.open[0][1].pending_at == T0
    [closed] = results
    assert closed.close_reason == "time_expired"
    assert closed.close_timestamp == T0 + 19 * MIN
    assert closed.current_price == 42000
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 42000)


def test_sanitize_onwrite_null_once_close() -> None:
    """e2e/sanitize/onwrite-null-once-close: exactly one null write; the ff gets minutes 16-19
    (43000 band) and never checks TP: time_expired at 43000 on T0+19m."""
    recorder, results, seen = run_static(
        plan(20, band(42000), (5, 9, band(42500)), (15, 19, band(43000)))
    )
    assert seen.errors == []
    assert len(recorder.close) == 1
    assert sum(w is None for w in recorder.write) == 1
    [closed] = results
    assert closed.close_reason == "time_expired"
    assert closed.close_timestamp == T0 + 19 * MIN
    assert closed.current_price == 43000
    assert closed.pnl.pnl_percentage == spec_pnl("long", 42000, 43000)
    assert round(closed.pnl.pnl_percentage, 6) == 1.976395
