"""SCENARIOS B.13 e2e/parallel: one strategy on several symbols, background runs at once.

Per-symbol slice exchanges from T0 (no buffer): the first get_signal call per symbol rebuilds
that symbol's array: minutes 0-9 flat base, 10-14 around priceOpen (the tick at T0+14m sees
five candles at priceOpen and activates), then a per-symbol move that decides the close.
"""

from __future__ import annotations

from typing import Any

import pytest

from backtestkit.actors import Signal

from .e2e_sources import (
    MIN,
    Market,
    Ohlcv,
    add_recorded_strategy,
    band,
    plan,
    run_background,
    spec_pnl,
    spec_vwap,
    watch,
)
from .harness import T0, add_minute_frame

FLAT = {
    "BTCUSDT": (95000, 95100, 94950, 95000, 100),
    "ETHUSDT": (4000, 4010, 3995, 4000, 100),
    "SOLUSDT": (150, 151, 149.5, 150, 100),
}


def series(symbol: str, length: int, entry: Ohlcv, move: Ohlcv) -> list[Ohlcv]:
    """0-9 flat, 10-14 at the entry, 15-19 just above it, 20-24 the move, then flat."""
    open_ = entry[3]
    return plan(
        length,
        FLAT[symbol],
        (10, 14, entry),
        (15, 19, band(open_ + open_ / 1000, open_ / 2000)),
        (20, 24, move),
    )


def check_isolation(events: list[Any], symbols: list[str]) -> None:
    for event in events:
        assert event.symbol in symbols
        if event.signal is not None:
            assert event.signal.symbol == event.symbol


@pytest.mark.anyio
async def test_parallel_two_symbols() -> None:
    """e2e/parallel/two-symbols: BTC closes take_profit, ETH stop_loss; nothing crosses."""
    market = Market(
        initial={s: FLAT[s] for s in ("BTCUSDT", "ETHUSDT")},
        rebuilt={
            "BTCUSDT": series("BTCUSDT", 60, band(94500), band(95500)),
            "ETHUSDT": series("ETHUSDT", 60, band(3950, 10), band(3800, 10)),
        },
        signals={
            "BTCUSDT": Signal("long", 95500, 93500, 60, price_open=94500),
            "ETHUSDT": Signal("long", 4050, 3850, 60, price_open=3950),
        },
    )
    market.add_exchange("multi")
    add_minute_frame("60m", T0, T0 + 60 * MIN)
    add_recorded_strategy("parallel", market.get_signal())
    seen = watch()
    done = await run_background(
        ("BTCUSDT", "parallel", "multi", "60m"), ("ETHUSDT", "parallel", "multi", "60m")
    )
    assert sorted(d.symbol for d in done) == ["BTCUSDT", "ETHUSDT"]
    assert seen.errors == []
    check_isolation(seen.events, ["BTCUSDT", "ETHUSDT"])
    for symbol in ("BTCUSDT", "ETHUSDT"):
        actions = seen.actions(symbol)
        assert {"scheduled", "opened", "closed"} <= set(actions)
    btc = seen.closed("BTCUSDT")[-1]
    eth = seen.closed("ETHUSDT")[-1]
    assert btc.close_reason == "take_profit"
    assert eth.close_reason == "stop_loss"
    assert (btc.signal.pending_at, btc.close_timestamp) == (T0 + 14 * MIN, T0 + 20 * MIN)
    assert (eth.signal.pending_at, eth.close_timestamp) == (T0 + 14 * MIN, T0 + 20 * MIN)
    assert btc.pnl.pnl_percentage == spec_pnl("long", 94500, 95500)
    assert eth.pnl.pnl_percentage == spec_pnl("long", 3950, 3850)


@pytest.mark.anyio
async def test_parallel_three_symbols() -> None:
    """e2e/parallel/three-symbols: BTC take_profit, ETH stop_loss, SOL time_expired."""
    market = Market(
        initial=dict(FLAT),
        rebuilt={
            "BTCUSDT": series("BTCUSDT", 90, band(94500), band(95500)),
            "ETHUSDT": series("ETHUSDT", 90, band(3950, 10), band(3800, 10)),
            "SOLUSDT": series("SOLUSDT", 90, band(148, 1), band(149, 0.5)),
        },
        signals={
            "BTCUSDT": Signal("long", 95500, 93500, 60, price_open=94500),
            "ETHUSDT": Signal("long", 4050, 3850, 60, price_open=3950),
            "SOLUSDT": Signal("long", 158, 138, 60, price_open=148),
        },
    )
    market.add_exchange("multi")
    add_minute_frame("90m", T0, T0 + 90 * MIN)
    add_recorded_strategy("parallel", market.get_signal())
    seen = watch()
    symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    done = await run_background(*[(s, "parallel", "multi", "90m") for s in symbols])
    assert sorted(d.symbol for d in done) == symbols
    assert seen.errors == []
    check_isolation(seen.events, symbols)
    reasons = {s: [c.close_reason for c in seen.closed(s)] for s in symbols}
    assert reasons == {
        "BTCUSDT": ["take_profit"],
        "ETHUSDT": ["stop_loss"],
        "SOLUSDT": ["time_expired"],
    }
    sol = seen.closed("SOLUSDT")[0]
    # activated in the tick at T0+14m; the ff window (64 candles from T0+10m) ends at T0+73m
    assert (sol.signal.pending_at, sol.close_timestamp) == (T0 + 14 * MIN, T0 + 73 * MIN)
    assert sol.current_price == spec_vwap([FLAT["SOLUSDT"]] * 5)  # minutes 69-73, flat
    assert sol.pnl.pnl_percentage == spec_pnl("long", 148, sol.current_price)
