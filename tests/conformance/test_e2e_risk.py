"""SCENARIOS B.9 e2e/risk: backtests with risk profiles (MOCK exchange, short 1m frames).

Strategy: STD-LONG (market long at P*, TP P*+1000, SL P*-1000, mET 60) on every call: it opens
at a tick, closes take_profit 7 min later, and the next tick opens again. An immediate signal is
risk-checked twice (the DTO with the VWAP, then the row with priceOpen, Q9). Backtests that must
share a risk book run concurrently in the background over an async MOCK (every fetch yields to
the event loop, as the reference's awaited getCandles do), so their ticks interleave.

RiskRejections.get_data / get_report (SPEC 9.7) are checked against the rejections seen on
listen_risk: the storage keeps them per "<symbol>:<strategy>", newest first.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from backtestkit.actors import (
    RiskCheck,
    RiskRejections,
    RiskValidation,
    Signal,
    add_risk,
    add_strategy,
    get_average_price,
)
from backtestkit.bus import RiskEvent, listen_risk, listen_risk_once, listen_validation

from .e2e_sources import (
    MIN,
    AsyncSource,
    Recorder,
    add_recorded_strategy,
    add_source_exchange,
    resolve,
    run_background,
    run_backtest,
)
from .harness import P_STAR, T0, MockCandles, add_minute_frame, add_mock_exchange
from .spec_support import to_fixed


async def std_long(symbol: str, when: Any) -> Signal:
    p = await resolve(get_average_price(symbol))
    return Signal("long", p + 1000, p - 1000, 60)


def limit(count: int) -> Any:
    def validate(check: RiskCheck) -> None:
        if check.active_position_count >= count:
            raise ValueError(f"max {count} active positions")

    return validate


def reject_symbols(*symbols: str) -> Any:
    def validate(check: RiskCheck) -> None:
        if check.symbol in symbols:
            raise ValueError(f"{check.symbol} not allowed")

    return validate


def setup(frame_minutes: int = 10, *, concurrent: bool = False) -> None:
    if concurrent:
        add_source_exchange("mock", AsyncSource(MockCandles()))
    else:
        add_mock_exchange()
    add_minute_frame("frame", T0, T0 + frame_minutes * MIN)


def risk_events() -> list[RiskEvent]:
    events: list[RiskEvent] = []
    listen_risk(events.append)
    return events


def test_risk_symbol_filter() -> None:
    """e2e/risk/symbol-filter: BTC rejected on every tick, ETH allowed and opened."""
    setup()
    add_risk("no-btc", validations=[reject_symbols("BTCUSDT")])
    recorder = add_recorded_strategy("filtered", std_long, risk="no-btc")
    events = risk_events()
    run_backtest("BTCUSDT", "filtered", "mock", "frame")
    btc_opened = len(recorder.open)
    run_backtest("ETHUSDT", "filtered", "mock", "frame")
    assert btc_opened == 0
    assert events and all(e.symbol == "BTCUSDT" for e in events)
    assert len(recorder.open) >= 1
    assert all(symbol == "ETHUSDT" for symbol, *_ in recorder.open)
    # 11 frame points, each one rejected DTO check; ETH opens at T0 and T0+8m
    assert len(events) == 11
    assert all(e.current_price == P_STAR and e.active_position_count == 0 for e in events)
    assert all(e.comment == "N/A" and isinstance(e.pending_signal, Signal) for e in events)
    assert [row.pending_at for _, row, _, _ in recorder.open] == [T0, T0 + 8 * MIN]


def test_risk_price_based() -> None:
    """e2e/risk/price-based: the price is above the threshold: allowed and opened."""
    setup()
    allowed: list[RiskCheck] = []

    def above(check: RiskCheck) -> None:
        if check.current_price < 40000:
            raise ValueError("price below 40000")

    add_risk("price", validations=[above], callbacks={"on_allowed": lambda s, c: allowed.append(c)})
    recorder = add_recorded_strategy("price-based", std_long, risk="price")
    events = risk_events()
    run_backtest("BTCUSDT", "price-based", "mock", "frame")
    assert len(allowed) >= 1 and len(recorder.open) >= 1
    assert events == []
    assert len(recorder.open) == 2 and len(allowed) == 4  # two checks per immediate open (Q9)
    assert all(c.current_price == P_STAR for c in allowed)


@pytest.mark.anyio
async def test_risk_shared_profile() -> None:
    """e2e/risk/shared-profile: two strategies share a one-position risk: never both open."""
    setup(concurrent=True)
    add_risk("shared", validations=[limit(1)])
    shared = Recorder()
    for name in ("strategy-a", "strategy-b"):
        add_strategy(
            name, interval="1m", get_signal=std_long, risk="shared", callbacks=shared.callbacks()
        )
    events = risk_events()
    await run_background(
        ("BTCUSDT", "strategy-a", "mock", "frame"), ("BTCUSDT", "strategy-b", "mock", "frame")
    )
    assert len(shared.open) > 0
    assert shared.max_open <= 1
    assert events  # the second strategy is rejected while the first holds its position


@pytest.mark.anyio
async def test_risk_active_positions_array() -> None:
    """e2e/risk/active-positions-array: active_positions lists active_position_count entries."""
    setup(concurrent=True)
    seen: list[tuple[int, int]] = []

    def check_array(check: RiskCheck) -> None:
        assert isinstance(check.active_positions, tuple | list)
        seen.append((len(check.active_positions), check.active_position_count))
        for position in check.active_positions:
            assert position.signal is None and position.exchange_name == ""
            assert position.strategy_name == "positions"

    add_risk("array", validations=[check_array])
    add_recorded_strategy("positions", std_long, risk="array")
    await run_background(
        ("BTCUSDT", "positions", "mock", "frame"), ("ETHUSDT", "positions", "mock", "frame")
    )
    assert seen
    assert all(length == count for length, count in seen)
    assert max(count for _, count in seen) >= 0


def test_risk_timestamp_based() -> None:
    """e2e/risk/timestamp-based: rejected before T0+5m, allowed afterwards."""
    setup(20)
    cutoff = T0 + 5 * MIN

    def after_cutoff(check: RiskCheck) -> None:
        if check.timestamp < cutoff:
            raise ValueError("too early")

    add_risk("time", validations=[after_cutoff])
    recorder = add_recorded_strategy("timed", std_long, risk="time")
    events = risk_events()
    run_backtest("BTCUSDT", "timed", "mock", "frame")
    assert len(events) >= 1 and len(recorder.open) >= 1
    assert len(events) == 5  # ticks T0 .. T0+4m
    assert [row.pending_at for _, row, _, _ in recorder.open] == [cutoff, T0 + 13 * MIN]


def test_risk_max_zero() -> None:
    """e2e/risk/max-zero: active_position_count >= 0 always rejects: nothing opens."""
    setup()
    allowed: list[RiskCheck] = []
    add_risk(
        "zero", validations=[limit(0)], callbacks={"on_allowed": lambda s, c: allowed.append(c)}
    )
    recorder = add_recorded_strategy("max-zero", std_long, risk="zero")
    events = risk_events()
    results = run_backtest("BTCUSDT", "max-zero", "mock", "frame")
    assert len(events) > 0
    assert allowed == []
    assert recorder.open == [] and results == []
    assert len(events) == 11


def test_risk_metadata() -> None:
    """e2e/risk/metadata: the validation payload names the strategy and the exchange."""
    add_source_exchange("binance-integration-metadata", MockCandles())
    add_minute_frame("frame", T0, T0 + 10 * MIN)
    seen: list[tuple[str, str, str]] = []
    add_risk(
        "metadata",
        validations=[lambda c: seen.append((c.strategy_name, c.exchange_name, c.symbol))],
    )
    add_recorded_strategy("test-strategy-metadata", std_long, risk="metadata")
    run_backtest("BTCUSDT", "test-strategy-metadata", "binance-integration-metadata", "frame")
    assert seen
    assert all(
        s == ("test-strategy-metadata", "binance-integration-metadata", "BTCUSDT") for s in seen
    )


def test_risk_fail_fast_order() -> None:
    """e2e/risk/fail-fast-order: validations run in order; the first throw stops the loop."""
    setup()
    called: list[str] = []

    def first(check: RiskCheck) -> None:
        called.append("first")

    def second(check: RiskCheck) -> None:
        called.append("second")
        raise ValueError("second rejects")

    def third(check: RiskCheck) -> None:
        called.append("third")

    add_risk("ordered", validations=[first, second, third])
    add_recorded_strategy("fail-fast", std_long, risk="ordered")
    errors: list[BaseException] = []
    listen_validation(errors.append)
    run_backtest("BTCUSDT", "fail-fast", "mock", "frame")
    assert "first" in called and "second" in called
    assert "third" not in called
    assert called == ["first", "second"] * 11
    assert [str(e) for e in errors] == ["second rejects"] * 11


def check_event_fields(event: RiskEvent) -> None:
    assert event.symbol and event.strategy_name and event.exchange_name
    assert event.pending_signal is not None
    assert event.current_price > 0
    assert isinstance(event.active_position_count, int)
    assert isinstance(event.comment, str)
    assert isinstance(event.timestamp, int)


@pytest.mark.anyio
async def test_risk_listen_risk() -> None:
    """e2e/risk/listen-risk: three symbols share a two-position limit: rejections."""
    setup(concurrent=True)
    add_risk("two", validations=[limit(2)])
    add_recorded_strategy("listen", std_long, risk="two")
    events = risk_events()
    symbols = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    await run_background(*[(s, "listen", "mock", "frame") for s in symbols])
    assert len(events) >= 1
    for event in events:
        check_event_fields(event)
        assert event.active_position_count >= 2


def test_risk_listen_risk_once() -> None:
    """e2e/risk/listen-risk-once: a filtered listen_risk_once fires once, for its symbol."""
    setup()
    add_risk("no-btc-eth", validations=[reject_symbols("BTCUSDT", "ETHUSDT")])
    add_recorded_strategy("once", std_long, risk="no-btc-eth")
    once: list[RiskEvent] = []
    listen_risk_once(lambda e: e.symbol == "ETHUSDT", once.append)
    run_backtest("BTCUSDT", "once", "mock", "frame")
    run_backtest("ETHUSDT", "once", "mock", "frame")
    assert len(once) == 1
    assert once[0].symbol == "ETHUSDT"


def test_risk_comment_note() -> None:
    """e2e/risk/comment-note: the rejection comment is the validation's note."""
    setup()
    note = "Custom rejection reason for testing"
    add_risk("noted", validations=[RiskValidation(limit(0), note=note)])
    add_recorded_strategy("noted", std_long, risk="noted")
    events = risk_events()
    run_backtest("BTCUSDT", "noted", "mock", "frame")
    assert events
    assert all(e.comment == note for e in events)


