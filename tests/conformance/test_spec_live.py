"""SCENARIOS section A, Live mode and persistence (issue 5): spec/event (live), spec/live,
spec/report/live-markdown, spec/callbacks (live) and spec/risk/persist-*.

Every live run is on a `VirtualClock` starting at T0 (its sleep advances time at once), with
its state in a `tmp_path` state_dir. Ticks happen at T0 + k * TICK_TTL (60 001 ms, SPEC 11.1).
The reference's persistence adapters map to our state files (SPEC 11.3): a restore scenario
writes the slot with `JsonStateStore` + `row_to_json` before `Live.run`. Rows always carry
every field (our format requires them); where the reference row had no `pendingAt` the restart
time is used, so the restored signal is as young as possible.

Expected values come from SPEC: MOCK's P* (SCENARIOS 0.4), SPEC 8 PnL, SPEC 9.2 live statistics,
SPEC 10 live report text, SPEC 3.2 tick path (expiry at the first tick with elapsed >= mET).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from backtestkit.actors import (
    Closed,
    Live,
    Opened,
    Signal,
    SignalRow,
    VirtualClock,
    add_risk,
    add_strategy,
)
from backtestkit.actors.core.registry import registry
from backtestkit.actors.core.risk import ActivePosition, RiskBook
from backtestkit.actors.live import JsonStateStore
from backtestkit.actors.live.state import LiveRiskBooks
from backtestkit.actors.live.state_json import row_to_json
from backtestkit.actors.live.ticker import TICK_TTL_MS
from backtestkit.actors.reports import LiveStatistics
from backtestkit.bus import (
    DoneEvent,
    listen_done_live,
    listen_signal_live,
    listen_signal_live_once,
)

from .harness import P_STAR, T0, add_mock_exchange, std_long
from .spec_support import SYMBOL, signed, spec_pnl, to_fixed

TICK = TICK_TTL_MS
METRICS = (
    "win_rate",
    "avg_pnl",
    "total_pnl",
    "std_dev",
    "sharpe_ratio",
    "annualized_sharpe_ratio",
    "certainty_ratio",
    "expected_yearly_returns",
)


# -- helpers ----------------------------------------------------------------------------------


def restored_row(strategy: str, **fields: Any) -> SignalRow:
    """A pending long of spec/live & spec/callbacks (42150.5 / 50150.5 / 41150.5, mET 120)."""
    values: dict[str, Any] = {
        "id": "mock-getdata-signal-id",
        "position": "long",
        "price_open": 42150.5,
        "price_take_profit": 50150.5,
        "price_stop_loss": 41150.5,
        "minute_estimated_time": 120,
        "note": "",
        "scheduled_at": T0,
        "pending_at": T0,
        "symbol": SYMBOL,
        "exchange_name": "mock",
        "strategy_name": strategy,
        "is_scheduled": False,
    }
    values.update(fields)
    return SignalRow(**values)


def write_pending(state_dir: Path, row: SignalRow) -> None:
    """What the reference's PersistSignalAdapter would hold: signal/<symbol>_<strategy>/."""
    store = JsonStateStore(state_dir)
    key = f"{row.symbol}_{row.strategy_name}"
    store.write(store.path("signal", key, f"{row.symbol}.json"), row_to_json(row))


def stop_after(count: int, strategy: str, symbol: str = SYMBOL) -> Callable[[Any], Awaitable[None]]:
    """An async signal_live listener (awaited by the tick) that stops the run at event `count`."""
    seen = 0

    async def listener(result: Any) -> None:
        nonlocal seen
        seen += 1
        if seen == count:
            await Live.stop(symbol, strategy)

    return listener


async def run_live(
    strategy: str, state_dir: Path, *, clock: VirtualClock | None = None
) -> list[Any]:
    """Live.run to its natural end (a stop); every yielded result."""
    clock = clock or VirtualClock(T0)
    with anyio.fail_after(10):
        return [
            result
            async for result in Live.run(
                SYMBOL, strategy=strategy, exchange="mock", clock=clock, state_dir=state_dir
            )
        ]


