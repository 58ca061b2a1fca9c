"""The engine's per-frame fast paths (issue 29) serve what SPEC 7.1 and SPEC 5 say, as the clock
moves one execution context: get_candles by index math on a regular table (both look-ahead
profiles, every interval, the table's edges, minutes off the interval's grid), a window the
strategy keeps is never changed by a later call, and the quiet scan asks get_signal exactly at
the instants the throttle allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flat_market import MIN, SYMBOL, T0, flat_market
from test_exchange import linear_columns

from backtestkit.actors import (
    Backtest,
    Candles,
    add_exchange,
    add_frame,
    add_strategy,
    get_candles,
    set_config,
)
from backtestkit.actors.core import ExecutionContext
from backtestkit.actors.core.context import execution_context
from backtestkit.actors.exchange import ExchangeActor
from backtestkit.actors.live.live_exchange import LiveExchange
from backtestkit.actors.live.recorded_exchange import RecordedExchange
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.bus import listen_signal

INTERVAL_MINUTES = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "1h": 60}


def at(minutes: float) -> int:
    return T0 + round(minutes * MIN)


def exchange(name: str, minutes: list[int]) -> ExchangeActor:
    candles = MemoryCandles({SYMBOL: linear_columns(minutes)})
    return ExchangeActor(add_exchange(name, candles=candles))


def expected_stamps(minutes: list[int], interval: str, limit: int, when: int, safe: bool) -> list:
    """SPEC 7.1 by hand: the interval's epoch-aligned buckets stamped in [since, until], where
    until is `when` (reference profile) or `when` minus one interval (safe: closed by `when`)
    and since lies limit - 1 intervals before until."""
    step = INTERVAL_MINUTES[interval] * MIN
    buckets = sorted({at(k) - at(k) % step for k in minutes})
    until = when - step if safe else when
    since = until - (limit - 1) * step
    return [b for b in buckets if since <= b <= until]


@pytest.mark.parametrize("profile", ["reference", "safe"])
@pytest.mark.parametrize("interval", list(INTERVAL_MINUTES))
@pytest.mark.parametrize("gappy", [False, True])
def test_a_moving_context_serves_every_window_by_the_rule(
    profile: str, interval: str, gappy: bool
) -> None:
    set_config(CC_LOOKAHEAD_PROFILE=profile)
    minutes = [k for k in range(300) if not (gappy and 60 <= k < 130)]  # a gap in every interval
    actor = exchange(f"fast-{profile}-{interval}-{gappy}", minutes)
    context = ExecutionContext(SYMBOL, at(-90), True, actor)
    token = execution_context.set(context)
    try:
        for limit in (2, 5, 30):
            for half_minutes in range(-180, 700):  # before the data, on and off the grid, after
                context.when = at(half_minutes / 2)
                candles = get_candles(SYMBOL, interval, limit)
                assert isinstance(candles, Candles)
                got = [int(t) for t in candles.timestamp]
                assert got == expected_stamps(
                    minutes, interval, limit, context.when, profile == "safe"
                ), (limit, half_minutes / 2)
        assert bool(context.windows) is not gappy  # a regular table took the fast path
    finally:
        execution_context.reset(token)


@pytest.mark.parametrize("first_call", [True, False])
def test_get_candles_without_a_symbol_or_interval_says_so(first_call: bool) -> None:
    """None for both, before or after a window was served, is the exchange's clear error,
    never a window remembered for another key."""
    actor = exchange(f"nothing-{first_call}", list(range(60)))
    context = ExecutionContext(SYMBOL, at(30), True, actor)
    token = execution_context.set(context)
    try:
        if not first_call:
            get_candles(SYMBOL, "1m", 3)
        with pytest.raises(ValueError, match="unknown interval None"):
            get_candles(None, None, 5)  # type: ignore[arg-type]
    finally:
        execution_context.reset(token)


def test_a_window_the_strategy_keeps_is_not_changed_by_later_calls() -> None:
    actor = exchange("kept", list(range(60)))
    context = ExecutionContext(SYMBOL, at(10), True, actor)
    token = execution_context.set(context)
    try:
        get_candles(SYMBOL, "1m", 3)  # the first call learns the table
        kept = []
        for minute in (10, 20, 30):
            context.when = at(minute)
            kept.append(get_candles(SYMBOL, "1m", 3))
        context.when = at(40)
        dropped = [int(t) for t in get_candles(SYMBOL, "1m", 3).timestamp]  # type: ignore[union-attr]
        context.when = at(50)
        latest = get_candles(SYMBOL, "1m", 4)
    finally:
        execution_context.reset(token)
    assert [[int(t) for t in window.timestamp] for window in kept] == [  # type: ignore[union-attr]
        [at(8), at(9), at(10)],
        [at(18), at(19), at(20)],
        [at(28), at(29), at(30)],
    ]
    assert dropped == [at(38), at(39), at(40)]
    assert [int(t) for t in latest.timestamp] == [at(47), at(48), at(49), at(50)]  # type: ignore[union-attr]
    assert latest.close.tolist() == [147.5, 148.5, 149.5, 150.5]  # type: ignore[union-attr]


def test_windows_asked_in_turn_each_follow_the_rule() -> None:
    """get_candles remembers the last window it served: keys asked in turn (two intervals, a
    second symbol, and an interval string equal to "1m" but built at run time) never get
    another key's candles. ETH's candles are BTC's shifted by 1000 in price."""
    other = "ETHUSDT"
    minutes = list(range(120))
    eth = linear_columns(minutes)
    for column in ("open", "high", "low", "close"):
        eth[column] = [price + 1000 for price in eth[column]]
    candles = MemoryCandles({SYMBOL: linear_columns(minutes), other: eth})
    actor = ExchangeActor(add_exchange("turns", candles=candles))
    context = ExecutionContext(SYMBOL, at(30), True, actor)
    one_minute = "".join(["1", "m"])  # equal to "1m", another object
    asks = [(SYMBOL, "1m", 3), (SYMBOL, "5m", 2), (other, "1m", 3), (SYMBOL, one_minute, 4)]
    token = execution_context.set(context)
    try:
        for minute in range(30, 110, 7):
            context.when = at(minute)
            for symbol, interval, limit in asks * 2:
                window = get_candles(symbol, interval, limit)
                assert isinstance(window, Candles)
                stamps = expected_stamps(minutes, interval, limit, context.when, False)
                assert [int(t) for t in window.timestamp] == stamps, (symbol, interval, minute)
                if interval != "5m":  # a one-minute candle's close: 100.5 + its minute
                    shift = 1000 if symbol == other else 0
                    closes = [100.5 + (t - T0) // MIN + shift for t in stamps]
                    assert window.close.tolist() == closes, (symbol, interval, minute)
        assert sorted(context.windows) == sorted([(SYMBOL, "1m"), (SYMBOL, "5m"), (other, "1m")])
    finally:
        execution_context.reset(token)


@pytest.mark.parametrize(("interval", "every"), [("1m", 1), ("3m", 3), ("5m", 5), ("15m", 15)])
def test_the_quiet_scan_asks_at_the_throttled_instants(interval: str, every: int) -> None:
    asked: list[int] = []

    def get_signal(symbol: str, when: datetime) -> None:
        asked.append(round(when.timestamp() * 1000))
        get_candles(symbol, "1m", 5)

    add_exchange("x", candles=flat_market(minutes=120))
    add_frame("f", start=T0, end=T0 + 59 * MIN)
    add_strategy("s", interval=interval, get_signal=get_signal)
    Backtest.run_sync(SYMBOL, strategy="s", exchange="x", frame="f")
    assert asked == [at(k) for k in range(0, 60, every)]


def test_a_listener_subscribed_inside_get_signal_sees_every_later_frame() -> None:
    seen: list[Any] = []
    asked: list[int] = []

    def get_signal(symbol: str, when: datetime) -> None:
        stamp = round(when.timestamp() * 1000)
        asked.append(stamp)
        if stamp == at(9):
            listen_signal(lambda result: seen.append(result))

    add_exchange("x", candles=flat_market(minutes=120))
    add_frame("f", start=T0, end=T0 + 29 * MIN)
    add_strategy("s", interval="3m", get_signal=get_signal)
    Backtest.run_sync(SYMBOL, strategy="s", exchange="x", frame="f")
    assert asked == [at(k) for k in range(0, 30, 3)]
    # the frame after the subscription on: one idle result per one-minute frame
    assert [result.action for result in seen] == ["idle"] * 20


class _Recorder:
    def __init__(self) -> None:
        self.windows: list[list[int]] = []

    def candles(self, symbol: str, interval: str, candles: Candles) -> None:
        self.windows.append([int(t) for t in candles.timestamp])


@pytest.mark.parametrize("recorded", [False, True])
def test_live_exchanges_serve_every_call_their_own_way(recorded: bool) -> None:
    """Live serves from the tick's minute, remembers the newest candle and (recorded) keeps
    every window: get_candles' index path must never skip their lookback."""
    columns = {
        "timestamp": [at(k) for k in range(60)],
        **{name: [100.0 + k for k in range(60)] for name in ("open", "high", "low", "close")},
        "volume": [1.0] * 60,
    }
    schema = add_exchange(f"live-{recorded}", candles=MemoryCandles({SYMBOL: columns}))
    recorder = _Recorder()
    actor = RecordedExchange(schema, recorder) if recorded else LiveExchange(schema)  # type: ignore[arg-type]
    context = ExecutionContext(SYMBOL, at(10.5), False, actor)
    token = execution_context.set(context)
    served = []
    try:
        for minute in (10.5, 11.25, 12.75, 20.0, 30.5):
            context.when = at(minute)
            candles = get_candles(SYMBOL, "1m", 5)
            served.append([int(t) for t in candles.timestamp])  # type: ignore[union-attr]
            assert actor.newest_candle[SYMBOL] == at(int(minute))
    finally:
        execution_context.reset(token)
    expected = [[at(m - k) for k in range(4, -1, -1)] for m in (10, 11, 12, 20, 30)]
    assert served == expected
    assert recorder.windows == (expected if recorded else [])


# 2**33 s (2242-03-16T12:56:32Z): from there on, fromtimestamp(ms / 1000) may round a
# millisecond stamp to the microsecond below it; candles from 5 hours before it, on the minute
ROUNDING_FROM = 2**33 * 1000
LATE_CANDLES = ROUNDING_FROM - ROUNDING_FROM % MIN - 300 * MIN


def flat_candles_from(first: int, minutes: int = 640) -> MemoryCandles:
    same = [100.0] * minutes
    stamps = [first + k * MIN for k in range(minutes)]
    columns = {"timestamp": stamps, "open": same, "high": same, "low": same, "close": same}
    return MemoryCandles({SYMBOL: {**columns, "volume": [1.0] * minutes}})


@pytest.mark.parametrize(
    ("first_candle", "offset_ms"),
    [(T0 - 10 * MIN, 0), (T0 - 10 * MIN, 123), (LATE_CANDLES, 11 * MIN + 123)],
    ids=["on-the-minute", "123-ms-past", "123-ms-past-across-2242-03-16"],
)
def test_the_quiet_scan_passes_the_dates_a_full_tick_builds(
    first_candle: int, offset_ms: int
) -> None:
    """The quiet scan adds a timedelta to the last date instead of calling fromtimestamp,
    only where the two agree to the microsecond (|stamp| < 2**33 s); the frames of a run
    watched by a listener (full ticks, fromtimestamp) get the very same datetimes, also on
    a frame across 2**33 s where fromtimestamp starts rounding. 600 frames: the backtest
    hands the scan stretches of several frames."""
    start, frames = first_candle + offset_ms, 600

    def dates_seen(watched: bool) -> list[datetime]:
        seen: list[datetime] = []

        def get_signal(symbol: str, when: datetime) -> None:
            seen.append(when)
            get_candles(symbol, "1m", 2)

        name = f"watched-{watched}"
        add_exchange(name, candles=flat_candles_from(first_candle))
        add_frame(name, start=start, end=start + (frames - 1) * MIN)
        add_strategy(name, interval="1m", get_signal=get_signal)
        unsubscribe = listen_signal(lambda result: None) if watched else None
        Backtest.run_sync(SYMBOL, strategy=name, exchange=name, frame=name)
        if unsubscribe is not None:
            unsubscribe()
        return seen

    quiet, watched = dates_seen(False), dates_seen(True)
    assert quiet == watched
    assert len(quiet) == frames
    assert [d.tzinfo for d in quiet] == [UTC] * frames
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    exact = [epoch + timedelta(milliseconds=start + k * MIN) for k in range(frames)]
    if first_candle < LATE_CANDLES:  # in range, both are the exact instant
        assert quiet == exact
    else:  # exact up to 2**33 s, then fromtimestamp's: 122999 us, one microsecond short
        # frames from 08:07:00.123; frame 290, 12:57:00.123, is the first past 2**33 s
        # (inside one of the scan's stretches, which begin every 3 frames here)
        assert quiet[:290] == exact[:290]
        assert quiet[290] == datetime(2242, 3, 16, 12, 57, 0, 122999, tzinfo=UTC)
        assert exact[290] == datetime(2242, 3, 16, 12, 57, 0, 123000, tzinfo=UTC)