def test_risk_no_spam() -> None:
    """e2e/risk/no-spam: allowed signals produce no risk event."""
    setup()
    allowed: list[RiskCheck] = []
    add_risk(
        "ten", validations=[limit(10)], callbacks={"on_allowed": lambda s, c: allowed.append(c)}
    )
    add_recorded_strategy("quiet", std_long, risk="ten")
    events = risk_events()
    run_backtest("BTCUSDT", "quiet", "mock", "frame")
    assert len(allowed) > 0
    assert len(events) == 0 < len(allowed)


def iso(ms: int) -> str:
    """JS toISOString (SPEC 10.1)."""
    stamp = datetime.fromtimestamp(ms / 1000, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def usd(value: float | None) -> str:
    return "N/A" if value is None else to_fixed(value, 8) + " USD"


def risk_row(event: RiskEvent) -> str:
    """SPEC 10 risk table row (Note hidden): the checked signal's fields, N/A when absent."""
    signal = event.pending_signal
    cells = [
        event.symbol,
        event.strategy_name,
        getattr(signal, "id", None) or "N/A",
        signal.position.upper(),
        event.exchange_name,
        usd(signal.price_open),
        usd(signal.price_take_profit),
        usd(signal.price_stop_loss),
        usd(event.current_price),
        str(event.active_position_count),
        event.comment,
        iso(event.timestamp),
    ]
    return "| " + " | ".join(cells) + " |"


async def shared_limit_one(events: list[RiskEvent]) -> list[tuple[str, str]]:
    """Two strategies share a one-position limit on ETHUSDT, run at once (the reference's
    getdata / getreport setup); the (symbol, strategy) pairs that saw rejections."""
    setup(concurrent=True)
    add_risk("max-1", validations=[RiskValidation(limit(1), note="Max 1 position")])
    names = ("test-strategy-get-data-1", "test-strategy-get-data-2")
    for name in names:
        add_recorded_strategy(name, std_long, risk="max-1")
    await run_background(*[("ETHUSDT", name, "mock", "frame") for name in names])
    return sorted({(e.symbol, e.strategy_name) for e in events})


@pytest.mark.anyio
async def test_risk_getdata() -> None:
    """e2e/risk/getdata: RiskRejections.get_data counts the pair's rejections, newest first."""
    events = risk_events()
    pairs = await shared_limit_one(events)
    assert pairs
    for symbol, strategy in pairs:
        data = RiskRejections.get_data(symbol, strategy)
        assert data.total_rejections > 0
        assert data.total_rejections == len(data.event_list)
        own = [e for e in events if (e.symbol, e.strategy_name) == (symbol, strategy)]
        assert list(data.event_list) == own[::-1]
        assert data.by_symbol == {symbol: len(own)}
        assert data.by_strategy == {strategy: len(own)}
        assert all(e.comment == "Max 1 position" for e in data.event_list)
    assert sum(RiskRejections.get_data(s, n).total_rejections for s, n in pairs) == len(events)


@pytest.mark.anyio
async def test_risk_getreport() -> None:
    """e2e/risk/getreport: the Markdown report of a pair's rejections (SPEC 10)."""
    events = risk_events()
    symbol, strategy = (await shared_limit_one(events))[-1]
    own = [e for e in events if (e.symbol, e.strategy_name) == (symbol, strategy)]
    report = RiskRejections.get_report(symbol, strategy)
    assert report.startswith("# Risk Rejection Report:")
    assert "| Symbol |" in report and "Total rejections" in report
    header = (
        "| Symbol | Strategy | Signal ID | Position | Exchange | Open Price | Take Profit"
        " | Stop Loss | Current Price | Active Positions | Reason | Timestamp |"
    )
    assert report.split("\n") == [
        f"# Risk Rejection Report: {symbol}:{strategy}",
        "",
        header,
        "| --- |" + " --- |" * 11,
        *[risk_row(e) for e in reversed(own)],
        "",
        f"**Total rejections:** {len(own)}",
        "",
        "## Rejections by Symbol",
        f"- {symbol}: {len(own)}",
        "",
        "## Rejections by Strategy",
        f"- {strategy}: {len(own)}",
    ]
    assert "| ETHUSDT |" in report and "Max 1" in report


@pytest.mark.anyio
async def test_risk_by_symbol_by_strategy() -> None:
    """e2e/risk/by-symbol-by-strategy: two strategies x BTC/ETH under a two-position limit;
    RiskRejections.get_data counts every pair's rejections by symbol and by strategy."""
    setup(concurrent=True)
    add_risk("pairs", validations=[limit(2)])
    for name in ("strategy-1", "strategy-2"):
        add_recorded_strategy(name, std_long, risk="pairs")
    events = risk_events()
    names = ("strategy-1", "strategy-2")
    runs = [(s, n, "mock", "frame") for n in names for s in ("BTCUSDT", "ETHUSDT")]
    await run_background(*runs)
    pairs = Counter((e.symbol, e.strategy_name) for e in events)
    assert len(pairs) >= 2
    by_symbol = Counter(e.symbol for e in events)
    by_strategy = Counter(e.strategy_name for e in events)
    assert sum(by_symbol.values()) == sum(by_strategy.values()) == len(events)
    for (symbol, strategy), count in pairs.items():
        data = RiskRejections.get_data(symbol, strategy)
        assert data.total_rejections == count
        assert data.by_symbol == {symbol: count}
        assert data.by_strategy == {strategy: count}
    for symbol in ("BTCUSDT", "ETHUSDT"):
        for strategy in names:
            if (symbol, strategy) not in pairs:
                assert RiskRejections.get_data(symbol, strategy).total_rejections == 0


def test_risk_risk_list_and() -> None:
    """e2e/risk/risk-list-and: a signal passes only if every listed profile allows it."""
    setup()
    called: Counter[str] = Counter()

    def limit5(check: RiskCheck) -> None:
        called["limit5"] += 1
        limit(5)(check)

    def no_btc(check: RiskCheck) -> None:
        called["no-btc"] += 1
        reject_symbols("BTCUSDT")(check)

    add_risk("limit5", validations=[limit5])
    add_risk("no-btc", validations=[no_btc])
    recorder = add_recorded_strategy("and", std_long, risk=["limit5", "no-btc"])
    events = risk_events()
    run_backtest("BTCUSDT", "and", "mock", "frame")
    btc_opened = len(recorder.open)
    run_backtest("ETHUSDT", "and", "mock", "frame")
    assert btc_opened == 0
    assert len(recorder.open) > 0
    assert called["limit5"] > 0 and called["no-btc"] > 0
    assert len(events) > 0
    assert all(e.symbol == "BTCUSDT" for e in events)


def test_risk_risk_name_plus_list() -> None:
    """e2e/risk/risk-name-plus-list: riskName + riskList: all three profiles are checked."""
    setup()
    called: Counter[str] = Counter()

    def track(name: str, inner: Any = None) -> Any:
        def validate(check: RiskCheck) -> None:
            called[name] += 1
            if inner is not None:
                inner(check)

        return validate

    add_risk("main", validations=[track("main", limit(10))])
    add_risk("no-xrp", validations=[track("no-xrp", reject_symbols("XRPUSDT"))])
    add_risk("other", validations=[track("other")])
    add_recorded_strategy("three", std_long, risk=["main", "no-xrp", "other"])
    run_backtest("XRPUSDT", "three", "mock", "frame")
    assert called["main"] > 0 and called["no-xrp"] > 0 and called["other"] > 0
    # every profile is evaluated even after another rejected (SPEC 1.4)
    assert called["main"] == called["no-xrp"] == called["other"] == 11


def test_risk_list_fail_fast() -> None:
    """e2e/risk/list-fail-fast: within each profile, validations after a throw are skipped."""
    setup()
    called: list[str] = []

    def make(name: str, throws: bool = False) -> Any:
        def validate(check: RiskCheck) -> None:
            called.append(name)
            if throws:
                raise ValueError(name)

        return validate

    add_risk("a", validations=[make("a1"), make("a2", True), make("a3")])
    add_risk("b", validations=[make("b1", True), make("b2")])
    add_recorded_strategy("fail-fast-list", std_long, risk=["a", "b"])
    run_backtest("BTCUSDT", "fail-fast-list", "mock", "frame")
    assert {"a1", "a2", "b1"} <= set(called)
    assert "a3" not in called and "b2" not in called


@pytest.mark.anyio
async def test_risk_list_shared_count() -> None:
    """e2e/risk/list-shared-count: two listed profiles see identical position counts."""
    setup(concurrent=True)
    counts: dict[str, list[int]] = {"a": [], "b": []}
    for name in ("a", "b"):

        def record(check: RiskCheck, name: str = name) -> None:
            counts[name].append(check.active_position_count)
            limit(3)(check)

        add_risk(name, validations=[record])
    add_recorded_strategy("shared-count", std_long, risk=["a", "b"])
    await run_background(
        ("BTCUSDT", "shared-count", "mock", "frame"), ("ETHUSDT", "shared-count", "mock", "frame")
    )
    assert counts["a"] and counts["a"] == counts["b"]
