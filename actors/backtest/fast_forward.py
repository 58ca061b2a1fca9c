"""Fast-forward (SPEC 6.4): resolve a scheduled or pending signal over a candle window at once.

Each condition (timeout, stop-loss, entry, take-profit, expiry) is one vectorised scan for its
first hit; the earliest hit wins, ties broken in SPEC's priority order.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from backtestkit.bus import SignalRow, TickResult

from ..core.config import get_config
from ..core.strategy import SignalStateMachine
from ..market.candles import Candles, CandleTable
from ..market.intervals import MINUTE_MS
from ..market.vwap import rolling_vwap, table_vwap

__all__ = ["FastForwardError", "fast_forward"]


class FastForwardError(RuntimeError):
    """The state machine holds nothing to fast-forward, or runs live."""


def _first(mask: npt.NDArray[np.bool_], offset: int, none: int) -> int:
    """offset + index of the first True in mask, or `none`."""
    if mask.size == 0:
        return none
    k = int(mask.argmax())
    return offset + k if mask[k] else none


def _first_time(ts: npt.NDArray[np.int64], at_least: int, start: int, none: int) -> int:
    k = max(start, int(np.searchsorted(ts, at_least, side="left")))
    return k if k < none else none


async def fast_forward(machine: SignalStateMachine, candles: Candles) -> TickResult:
    """Run SPEC 6.4 on `candles` (the forward window starting `buf` minutes before the tick)."""
    if not machine.backtest:
        raise FastForwardError("ClientStrategy backtest: running in live context")
    table = candles.table
    lo, hi = candles.bounds
    buf = get_config().CC_AVG_PRICE_CANDLES_COUNT - 1
    if machine.pending is not None:
        return await _resolve_pending(machine, machine.pending, table, lo, hi, buf)
    scheduled = machine.scheduled
    if scheduled is None:
        raise FastForwardError("ClientStrategy backtest: no pending or scheduled signal")
    return await _resolve_scheduled(machine, scheduled, table, lo, hi, buf)


def _window_price(table: CandleTable, lo: int, i: int, buf: int) -> float:
    """VWAP_i of the list starting at table row `lo`: rows [max(lo, lo+i-buf), lo+i]."""
    return table_vwap(table, max(lo, lo + i - buf), lo + i + 1)


async def _resolve_scheduled(
    machine: SignalStateMachine, row: SignalRow, table: CandleTable, lo: int, hi: int, buf: int
) -> TickResult:
    size = hi - lo
    start = min(buf, size)
    ts = table.timestamp[lo:hi]
    await_ms = get_config().CC_SCHEDULE_AWAIT_MINUTES * MINUTE_MS
    i_timeout = _first_time(ts, row.scheduled_at + await_ms, start, size)
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
            return await machine.publish(machine.outbox.active(row, price, 0.0, 0.0))
        return await machine.publish(machine.cancel(row, price, last))
    at = int(ts[i])
    if i in (i_timeout, i_sl):  # timeout first, then stop-loss, win over the entry
        return await machine.publish(machine.cancel(row, _window_price(table, lo, i, buf), at))
    opened = await machine.activate(row, at)
    if opened is None:  # decision Q3: a refused activation is a cancellation
        result = machine.outbox.cancelled(row, _window_price(table, lo, i, buf), at)
        machine.callback("on_cancel", machine.symbol, row, result.current_price, machine.backtest)
        return await machine.publish(result)
    if lo + i + 1 >= hi:  # activated on the last candle: Q4 closes the scheduled row
        closed = await machine.close(row, "time_expired", _window_price(table, lo, i, buf), at)
        return await machine.publish(closed)
    return await _resolve_pending(machine, opened, table, lo + i + 1, hi, buf)


async def _resolve_pending(
    machine: SignalStateMachine, row: SignalRow, table: CandleTable, lo: int, hi: int, buf: int
) -> TickResult:
    size = hi - lo
    start = min(buf, size)
    ts = table.timestamp[lo:hi]
    i_expiry = _first_time(ts, row.pending_at + row.minute_estimated_time * MINUTE_MS, start, size)
    high = table.high[lo + start : hi]
    low = table.low[lo + start : hi]
    if row.position == "long":
        i_tp = _first(high >= row.price_take_profit, start, size)
        i_sl = _first(low <= row.price_stop_loss, start, size)
    else:
        i_tp = _first(low <= row.price_take_profit, start, size)
        i_sl = _first(high >= row.price_stop_loss, start, size)
    i = min(i_expiry, i_tp, i_sl)
    if machine.partial.wanted and i > start:
        prices = rolling_vwap(table, lo, lo + i, buf + 1)
        for j in range(start, i):
            await machine.partial.update(row, float(prices[j]), int(ts[j]))
    if i == size:
        closed = await machine.close(
            row, "time_expired", _window_price(table, lo, size - 1, buf), int(ts[-1])
        )
    elif i == i_expiry:
        closed = await machine.close(
            row, "time_expired", _window_price(table, lo, i, buf), int(ts[i])
        )
    elif i == i_tp:
        closed = await machine.close(row, "take_profit", row.price_take_profit, int(ts[i]))
    else:
        closed = await machine.close(row, "stop_loss", row.price_stop_loss, int(ts[i]))
    return await machine.publish(closed)