async def background_until_done(strategy: str, state_dir: Path) -> DoneEvent:
    """Live.background on virtual time, then wait for this run's done_live event."""
    done = anyio.Event()
    events: list[DoneEvent] = []

    def on_done(event: DoneEvent) -> None:
        events.append(event)
        done.set()

    listen_done_live(on_done, lambda e: e.strategy_name == strategy)
    with anyio.fail_after(10):
        Live.background(
            SYMBOL, strategy=strategy, exchange="mock", clock=VirtualClock(T0), state_dir=state_dir
        )
        await done.wait()
    return events[0]


def spec_live_metrics(pnls: list[float], durations_min: list[int]) -> dict[str, Any]:
    """SPEC 9.2 over the closed rows (newest first): 9.1 sums, durations in rounded minutes."""
    n = len(pnls)
    total = win_sum = loss_sum = 0.0
    wins = losses = 0
    for p in pnls:
        total = total + p
        if p > 0:
            wins, win_sum = wins + 1, win_sum + p
        elif p < 0:
            losses, loss_sum = losses + 1, loss_sum + p
    avg = total / n
    squares = 0.0
    for p in pnls:
        squares = squares + (p - avg) * (p - avg)
    std = math.sqrt(squares / n)
    sharpe = avg / std if std > 0 else 0.0
    avg_win = win_sum / wins if wins else 0.0
    avg_loss = loss_sum / losses if losses else 0.0
    minutes = 0.0
    for d in durations_min:
        minutes = minutes + d
    days = (minutes / n) / 1440
    return {
        "win_count": wins,
        "loss_count": losses,
        "win_rate": (wins / n) * 100,
        "avg_pnl": avg,
        "total_pnl": total,
        "std_dev": std,
        "sharpe_ratio": sharpe,
        "annualized_sharpe_ratio": sharpe * math.sqrt(365),
        "certainty_ratio": avg_win / abs(avg_loss) if avg_loss < 0 else 0.0,
        "expected_yearly_returns": avg * (365 / days if days > 0 else 0.0),
    }


