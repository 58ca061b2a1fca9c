"""Portfolio capital (issue 28): equity at every close, by hand from SPEC 8's costs.

Two flat markets (A at 100, B at 50: every VWAP is exactly the price), one spike candle each
that touches the take-profit. Default costs: slippage 0.1 % and fee 0.1 % per side."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from backtestkit.actors import (
    Portfolio,
    Signal,
    add_exchange,
    add_frame,
    add_risk,
    add_sizing,
    add_strategy,
)
from backtestkit.actors.portfolio.report import money_places
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.bus import RiskEvent, listen_risk

MIN = 60_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00Z
PRICE = {"A": 100.0, "B": 50.0}
ENTRY = {"A": 10, "B": 12}  # minute of each symbol's only signal
SPIKE = {"A": 30, "B": 40}  # minute whose high reaches the take-profit (+2 %)


def _market(spike: dict[str, int], wick: float = 0.0, take: float = 1.02) -> MemoryCandles:
    """Flat candles (high / low `wick` away from the price, so VWAP is still the price); at
    `spike[symbol]` the high reaches the take-profit."""
    data = {}
    for symbol, price in PRICE.items():
        minutes = range(-10, 120)
        high = [price * take if m == spike[symbol] else price + wick for m in minutes]
        data[symbol] = {
            "timestamp": [T0 + m * MIN for m in minutes],
            "open": [price] * len(high),
            "high": high,
            "low": [price - wick] * len(high),
            "close": [price] * len(high),
            "volume": [1.0] * len(high),
        }
    return MemoryCandles(data)


def _signal(take: float, entry: dict[str, int]) -> Callable[[str, datetime], Signal | None]:
    def get_signal(symbol: str, when: datetime) -> Signal | None:
        if round(when.timestamp() * 1000) != T0 + entry[symbol] * MIN:
            return None
        price = PRICE[symbol]
        return Signal("long", price * take, price * 0.98, 100)

    return get_signal


def _setup(
    sizing: str | None = None,
    *,
    entry: dict[str, int] = ENTRY,
    spike: dict[str, int] = SPIKE,
    wick: float = 0.0,
    take: float = 1.02,
) -> None:
    add_exchange("flat", candles=_market(spike, wick, take))
    add_frame("day", start=T0, end=T0 + 100 * MIN, interval="1m")
    add_strategy("once", interval="1m", get_signal=_signal(take, entry), sizing=sizing)


def test_equity_at_every_close_by_hand() -> None:
    _setup()
    results = Portfolio.run_sync(
        ["A", "B"], strategy="once", exchange="flat", frame="day", capital=10_000
    )
    assert [(r.symbol, r.close_timestamp) for r in results] == [  # type: ignore[union-attr]
        ("A", T0 + 30 * MIN),
        ("B", T0 + 40 * MIN),
    ]
    slip, fee = 0.001, 0.001
    # A at minute 10: equity 10 000, two symbols -> 5 000 pays quantity x 100 x 1.001 x 1.001
    q_a = 5_000 / (100 * (1 + slip) * (1 + fee))
    cost_a = q_a * 100 * (1 + slip)
    cash = 10_000 - cost_a * (1 + fee)  # = 5 000
    # B at minute 12: equity = cash + A marked at 100 (before exit costs)
    equity_b = cash + q_a * 100
    q_b = equity_b / 2 / (50 * (1 + slip) * (1 + fee))
    cost_b = q_b * 50 * (1 + slip)
    cash -= cost_b * (1 + fee)
    # A closes at its take-profit 102 at minute 30: sells at 102 x 0.999, pays the second fee
    cash += q_a * 102 * (1 - slip) - cost_a * fee
    equity_30 = cash + q_b * 50
    # B closes at 51 at minute 40
    cash += q_b * 51 * (1 - slip) - cost_b * fee
    equity_40 = cash

    stats = Portfolio.get_data(["A", "B"], "once")
    by_time = {p.timestamp: p for p in stats.equity}
    assert by_time[T0 + 30 * MIN].equity == pytest.approx(equity_30, rel=1e-12)
    assert by_time[T0 + 30 * MIN].positions_value == pytest.approx(q_b * 50, rel=1e-12)
    assert by_time[T0 + 40 * MIN].equity == pytest.approx(equity_40, rel=1e-12)
    assert by_time[T0 + 40 * MIN].cash == pytest.approx(equity_40, rel=1e-12)
    assert by_time[T0 + 40 * MIN].open_positions == 0
    assert stats.final_equity == pytest.approx(equity_40, rel=1e-12)
    a, b = stats.trades
    assert (a.symbol, a.quantity, b.symbol, b.quantity) == (
        "A",
        pytest.approx(q_a),
        "B",
        pytest.approx(q_b),
    )
    assert a.fee_open + a.fee_close == pytest.approx(2 * cost_a * fee)
    assert a.slippage_open + a.slippage_close == pytest.approx(q_a * (100 * slip + 102 * slip))
    # money PnL is the cost times the engine's own PnL percentage (SPEC 8)
    for trade in stats.trades:
        assert trade.pnl == pytest.approx(trade.cost * trade.pnl_percentage / 100, rel=1e-9)
    assert stats.total_return_pct == pytest.approx((equity_40 - 10_000) / 100, rel=1e-12)
    shares = {c.symbol: c.share_pct for c in stats.contributions}
    assert shares["A"] + shares["B"] == pytest.approx(100)
    frame = stats.to_frame()
    assert list(frame["symbol"]) == ["A", "B"]


def test_an_entry_the_cash_cannot_pay_is_rejected_with_the_reason() -> None:
    # 50 % risk over a 2-unit stop distance: 10 000 x 0.5 / 2 = 2 500 units of A = 250 000
    add_sizing("huge", method="fixed_percentage", risk_percentage=50)
    _setup(sizing="huge")
    events: list[RiskEvent] = []
    stop = listen_risk(events.append)
    results = Portfolio.run_sync(
        ["A"], strategy="once", exchange="flat", frame="day", capital=10_000
    )
    stop()
    assert results == []
    cost = 2_500 * 100 * 1.001
    assert [(e.symbol, e.timestamp, e.comment) for e in events] == [
        (
            "A",
            T0 + 10 * MIN,
            f"insufficient cash: the entry needs {cost * 1.001:.2f} (cost {cost:.2f} + fee "
            f"{cost * 0.001:.2f}), free cash 10000.00",
        )
    ]
    stats = Portfolio.get_data(["A"], "once")
    assert stats.final_equity == 10_000 and stats.trades == ()
    assert stats.rejections[0].held_by == ()


def test_fixed_percentage_sizing_sizes_from_the_stop_distance() -> None:
    # 1 % risk of 10 000 over a 2-unit stop: 50 units of A (5 010.01 with costs)
    add_sizing("one-pct", method="fixed_percentage", risk_percentage=1)
    _setup(sizing="one-pct")
    Portfolio.run_sync(["A"], strategy="once", exchange="flat", frame="day", capital=10_000)
    (trade,) = Portfolio.get_data(["A"], "once").trades
    assert trade.quantity == pytest.approx(50)
    assert trade.cost == pytest.approx(50 * 100.1)


def test_kelly_sizing_learns_the_win_rate_of_the_run() -> None:
    """Reward / risk 4 / 2 = 2. A (first, no history): W = 0.5, k = (0.5 x 2 - 0.5) / 2 =
    0.25, x the default multiplier 0.25. B enters after A's win: W = 1 kept to 0.99,
    k = (0.99 x 2 - 0.01) / 2 = 0.985."""
    add_sizing("kelly", method="kelly_criterion")
    _setup("kelly", entry={"A": 10, "B": 50}, spike={"A": 30, "B": 60}, take=1.04)
    Portfolio.run_sync(["A", "B"], strategy="once", exchange="flat", frame="day", capital=10_000)
    a, b = Portfolio.get_data(["A", "B"], "once").trades
    assert a.quantity == pytest.approx(10_000 * 0.25 * 0.25 / 100)
    cost = a.quantity * 100 * 1.001
    equity = 10_000 - cost * 1.001 + a.quantity * 104 * 0.999 - cost * 0.001  # A closed at 104
    assert b.opened_at == T0 + 50 * MIN
    assert b.quantity == pytest.approx(equity * 0.985 * 0.25 / 50)


def test_atr_sizing_uses_the_true_range_of_the_last_14_candles() -> None:
    # every candle spans 1 (price +/- 0.5): ATR 1; 1 % of 10 000 / (1 x multiplier 2) = 50
    add_sizing("atr", method="atr_based", risk_percentage=1)
    _setup("atr", wick=0.5)
    Portfolio.run_sync(["A"], strategy="once", exchange="flat", frame="day", capital=10_000)
    (trade,) = Portfolio.get_data(["A"], "once").trades
    assert trade.quantity == pytest.approx(50)


def test_undefined_sizing_is_a_rejection_with_its_reason() -> None:
    add_sizing("atr", method="atr_based", risk_percentage=1)
    _setup("atr")  # flat candles: no true range
    Portfolio.run_sync(["A"], strategy="once", exchange="flat", frame="day", capital=10_000)
    (rejection,) = Portfolio.get_data(["A"], "once").rejections
    assert rejection.comment == "position sizing: sizing 'atr': ATR must be positive, got 0.0"
    assert rejection.timestamp == T0 + 10 * MIN


def test_equity_frame_and_summary_series() -> None:
    _setup()
    Portfolio.run_sync(["A", "B"], strategy="once", exchange="flat", frame="day", capital=10_000)
    stats = Portfolio.get_data(["A", "B"], "once")
    frame = stats.equity_frame()
    assert list(frame["timestamp"]) == [p.timestamp for p in stats.equity]
    assert frame["drawdown_pct"].min() == 0.0
    assert frame["drawdown_pct"].max() == pytest.approx(stats.max_drawdown_pct)
    series = stats.to_series()
    assert series["trades"] == 2 and series["final_equity"] == stats.final_equity


def test_capital_needs_table_backed_candles() -> None:
    class Feed:
        def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[object]:
            return []

    add_exchange("feed", candles=Feed())
    add_frame("day", start=T0, end=T0 + 100 * MIN, interval="1m")
    add_strategy("once", interval="1m", get_signal=_signal(1.02, ENTRY))
    with pytest.raises(ValueError, match="portfolio: capital needs table-backed candles on "
                       "exchange 'feed'"):  # fmt: skip
        Portfolio.run(["A"], strategy="once", exchange="feed", frame="day", capital=1_000)
    Portfolio.run(["A"], strategy="once", exchange="feed", frame="day")  # fine without capital


def test_a_close_frees_the_slot_for_an_entry_at_the_same_minute() -> None:
    """A opens at 10 and is fast-forwarded to its take-profit at 30; B asks at 29 (A holds
    the one slot: refused) and at 30 (A's close comes first at that minute: B enters)."""
    add_exchange("flat", candles=_market({"A": 30, "B": 90}))
    add_frame("day", start=T0, end=T0 + 100 * MIN, interval="1m")
    add_risk("one", max_concurrent_positions=1)
    asks = {"A": {10}, "B": {29, 30}}

    def get_signal(symbol: str, when: datetime) -> Signal | None:
        if (round(when.timestamp() * 1000) - T0) // MIN not in asks[symbol]:
            return None
        return Signal("long", PRICE[symbol] * 1.02, PRICE[symbol] * 0.98, 100)

    add_strategy("slot", interval="1m", get_signal=get_signal, risk="one")
    results = Portfolio.run_sync(["A", "B"], strategy="slot", exchange="flat", frame="day")
    assert [(r.symbol, r.signal.pending_at, r.close_timestamp) for r in results] == [  # type: ignore[union-attr]
        ("A", T0 + 10 * MIN, T0 + 30 * MIN),
        ("B", T0 + 30 * MIN, T0 + 90 * MIN),
    ]
    (refused,) = Portfolio.get_data(["A", "B"], "slot").rejections
    assert (refused.symbol, refused.timestamp, refused.held_by) == ("B", T0 + 29 * MIN, ("A",))


def test_a_short_pays_back_its_cost_plus_the_fall() -> None:
    """A short of q at 100 (sold at 99.9 after slippage) covered when its lifetime runs out at
    the VWAP 100 (bought back at 100.1): cash gets back its cost + q x (99.9 - 100.1) less
    the second fee."""
    add_exchange("flat", candles=_market({"A": 200, "B": 200}))
    add_frame("day", start=T0, end=T0 + 100 * MIN, interval="1m")

    def short(symbol: str, when: datetime) -> Signal | None:
        if symbol != "A" or round(when.timestamp() * 1000) != T0 + 10 * MIN:
            return None
        return Signal("short", 98.0, 102.0, 20)

    add_strategy("short", interval="1m", get_signal=short)
    # no spike: SPEC 6.4's forward window (the lifetime + 4 candles from 4 minutes before the
    # entry at 10) ends at 29 and closes it there, time_expired at the VWAP
    Portfolio.run_sync(["A"], strategy="short", exchange="flat", frame="day", capital=1_000)
    (trade,) = Portfolio.get_data(["A"], "short").trades
    q = 1_000 / (100 * 0.999 * 1.001)  # one symbol: the whole equity pays cost and fee
    cost = q * 100 * 0.999
    cash = 1_000 - cost * 1.001 + cost + q * (99.9 - 100 * 1.001) - cost * 0.001
    assert trade.closed_at == T0 + 29 * MIN and trade.price_close == 100.0
    assert trade.quantity == pytest.approx(q) and trade.cost == pytest.approx(cost)
    assert Portfolio.get_data(["A"], "short").final_equity == pytest.approx(cash, rel=1e-12)
    assert trade.pnl == pytest.approx(cost * trade.pnl_percentage / 100, rel=1e-9)


def test_sizing_without_capital_is_refused() -> None:
    add_sizing("one-pct", method="fixed_percentage", risk_percentage=1)
    _setup()
    with pytest.raises(ValueError, match="portfolio: sizing 'one-pct' needs capital="):
        Portfolio.run(["A"], strategy="once", exchange="flat", frame="day", sizing="one-pct")


def test_money_keeps_a_ten_thousandth_of_the_capital() -> None:
    """A portfolio in BTC (capital 1) is reported to 4 places, not rounded to cents."""
    assert [money_places(c) for c in (10_000, 100, 99.9, 10, 1, 0.05, None)] == [
        2, 2, 3, 3, 4, 6, 2,
    ]  # fmt: skip
    add_sizing("huge", method="fixed_percentage", risk_percentage=50)
    _setup(sizing="huge")
    events: list[RiskEvent] = []
    stop = listen_risk(events.append)
    Portfolio.run_sync(["A", "B"], strategy="once", exchange="flat", frame="day", capital=1)
    stop()
    # 1 x 0.5 / 2 = 0.25 units of A at 100 x 1.001 = 25.025 (+ fee 0.025025) > 1 of cash
    assert events[0].comment == (
        "insufficient cash: the entry needs 25.0500 (cost 25.0250 + fee 0.0250), "
        "free cash 1.0000"
    )
    report = Portfolio.get_report(["A", "B"], "once")
    assert "| Starting capital | 1.0000 |" in report
    assert "| Final equity | 1.0000 |" in report  # nothing could be paid for
