"""Fast-forward (SPEC 6.4): resolve a scheduled or pending signal over a candle window at once.

Each condition (timeout, stop-loss, entry, take-profit, expiry) is one vectorised scan for its
first hit; the earliest hit wins, ties broken in SPEC's priority order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from backtestkit.bus import SignalRow, TickResult

from ..core.config import get_config
from ..market.candles import Candles, CandleTable
from ..market.intervals import MINUTE_MS
from ..market.vwap import rolling_vwap, table_vwap
from ..signal.outcomes import Cancel, Close, Entry, Outcome, Waiting
from ..signal.strategy import SignalStateMachine

__all__ = [
    "FastForwardError",
    "fast_forward",
    "fast_forward_now",
    "outcome_of",
    "pending_outcome",
    "scheduled_outcome",
]


class FastForwardError(RuntimeError):
    """The state machine holds nothing to fast-forward, or runs live."""


def _first(mask: npt.NDArray[np.bool_], offset: int, none: int) -> int:
    """offset + index of the first True in mask, or `none`."""
    k = mask.tobytes().find(1)  # a bool is one byte: cheaper than argmax and a check
    return offset + k if k >= 0 else none


def _first_time(table: CandleTable, lo: int, at_least: int, start: int, none: int) -> int:
    """The window index (window = table rows from `lo`) of the first candle stamped >=
    at_least, at least `start`, or `none`: by arithmetic on a regular table."""
    k = table.first_at_or_after(at_least) - lo
    if k < start:
        return start
    return k if k < none else none


async def fast_forward(machine: SignalStateMachine, candles: Candles) -> TickResult:
    """Run SPEC 6.4 on `candles` (the forward window starting `buf` minutes before the tick):
    decide the outcome from the candle columns, then let the machine apply it (a scheduled
    signal that enters is opened by the machine, and its close resolved here)."""
    if not machine.backtest:
        raise FastForwardError("ClientStrategy backtest: running in live context")
    outcome = outcome_of(machine, candles)
    if isinstance(outcome, Entry):
        entered = await machine.enter(outcome)
        if not isinstance(entered, SignalRow):
            return entered
        assert outcome.then is not None
        outcome = outcome.then(entered)
    return await machine.settle(outcome)


def fast_forward_now(machine: SignalStateMachine, candles: Candles) -> TickResult | None:
    """`fast_forward` without a coroutine where nothing in it waits: a pending signal's close
    that passes no partial levels, no listener awaited. None (nothing done) otherwise."""
    pending = machine.pending
    if pending is None or machine.partial.wanted or machine.outbox.waits:
        return None
    if not machine.backtest:
        raise FastForwardError("ClientStrategy backtest: running in live context")
    lo, hi = candles.bounds
    buf = get_config().CC_AVG_PRICE_CANDLES_COUNT - 1
    return machine.close_now(pending_outcome(pending, candles.table, lo, hi, buf, marks=False))


def outcome_of(machine: SignalStateMachine, candles: Candles) -> Outcome:
    """What SPEC 6.4 decides for the signal the machine holds over its forward window."""
    table = candles.table
    lo, hi = candles.bounds
    buf = get_config().CC_AVG_PRICE_CANDLES_COUNT - 1
    partial = machine.partial
    if machine.pending is not None:
        return pending_outcome(machine.pending, table, lo, hi, buf, marks=partial.wanted)
    scheduled = machine.scheduled
    if scheduled is None:
        raise FastForwardError("ClientStrategy backtest: no pending or scheduled signal")
    return scheduled_outcome(scheduled, table, lo, hi, buf, marks=lambda: partial.wanted)


def _window_price(table: CandleTable, lo: int, i: int, buf: int) -> float:
    """VWAP_i of the list starting at table row `lo`: rows [max(lo, lo+i-buf), lo+i]."""
    return table_vwap(table, max(lo, lo + i - buf), lo + i + 1)


def scheduled_outcome(
    row: SignalRow,
    table: CandleTable,
    lo: int,
    hi: int,
    buf: int,
    *,
    marks: Callable[[], bool],
) -> Outcome:
    """What happens to a scheduled signal over table rows [lo, hi); `marks()` says, once it has
    entered, whether the partial levels want the VWAPs it passes."""
    size = hi - lo
    start = min(buf, size)
    ts = table.timestamp[lo:hi]
    await_ms = get_config().CC_SCHEDULE_AWAIT_MINUTES * MINUTE_MS
    i_timeout = _first_time(table, lo, row.scheduled_at + await_ms, start, size)
    if row.position == "long":
        extreme = table.low[lo + start : hi]
        i_sl = _first(extreme <= row.price_stop_loss, start, size)
        i_entry = _first(extreme <= row.price_open, start, size)
    else:
        extreme = table.high[lo + start : hi]
        i_sl = _first(extreme >= row.price_stop_loss, start, size)
        i_entry = _first(extreme >= row.price_open, start, size)
    i = min(i_timeout, i_sl, i_entry)
    if i == size:  # nothing happened within the window
        last = int(ts[-1])
        price = _window_price(table, lo, size - 1, buf)
        if last - row.scheduled_at < await_ms:
            return Waiting(price)
        return Cancel(price, last)
    at = int(ts[i])
    price = _window_price(table, lo, i, buf)
    if i in (i_timeout, i_sl):  # timeout first, then stop-loss, win over the entry
        return Cancel(price, at)
    if lo + i + 1 >= hi:  # entered on the last candle
        return Entry(at, price, None)
    rest = lo + i + 1
    return Entry(
        at, price, lambda opened: pending_outcome(opened, table, rest, hi, buf, marks=marks())
    )


def pending_outcome(
    row: SignalRow, table: CandleTable, lo: int, hi: int, buf: int, *, marks: bool
) -> Close:
    """How a pending signal closes over table rows [lo, hi); with `marks`, the VWAPs it passes
    before (for the partial levels)."""
    size = hi - lo
    start = min(buf, size)
    expiry = row.pending_at + row.minute_estimated_time * MINUTE_MS
    i_expiry = table.first_at_or_after(expiry) - lo  # _first_time, inlined (once per signal)
    i_expiry = start if i_expiry < start else (i_expiry if i_expiry < size else size)
    # a hit at or after the expiry (then after the take-profit) loses the tie: not scanned
    tp, sl = row.price_take_profit, row.price_stop_loss
    # _first, inlined too
    if row.position == "long":
        k = (table.high[lo + start : lo + i_expiry] >= tp).tobytes().find(1)
        i_tp = start + k if k >= 0 else i_expiry
        k = (table.low[lo + start : lo + i_tp] <= sl).tobytes().find(1)
    else:
        k = (table.low[lo + start : lo + i_expiry] <= tp).tobytes().find(1)
        i_tp = start + k if k >= 0 else i_expiry
        k = (table.high[lo + start : lo + i_tp] >= sl).tobytes().find(1)
    i_sl = start + k if k >= 0 else i_tp
    i = i_sl
    timestamp = table.timestamp
    passed: tuple[tuple[float, int], ...] = ()
    if marks and i > start:
        prices = rolling_vwap(table, lo, lo + i, buf + 1)
        passed = tuple((float(prices[j]), int(timestamp[lo + j])) for j in range(start, i))
    if i == size:
        price = _window_price(table, lo, size - 1, buf)
        return Close("time_expired", price, int(timestamp[hi - 1]), passed)
    if i == i_expiry:
        return Close(
            "time_expired", _window_price(table, lo, i, buf), int(timestamp[lo + i]), passed
        )
    if i == i_tp:
        return Close("take_profit", tp, int(timestamp[lo + i]), passed)
    return Close("stop_loss", sl, int(timestamp[lo + i]), passed)