def assert_metrics(data: LiveStatistics, expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        assert getattr(data, key) == value, key


def iso(ms: int) -> str:
    """SPEC 10.1 timestamp: YYYY-MM-DDTHH:MM:SS.mmmZ."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{ms % 1000:03d}Z"
    )


def usd(price: float) -> str:
    return to_fixed(price, 8) + " USD"


# -- spec/event (live) ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_signal_live(tmp_path: Path) -> None:
    """spec/event/signal-live: the first signal_live event of a STD-LONG live run is `opened`
    at P*. A stop at that event (Q7) lets the position run to its expiry at the first tick
    with elapsed >= 60 min (tick 60: 60 * 60001 ms), time_expired at P*."""
    add_mock_exchange()
    add_strategy("live", interval="1m", get_signal=std_long())
    events: list[Any] = []
    listen_signal_live(events.append)
    listen_signal_live(stop_after(1, "live"))
    done = await background_until_done("live", tmp_path)
    assert events  # asserted: an event arrives
    first = events[0]
    assert isinstance(first, Opened)
    assert first.current_price == first.signal.price_open == P_STAR
    assert first.backtest is False
    assert (first.signal.scheduled_at, first.signal.pending_at) == (T0, T0)
    assert [e.action for e in events] == ["opened"] + ["active"] * 59 + ["closed"]
    closed = events[-1]
    assert (closed.close_reason, closed.close_timestamp) == ("time_expired", T0 + 60 * TICK)
    assert closed.current_price == P_STAR
    assert closed.pnl.pnl_percentage == spec_pnl("long", P_STAR, P_STAR)
    assert done == DoneEvent(
        exchange_name="mock", strategy_name="live", backtest=False, symbol=SYMBOL
    )


@pytest.mark.anyio
async def test_signal_live_once(tmp_path: Path) -> None:
    """spec/event/signal-live-once: listen_signal_live_once(opened | scheduled) fires once,
    with the `opened` of the first tick; get_signal was asked once (no call while the position
    is open, none after the stop)."""
    add_mock_exchange()
    calls = 0
    make = std_long()

    def get_signal(symbol: str, when: datetime) -> Signal:
        nonlocal calls
        calls += 1
        return make(symbol, when)

    add_strategy("live-once", interval="1m", get_signal=get_signal)
    fired: list[Any] = []

    async def once(result: Any) -> None:
        fired.append(result)
        await Live.stop(SYMBOL, "live-once")

    listen_signal_live_once(lambda e: e.action in ("opened", "scheduled"), once)
    await background_until_done("live-once", tmp_path)
    assert len(fired) == 1  # asserted: fires (once)
    assert fired[0].action == "opened"
    assert fired[0].signal.price_open == P_STAR
    assert calls == 1


# -- spec/live ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_getdata_structure(tmp_path: Path) -> None:
    """spec/live/getdata-structure: a restored long (42150.5 / 50150.5 / 41150.5, mET 120,
    pendingAt = now). At on_active the live log is still empty (SPEC 9.2: every metric None);
    the position then runs to its expiry at tick 120 (time_expired at P*), after which the log
    holds [closed, active] (the active row is overwritten in place each tick)."""
    add_mock_exchange()
    at_active: list[LiveStatistics] = []
    add_strategy(
        "getdata",
        interval="1m",
        get_signal=lambda symbol, when: None,
        callbacks={"on_active": lambda *a: at_active.append(Live.get_data(SYMBOL, "getdata"))},
    )
    row = restored_row("getdata")
    write_pending(tmp_path, row)
    results: list[Any] = []
    with anyio.fail_after(10):
        async for result in Live.run(
            SYMBOL, strategy="getdata", exchange="mock", clock=VirtualClock(T0), state_dir=tmp_path
        ):
            results.append(result)
            break
    [data] = at_active
    assert isinstance(data.total_events, int) and isinstance(data.total_closed, int)  # asserted
    assert isinstance(data.event_list, tuple)  # asserted: a list
    assert (data.total_events, data.total_closed, data.event_list) == (0, 0, ())
    assert all(getattr(data, key) is None for key in METRICS)

    [closed] = results
    assert isinstance(closed, Closed)
    assert (closed.close_reason, closed.close_timestamp) == ("time_expired", T0 + 120 * TICK)
    assert closed.signal == row
    pnl = spec_pnl("long", 42150.5, P_STAR)
    assert closed.pnl.pnl_percentage == pnl
    after = Live.get_data(SYMBOL, "getdata")
    assert (after.total_events, after.total_closed) == (2, 1)
    newest, active = after.event_list
    assert (newest.action, newest.signal_id, newest.pnl) == ("closed", row.id, pnl)
    assert newest.duration == 120  # Math.round(120 * 60001 / 60000)
    assert (active.action, active.timestamp) == ("active", T0 + 119 * TICK)
    assert active.percent_tp == (P_STAR - 42150.5) / (50150.5 - 42150.5) * 100
    assert active.percent_sl == 0
    assert_metrics(after, spec_live_metrics([pnl], [120]))


@pytest.mark.anyio
async def test_getdata_metrics(tmp_path: Path) -> None:
    """spec/live/getdata-metrics: restored long 42150.5 / TP +1000 / SL -1000, mET 1,
    pendingAt = now - 2 min: the first tick closes it time_expired at P* (pnl +0.333796 %),
    duration 2 min; statistics per SPEC 9.2."""
    add_mock_exchange()
    ticks: list[Any] = []
    add_strategy(
        "metrics",
        interval="1m",
        get_signal=lambda symbol, when: None,
        callbacks={"on_tick": lambda symbol, result, backtest: ticks.append(result)},
    )
    write_pending(
        tmp_path,
        restored_row(
            "metrics",
            price_take_profit=43150.5,
            price_stop_loss=41150.5,
            minute_estimated_time=1,
            scheduled_at=T0 - 120_000,
            pending_at=T0 - 120_000,
        ),
    )
    with anyio.fail_after(10):
        async for result in Live.run(
            SYMBOL, strategy="metrics", exchange="mock", clock=VirtualClock(T0), state_dir=tmp_path
        ):
            assert result.action == "closed"
            break
    closed = ticks[0]  # asserted: on_tick sees `closed`, on the very first tick
    assert (closed.action, closed.close_reason) == ("closed", "time_expired")
    assert (closed.current_price, closed.close_timestamp) == (P_STAR, T0)
    pnl = spec_pnl("long", 42150.5, P_STAR)
    assert closed.pnl.pnl_percentage == pnl
    assert round(pnl, 6) == 0.333796
    data = Live.get_data(SYMBOL, "metrics")
    assert isinstance(data.event_list, tuple)
    assert (data.total_events, data.total_closed) == (1, 1)
    assert data.event_list[0].duration == 2
    for key in METRICS:
        value = getattr(data, key)
        assert value is None or isinstance(value, float)  # asserted: number or null
    assert_metrics(data, spec_live_metrics([pnl], [2]))
    assert (data.win_count, data.loss_count) == (1, 0)


@pytest.mark.anyio
async def test_getdata_empty_nulls(tmp_path: Path) -> None:
    """spec/live/getdata-empty-nulls: Live.get_data called inside the first get_signal (the
    event list is still empty) has total_closed 0 and every metric None. The run stops there;
    afterwards the single idle row makes the metrics numeric zeros (winRate None, Q24)."""
    add_mock_exchange()
    seen: list[LiveStatistics] = []

    async def get_signal(symbol: str, when: datetime) -> None:
        seen.append(Live.get_data(SYMBOL, "empty"))
        await Live.stop(SYMBOL, "empty")

    add_strategy("empty", interval="1m", get_signal=get_signal)
    assert await run_live("empty", tmp_path) == []
    [data] = seen
    assert data.total_closed == 0
    assert all(getattr(data, key) is None for key in METRICS)
    assert (data.total_events, data.event_list) == (0, ())
    after = Live.get_data(SYMBOL, "empty")
    assert (after.total_events, after.total_closed) == (1, 0)
    assert after.event_list[0].action == "idle"
    assert after.event_list[0].current_price == P_STAR
    assert after.win_rate is None
    assert all(getattr(after, key) == 0 for key in METRICS if key != "win_rate")


# -- spec/report ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_live_markdown(tmp_path: Path) -> None:
    """spec/report/live-markdown: Live.get_report after a STD-LONG live run stopped at its
    first event (the position runs to expiry at tick 60, Q7). Rows newest first: closed,
    active (overwritten in place, last at tick 59), opened; SPEC 10 text exactly."""
    add_mock_exchange()
    add_strategy("report", interval="1m", get_signal=std_long())
    opened: list[Any] = []
    listen_signal_live(lambda e: opened.append(e) if e.action == "opened" else None)
    listen_signal_live(stop_after(1, "report"))
    await background_until_done("report", tmp_path)
    report = Live.get_report(SYMBOL, "report")
    assert "# Live Trading Report:" in report  # asserted

    sid = opened[0].signal.id
    tp, sl = usd(P_STAR + 1000), usd(P_STAR - 1000)
    pnl = spec_pnl("long", P_STAR, P_STAR)
    metrics = spec_live_metrics([pnl], [60])
    header = (
        "| Timestamp | Action | Symbol | Signal ID | Position | Current Price | Open Price | "
        "Take Profit | Stop Loss | % to TP | % to SL | PNL (net) | Close Reason | Duration (min) |"
    )
    rows = [
        f"| {iso(T0 + 60 * TICK)} | CLOSED | {SYMBOL} | {sid} | LONG | {usd(P_STAR)} "
        f"| {usd(P_STAR)} | {tp} | {sl} | N/A | N/A | {signed(pnl, 2)}% | time_expired | 60 |",
        f"| {iso(T0 + 59 * TICK)} | ACTIVE | {SYMBOL} | {sid} | LONG | {usd(P_STAR)} "
        f"| {usd(P_STAR)} | {tp} | {sl} | 0.00% | 0.00% | N/A | N/A | N/A |",
        f"| {iso(T0)} | OPENED | {SYMBOL} | {sid} | LONG | {usd(P_STAR)} "
        f"| {usd(P_STAR)} | {tp} | {sl} | N/A | N/A | N/A | N/A | N/A |",
    ]
    summary = [
        "**Total events:** 3",
        "**Closed signals:** 1",
        "**Win rate:** 0.00% (0W / 1L) (higher is better)",
        f"**Average PNL:** {signed(pnl, 2)}% (higher is better)",
        f"**Total PNL:** {signed(pnl, 2)}% (higher is better)",
        "**Standard Deviation:** 0.000% (lower is better)",
        "**Sharpe Ratio:** 0.000 (higher is better)",
        "**Annualized Sharpe Ratio:** 0.000 (higher is better)",
        "**Certainty Ratio:** 0.000 (higher is better)",
        f"**Expected Yearly Returns:** {signed(metrics['expected_yearly_returns'], 2)}% "
        "(higher is better)",
    ]
    separator = "| " + " | ".join(["---"] * 14) + " |"
    expected = ["# Live Trading Report: report", "", header, separator, *rows, "", *summary]
    assert report == "\n".join(expected)


# -- spec/callbacks (live) ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_on_active_live(tmp_path: Path) -> None:
    """spec/callbacks/on-active-live: a persisted pending long is restored at live start:
    on_active(BTCUSDT, row, P*, False), before the first tick; that tick finds neither TP nor
    SL and returns `active` with SPEC 1.6 percentages."""
    add_mock_exchange()
    calls: list[tuple[Any, ...]] = []
    ticks: list[Any] = []
    add_strategy(
        "active-live",
        interval="1m",
        get_signal=lambda symbol, when: None,
        callbacks={
            "on_active": lambda *args: calls.append(args),
            "on_tick": lambda symbol, result, backtest: ticks.append(result),
        },
    )
    row = restored_row("active-live", id="mock-active-signal-id")
    write_pending(tmp_path, row)
    listen_signal_live(stop_after(1, "active-live"))
    results = await run_live("active-live", tmp_path)
    assert calls  # asserted: on_active called
    assert calls == [(SYMBOL, row, P_STAR, False)]
    first = ticks[0]
    assert first.action == "active"
    assert first.percent_tp == (P_STAR - 42150.5) / (50150.5 - 42150.5) * 100
    assert first.percent_sl == 0
    # decision Q7: the stop leaves the position monitored until it closes (expiry, tick 120)
    [closed] = results
    assert (closed.close_reason, closed.close_timestamp) == ("time_expired", T0 + 120 * TICK)


@pytest.mark.anyio
async def test_on_idle_live(tmp_path: Path) -> None:
    """spec/callbacks/on-idle-live: get_signal None: on_idle(BTCUSDT, P*, False) on the first
    tick; cancelling from there ends the loop at once (idle while stopped)."""
    add_mock_exchange()
    calls: list[tuple[Any, ...]] = []
    cancel: list[Callable[[], None]] = []

    def on_idle(*args: Any) -> None:
        calls.append(args)
        cancel[0]()

    add_strategy(
        "idle-live",
        interval="1m",
        get_signal=lambda symbol, when: None,
        callbacks={"on_idle": on_idle},
    )
    done = anyio.Event()
    listen_done_live(lambda e: done.set())
    with anyio.fail_after(10):
        cancel.append(
            Live.background(
                SYMBOL,
                strategy="idle-live",
                exchange="mock",
                clock=VirtualClock(T0),
                state_dir=tmp_path,
            )
        )
        await done.wait()
    assert calls  # asserted: on_idle called
    assert calls == [(SYMBOL, P_STAR, False)]


# -- spec/risk persistence ------------------------------------------------------------------------
# The reference's PersistRiskAdapter.writePositionData / readPositionData are our live risk
# books on disk: risk/<riskName>/positions.json holding [key, position] pairs (SPEC 11.3),
# written by LiveRiskBooks.save and read by LiveRiskBooks.get (a fresh LiveRiskBooks reads).


def _positions_file(state_dir: Path, risk: str) -> Path:
    return state_dir / "risk" / risk / "positions.json"


def _pairs(*entries: tuple[str, str, str, int]) -> list[list[Any]]:
    return [
        [key, {"signal": None, "strategyName": s, "exchangeName": e, "openTimestamp": t}]
        for key, s, e, t in entries
    ]


def _write_book(store: JsonStateStore, risk: str, pairs: list[list[Any]]) -> None:
    book = RiskBook(registry.risk(risk))
    for key, body in pairs:
        book.positions[key] = ActivePosition(
            signal=None,
            strategy_name=body["strategyName"],
            exchange_name=body["exchangeName"],
            open_timestamp=body["openTimestamp"],
        )
    book.changed = True
    LiveRiskBooks().save(store, book)


def _read_book(store: JsonStateStore, risk: str) -> list[tuple[str, ActivePosition]]:
    return list(LiveRiskBooks().get(store, registry.risk(risk)).positions.items())


def test_persist_read_empty(tmp_path: Path) -> None:
    """spec/risk/persist-read-empty: no positions file -> an empty book ([]), nothing written."""
    add_risk("test-risk-empty")
    assert _read_book(JsonStateStore(tmp_path), "test-risk-empty") == []
    assert not (tmp_path / "risk").exists()


def test_persist_roundtrip(tmp_path: Path) -> None:
    """spec/risk/persist-roundtrip: two pairs written, read back in order; the file holds the
    reference's [key, {signal: null, strategyName, exchangeName, openTimestamp}] pairs."""
    add_risk("test-risk-persist")
    store = JsonStateStore(tmp_path)
    pairs = _pairs(
        ("strategy1:BTCUSDT", "strategy1", "binance", 1234567890),
        ("strategy2:ETHUSDT", "strategy2", "binance", 1234567900),
    )
    _write_book(store, "test-risk-persist", pairs)
    assert orjson.loads(_positions_file(tmp_path, "test-risk-persist").read_bytes()) == pairs
    read = _read_book(store, "test-risk-persist")
    assert [key for key, _ in read] == ["strategy1:BTCUSDT", "strategy2:ETHUSDT"]
    assert [p.strategy_name for _, p in read] == ["strategy1", "strategy2"]
    assert [p.open_timestamp for _, p in read] == [1234567890, 1234567900]
    assert [p.exchange_name for _, p in read] == ["binance", "binance"]


class _CustomRiskStore(JsonStateStore):
    """A replaced adapter: risk reads answer a fixed list; risk writes accept only the
    `positions` document holding a list (else "Invalid write")."""

    FIXED = _pairs(("custom:BTCUSDT", "custom-strategy", "custom-exchange", 9999999))

    def __init__(self, base_dir: Path) -> None:
        super().__init__(base_dir)
        self.reads: list[Path] = []
        self.writes: list[tuple[Path, Any]] = []

    def read(self, path: Path, validate: Callable[[Any], Any] | None = None) -> Any:
        if path.parent.parent.name != "risk":
            return super().read(path, validate)
        self.reads.append(path)
        return validate(self.FIXED) if validate is not None else self.FIXED

    def write(self, path: Path, value: Any) -> None:
        if path.parent.parent.name == "risk":
            if path.name != "positions.json" or not isinstance(value, list):
                raise ValueError("Invalid write")
            self.writes.append((path, value))
        super().write(path, value)


@pytest.mark.anyio
async def test_persist_custom_adapter(tmp_path: Path) -> None:
    """spec/risk/persist-custom-adapter: a live run with a replaced store reads the risk book
    through it (the validation sees the custom position) and writes the `positions` document
    (key "positions" -> risk/<name>/positions.json) after the open."""
    counts: list[int] = []

    def record(check: Any) -> None:
        counts.append(check.active_position_count)
        assert check.active_positions[0].strategy_name == "custom-strategy"

    add_risk("custom-risk", validations=[record])
    add_mock_exchange()
    add_strategy("live-custom", interval="1m", get_signal=std_long(), risk="custom-risk")
    store = _CustomRiskStore(tmp_path)
    listen_signal_live(stop_after(1, "live-custom"))
    with anyio.fail_after(10):
        results = [
            r
            async for r in Live.run(
                SYMBOL,
                strategy="live-custom",
                exchange="mock",
                clock=VirtualClock(T0),
                state_dir=store,
            )
        ]
    assert store.reads == [_positions_file(tmp_path, "custom-risk")]  # asserted: read called
    assert counts == [1, 1]  # both risk checks (SPEC 5 step 6 and 3.2 step 3, Q9) see it
    assert [r.action for r in results] == ["opened", "closed"]
    # asserted: write called with key "positions" and a list: after the open, after the close
    assert [path for path, _ in store.writes] == [_positions_file(tmp_path, "custom-risk")] * 2
    opened_book, closed_book = (value for _, value in store.writes)
    assert [key for key, _ in opened_book] == ["custom:BTCUSDT", "live-custom:BTCUSDT"]
    assert [key for key, _ in closed_book] == ["custom:BTCUSDT"]


def test_persist_map_conversion(tmp_path: Path) -> None:
    """spec/risk/persist-map-conversion: the pairs of a 2-entry mapping, written and read,
    rebuild the same mapping."""
    add_risk("test-risk-map")
    store = JsonStateStore(tmp_path)
    mapping = {
        "strategy1:BTCUSDT": ("strategy1", "binance", 1000),
        "strategy2:ETHUSDT": ("strategy2", "binance", 2000),
    }
    _write_book(store, "test-risk-map", _pairs(*((k, *v) for k, v in mapping.items())))
    rebuilt = dict(_read_book(store, "test-risk-map"))
    assert len(rebuilt) == 2
    assert {
        k: (p.strategy_name, p.exchange_name, p.open_timestamp) for k, p in rebuilt.items()
    } == mapping


def test_persist_overwrite(tmp_path: Path) -> None:
    """spec/risk/persist-overwrite: a second write replaces the first: exactly the 2 new pairs."""
    add_risk("test-risk-overwrite")
    store = JsonStateStore(tmp_path)
    _write_book(store, "test-risk-overwrite", _pairs(("strategy1:BTCUSDT", "strategy1", "b", 1)))
    _write_book(
        store,
        "test-risk-overwrite",
        _pairs(
            ("strategy2:ETHUSDT", "strategy2", "b", 2), ("strategy3:BNBUSDT", "strategy3", "b", 3)
        ),
    )
    read = _read_book(store, "test-risk-overwrite")
    assert [(k, p.strategy_name) for k, p in read] == [
        ("strategy2:ETHUSDT", "strategy2"),
        ("strategy3:BNBUSDT", "strategy3"),
    ]


def test_persist_isolation(tmp_path: Path) -> None:
    """spec/risk/persist-isolation: one document per risk name; each read sees only its own."""
    add_risk("test-risk-isolation-1")
    add_risk("test-risk-isolation-2")
    store = JsonStateStore(tmp_path)
    _write_book(store, "test-risk-isolation-1", _pairs(("risk1:BTCUSDT", "risk1", "b", 1)))
    _write_book(store, "test-risk-isolation-2", _pairs(("risk2:ETHUSDT", "risk2", "b", 2)))
    assert [k for k, _ in _read_book(store, "test-risk-isolation-1")] == ["risk1:BTCUSDT"]
    assert [k for k, _ in _read_book(store, "test-risk-isolation-2")] == ["risk2:ETHUSDT"]
    assert _positions_file(tmp_path, "test-risk-isolation-1").is_file()
    assert _positions_file(tmp_path, "test-risk-isolation-2").is_file()
