"""Live on virtual time vs Backtest, on the same real candles (tests/data/kaggle_BTCUSD_1m.csv).

Strategy "follow": interval 1m; on every call a market long at the current VWAP P with
TP = P * 1.006, SL = P * 0.994, mET 30 min. Both modes start at S = 2018-03-23T12:51Z (the 11th
candle, so the first look-back window is full) and run over the first hours of the data.

Live (SPEC 11.1, 3.2, 7.1, 7.3): `Live.run` on a `VirtualClock(S)` with the CSV served through
`ReplayCandles` (only candles stamped <= now). Tick k happens at S + k * 60 001 ms (TICK_TTL),
so tick time drifts by 1 ms per tick off the minute grid. The VWAP window is [m - 4 min, m]
with m the tick time floored to the minute (the decision for backtestkit on SPEC 7.1 in live):
5 candles at every tick, as a backtest sees at minute m (SPEC's own rule, from the tick instant,
would hold 4 candles off the minute). A tick with no position asks get_signal (the 1m throttle
always passes: ticks are 60 001 ms apart) and opens at P; a tick with a position compares P:
expiry first (elapsed >= mET), then TP (P >= TP, closed at exactly TP), then SL (P <= SL, at
exactly SL). The tick that closes does not reopen; the next one does.

Backtest (SPEC 6.2-6.4): a 1m frame from S; opens at a frame minute m at the VWAP of the 5
candles [m - 4, m]; the fast-forward scans candles m .. m + mET - 1 by high/low (TP first, then
SL, both at their exact price); untouched, it closes time_expired at the VWAP of the last 5 of
those candles at m + mET - 1 (Q10); the next tick is one minute after the close.

What agrees (asserted): the first signal. Both modes tick at S, see the same 5-candle window,
so the opened row is identical: same id, price_open, TP, SL, scheduled/pending time.
What differs per SPEC (asserted): the close. The backtest closes on the first candle whose low
touches SL (candle high/low, at the candle's timestamp), live only when the VWAP falls to SL, a
tick later and 5 ms off the minute; both close at exactly SL, so the PnL is the same.
From then on the opens drift apart: the backtest reopens at the minute after the close, live at
the next tick (ms off the minute, a minute later), so ids, prices and all later closes differ;
each mode follows its own SPEC rules, asserted signal by signal.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest

from backtestkit.actors import (
    Backtest,
    Live,
    Signal,
    VirtualClock,
    add_exchange,
    add_frame,
    add_strategy,
    get_average_price,
)
from backtestkit.actors.live.ticker import TICK_TTL_MS
from backtestkit.adapters.candles import CsvCandles, ReplayCandles
from backtestkit.bus import listen_signal_backtest

from .e2e_sources import spec_pnl, spec_vwap

DATA = Path(__file__).resolve().parents[1] / "data" / "kaggle_BTCUSD_1m.csv"
SYMBOL = "BTCUSD"
STRATEGY = "follow"
MIN = 60_000
TP_FACTOR, SL_FACTOR, MET = 1.006, 0.994, 30
FIRST = 1_521_808_860_000  # the first candle, 2018-03-23T12:41Z
S = FIRST + 10 * MIN  # 2018-03-23T12:51Z
HOURS = 4
COUNT = 8  # results compared per mode (4 round trips)


def load_rows(limit: int = 6 * 60) -> list[tuple[int, tuple[float, float, float, float, float]]]:
    """The first candles, parsed here (independently of the engine's CSV reader)."""
    rows = []
    with DATA.open(newline="") as handle:
        for record in csv.DictReader(handle):
            ohlcv = tuple(float(record[k]) for k in ("open", "high", "low", "close", "volume"))
            rows.append((int(record["timestamp"]), ohlcv))
            if len(rows) == limit:
                break
    return rows  # type: ignore[return-value]


ROWS = load_rows()
BY_TIME = dict(ROWS)


@dataclass(frozen=True)
class Expected:
    action: str
    when: int  # opened: pending_at; closed: close_timestamp
    price_open: float
    price: float  # opened: price_open; closed: close price
    reason: str | None = None
    window: int = 5  # candles in the VWAP window of the opening tick


def window(when: int) -> list[tuple[float, float, float, float, float]]:
    """SPEC 7.1 look-back [m - 4 min, m], m = `when` floored to the minute (the decision for
    live; a backtest's `when` is on the minute already). ReplayCandles: nothing after now."""
    minute = when - when % MIN
    return [ohlcv for ts, ohlcv in ROWS if minute - 4 * MIN <= ts <= minute]


def live_expected(count: int) -> list[Expected]:
    """SPEC 11.1 + 3.2 by hand: ticks at S + k * TICK_TTL."""
    out: list[Expected] = []
    position: tuple[int, float, float, float] | None = None  # (pending_at, open, tp, sl)
    when = S
    while len(out) < count:
        candles = window(when)
        price = spec_vwap(candles)
        if position is None:
            position = (when, price, price * TP_FACTOR, price * SL_FACTOR)
            out.append(Expected("opened", when, price, price, window=len(candles)))
        else:
            pending_at, open_, tp, sl = position
            close: tuple[str, float] | None = None
            if when - pending_at >= MET * MIN:
                close = ("time_expired", price)
            elif price >= tp:
                close = ("take_profit", tp)
            elif price <= sl:
                close = ("stop_loss", sl)
            if close is not None:
                out.append(Expected("closed", when, open_, close[1], close[0]))
                position = None
        when += TICK_TTL_MS
    return out


def backtest_expected(count: int) -> list[Expected]:
    """SPEC 6.2-6.4 by hand on a 1m frame from S (complete data: no truncation)."""
    out: list[Expected] = []
    minute = S
    while len(out) < count:
        price = spec_vwap(window(minute))
        tp, sl = price * TP_FACTOR, price * SL_FACTOR
        out.append(Expected("opened", minute, price, price))
        close: tuple[str, float, int] | None = None
        checked = [minute + i * MIN for i in range(MET)]  # fast-forward candles m .. m+mET-1
        for ts in checked:
            _o, high, low, _c, _v = BY_TIME[ts]
            if high >= tp:
                close = ("take_profit", tp, ts)
            elif low <= sl:
                close = ("stop_loss", sl, ts)
            if close is not None:
                break
        if close is None:
            last = checked[-1]
            close = ("time_expired", spec_vwap(window(last)), last)
        reason, close_price, close_ts = close
        out.append(Expected("closed", close_ts, price, close_price, reason))
        minute = close_ts + MIN  # SPEC 6.3: the frame at the close is skipped too
    return out


def follow(symbol: str, when: datetime) -> Signal:
    price = float(get_average_price(symbol))
    return Signal("long", price * TP_FACTOR, price * SL_FACTOR, MET)


def observed(result: Any) -> Expected:
    signal = result.signal
    if result.action == "opened":
        return Expected("opened", signal.pending_at, signal.price_open, result.current_price)
    return Expected(
        "closed",
        result.close_timestamp,
        signal.price_open,
        result.current_price,
        result.close_reason,
    )


async def run_live(state_dir: Path) -> list[Any]:
    clock = VirtualClock(S)
    add_exchange("replay", candles=ReplayCandles(CsvCandles(DATA), clock))
    results: list[Any] = []
    with anyio.fail_after(10):
        async for result in Live.run(
            SYMBOL, strategy=STRATEGY, exchange="replay", clock=clock, state_dir=state_dir
        ):
            results.append(result)
            if len(results) == COUNT:
                break
    return results


async def run_backtest() -> list[Any]:
    add_exchange("csv", candles=CsvCandles(DATA))
    add_frame("hours", start=S, end=S + HOURS * 60 * MIN, interval="1m")
    with anyio.fail_after(10):
        return [
            r async for r in Backtest.run(SYMBOL, strategy=STRATEGY, exchange="csv", frame="hours")
        ]


@pytest.fixture
def strategy() -> None:
    add_strategy(STRATEGY, interval="1m", get_signal=follow)


@pytest.mark.anyio
@pytest.mark.usefixtures("strategy")
async def test_live_follows_spec_tick_rules(tmp_path: Path) -> None:
    """The first 8 live results equal SPEC's live rules worked by hand on the candles."""
    results = await run_live(tmp_path)
    expected = live_expected(COUNT)
    assert [observed(r) for r in results] == [
        Expected(e.action, e.when, e.price_open, e.price, e.reason) for e in expected
    ]
    for result, spec in zip(results, expected, strict=True):
        if result.action == "closed":
            assert result.pnl.pnl_percentage == spec_pnl("long", spec.price_open, spec.price)
        else:
            assert result.signal.price_take_profit == spec.price_open * TP_FACTOR
            assert result.signal.price_stop_loss == spec.price_open * SL_FACTOR
    # the worked values: ticks drift 1 ms per tick, windows are read from the tick's minute
    assert [(e.action, e.when - S, e.reason) for e in expected] == [
        ("opened", 0, None),
        ("closed", 5 * TICK_TTL_MS, "stop_loss"),
        ("opened", 6 * TICK_TTL_MS, None),
        ("closed", 36 * TICK_TTL_MS, "time_expired"),
        ("opened", 37 * TICK_TTL_MS, None),
        ("closed", 67 * TICK_TTL_MS, "time_expired"),
        ("opened", 68 * TICK_TTL_MS, None),
        ("closed", 80 * TICK_TTL_MS, "take_profit"),
    ]
    assert [e.window for e in expected if e.action == "opened"] == [5, 5, 5, 5]
    assert round(expected[0].price_open, 6) == 8376.757342  # VWAP of 12:47 .. 12:51
    assert round(expected[2].price_open, 6) == 8304.948384  # VWAP of 12:53 .. 12:57 at 12:57:00.006


@pytest.mark.anyio
@pytest.mark.usefixtures("strategy")
async def test_backtest_follows_spec_fast_forward_rules() -> None:
    """The first 4 backtest round trips equal SPEC's fast-forward rules worked by hand."""
    results = await run_backtest()
    expected = [e for e in backtest_expected(COUNT) if e.action == "closed"]
    assert [observed(r) for r in results[: len(expected)]] == expected
    assert [(e.when - S, e.reason) for e in expected] == [
        (4 * MIN, "stop_loss"),
        (34 * MIN, "time_expired"),
        (63 * MIN, "take_profit"),
        (75 * MIN, "take_profit"),
    ]


@pytest.mark.anyio
@pytest.mark.usefixtures("strategy")
async def test_live_and_backtest_agree_on_the_first_open_and_differ_after(
    tmp_path: Path,
) -> None:
    """Agreement and the SPEC differences, on the same data (see the module docstring)."""
    opened: list[Any] = []
    listen_signal_backtest(lambda r: opened.append(r) if r.action == "opened" else None)
    live = await run_live(tmp_path)
    backtest = await run_backtest()

    # agree: the first open (both modes tick at S over the same 5 candles)
    live_open, back_open = live[0].signal, opened[0].signal
    # id, prices, scheduled_at = pending_at = S, symbol, strategy, note (only the exchange
    # names differ: the live one serves the same CSV through ReplayCandles)
    assert dataclasses.replace(live_open, exchange_name="csv") == back_open
    assert live_open.pending_at == S

    # differ: the first close. Same reason and exact SL price (so the same PnL), but the
    # backtest closes on the candle whose low reached SL, live on the tick whose VWAP did.
    live_close, back_close = live[1], backtest[0]
    assert live_close.signal.id == back_close.signal.id
    assert (live_close.close_reason, back_close.close_reason) == ("stop_loss", "stop_loss")
    assert live_close.current_price == back_close.current_price == live_open.price_stop_loss
    assert live_close.pnl == back_close.pnl
    assert back_close.close_timestamp == S + 4 * MIN  # candle 12:55: low <= SL
    _o, _h, low, _c, _v = BY_TIME[S + 4 * MIN]
    assert low <= live_open.price_stop_loss < spec_vwap(window(S + 4 * TICK_TTL_MS))
    assert live_close.close_timestamp == S + 5 * TICK_TTL_MS  # the VWAP <= SL only then
    assert live_close.close_timestamp % MIN == 5  # off the minute grid by 5 ms

    # differ: every later open (times, windows, hence ids and prices) and close
    live_opens = [r.signal for r in live if r.action == "opened"][1:]
    back_opens = [r.signal for r in opened[1:4]]
    assert [s.pending_at - S for s in live_opens] == [
        6 * TICK_TTL_MS,
        37 * TICK_TTL_MS,
        68 * TICK_TTL_MS,
    ]
    assert [s.pending_at - S for s in back_opens] == [5 * MIN, 35 * MIN, 64 * MIN]
    assert not {s.id for s in live_opens} & {s.id for s in back_opens}
    assert all(a.price_open != b.price_open for a, b in zip(live_opens, back_opens, strict=True))
    live_closes = [(r.close_reason, r.close_timestamp - S) for r in live if r.action == "closed"]
    back_closes = [(r.close_reason, r.close_timestamp - S) for r in backtest[:4]]
    assert live_closes != back_closes
