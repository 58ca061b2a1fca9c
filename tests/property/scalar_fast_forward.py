"""SPEC 6.4 read literally: one Python step per candle. The oracle for the vectorised engine."""

from __future__ import annotations

from backtestkit.actors import Candles, get_config
from backtestkit.actors.market import Candle
from backtestkit.actors.signal.strategy import SignalStateMachine
from backtestkit.bus import SignalRow, TickResult

MINUTE = 60_000


def vwap(candles: list[Candle]) -> float:
    """SPEC conventions: typical ((h + l) + c) / 3, running sums oldest to newest."""
    numerator = 0.0
    volume = 0.0
    for c in candles:
        numerator += ((c.high + c.low) + c.close) / 3 * c.volume
        volume += c.volume
    if volume == 0:
        closes = 0.0
        for c in candles:
            closes += c.close
        return closes / len(candles)
    return numerator / volume


def vwap_at(candles: list[Candle], i: int, buf: int) -> float:
    return vwap(candles[max(0, i - buf) : i + 1])


async def scalar_fast_forward(machine: SignalStateMachine, window: Candles) -> TickResult:
    candles = list(window)
    config = get_config()
    buf = config.CC_AVG_PRICE_CANDLES_COUNT - 1
    if machine.pending is not None:
        return await _pending(machine, machine.pending, candles, buf)
    row = machine.scheduled
    assert row is not None
    await_ms = config.CC_SCHEDULE_AWAIT_MINUTES * MINUTE
    long = row.position == "long"
    for i in range(buf, len(candles)):
        c = candles[i]
        price = vwap_at(candles, i, buf)
        if c.timestamp - row.scheduled_at >= await_ms:
            return await machine.publish(machine.cancel(row, price, c.timestamp))
        beyond_sl = c.low <= row.price_stop_loss if long else c.high >= row.price_stop_loss
        if beyond_sl:
            return await machine.publish(machine.cancel(row, price, c.timestamp))
        reached = c.low <= row.price_open if long else c.high >= row.price_open
        if not reached:
            continue
        opened = await machine.activate(row, c.timestamp)
        if opened is None:
            result = machine.outbox.cancelled(row, price, c.timestamp)
            machine.callback("on_cancel", machine.symbol, row, price, machine.backtest)
            return await machine.publish(result)
        remaining = candles[i + 1 :]
        if not remaining:
            closed = await machine.close(row, "time_expired", price, c.timestamp)
            return await machine.publish(closed)
        return await _pending(machine, opened, remaining, buf)
    last = candles[-1]
    price = vwap(candles[-(buf + 1) :])
    if last.timestamp - row.scheduled_at < await_ms:
        return await machine.publish(machine.outbox.active(row, price, 0.0, 0.0))
    return await machine.publish(machine.cancel(row, price, last.timestamp))


async def _pending(
    machine: SignalStateMachine, row: SignalRow, candles: list[Candle], buf: int
) -> TickResult:
    long = row.position == "long"
    for i in range(buf, len(candles)):
        c = candles[i]
        price = vwap_at(candles, i, buf)
        if c.timestamp - row.pending_at >= row.minute_estimated_time * MINUTE:
            return await machine.publish(
                await machine.close(row, "time_expired", price, c.timestamp)
            )
        take = c.high >= row.price_take_profit if long else c.low <= row.price_take_profit
        if take:
            closed = await machine.close(row, "take_profit", row.price_take_profit, c.timestamp)
            return await machine.publish(closed)
        stop = c.low <= row.price_stop_loss if long else c.high >= row.price_stop_loss
        if stop:
            closed = await machine.close(row, "stop_loss", row.price_stop_loss, c.timestamp)
            return await machine.publish(closed)
        if machine.partial.wanted:
            await machine.partial.update(row, price, c.timestamp)
    last = candles[-1]
    price = vwap(candles[-(buf + 1) :])
    return await machine.publish(await machine.close(row, "time_expired", price, last.timestamp))
