"""Partial profit/loss levels (SPEC 1.6): each 10 % step toward TP or SL is reported once."""

from __future__ import annotations

from backtestkit.bus import Bus, PartialEvent, SignalRow

from ..core.eager import settle_callback
from ..core.schemas import StrategyCallbacks

__all__ = ["LEVELS", "PartialTracker", "progress"]

LEVELS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)


def progress(row: SignalRow, price: float) -> tuple[float, float]:
    """(percent toward TP, percent toward SL), each capped at 100; 0 when not moving that way."""
    open_ = row.price_open
    if row.position == "long":
        distance = price - open_
        if distance > 0:
            return min(distance / (row.price_take_profit - open_) * 100, 100), 0.0
        if distance < 0:
            return 0.0, min(-distance / (open_ - row.price_stop_loss) * 100, 100)
        return 0.0, 0.0
    distance = open_ - price
    if distance > 0:
        return min(distance / (open_ - row.price_take_profit) * 100, 100), 0.0
    if distance < 0:
        return 0.0, min(-distance / (row.price_stop_loss - open_) * 100, 100)
    return 0.0, 0.0


class PartialTracker:
    """Remembers the reached levels per signal id; emits partial events and callbacks."""

    __slots__ = ("_reached", "backtest", "bus", "callbacks", "changed")

    def __init__(self, bus: Bus, callbacks: StrategyCallbacks | None, backtest: bool) -> None:
        self.bus = bus
        self.callbacks = callbacks
        self.backtest = backtest
        self._reached: dict[str, tuple[set[int], set[int]]] = {}
        self.changed = False  # live persistence writes the levels when set

    @property
    def wanted(self) -> bool:
        callbacks = self.callbacks
        return (
            self.bus.partial_profit.has_listeners
            or self.bus.partial_loss.has_listeners
            or (
                callbacks is not None
                and (
                    callbacks.on_partial_profit is not None or callbacks.on_partial_loss is not None
                )
            )
        )

    async def update(self, row: SignalRow, price: float, timestamp: int) -> tuple[float, float]:
        percent_tp, percent_sl = progress(row, price)
        if percent_tp > 0:
            await self._report(row, price, percent_tp, timestamp, profit=True)
        elif percent_sl > 0:
            await self._report(row, price, percent_sl, timestamp, profit=False)
        return percent_tp, percent_sl

    async def _report(
        self, row: SignalRow, price: float, percent: float, timestamp: int, *, profit: bool
    ) -> None:
        callbacks = self.callbacks
        if callbacks is not None:
            callback = callbacks.on_partial_profit if profit else callbacks.on_partial_loss
            if callback is not None:
                outcome = callback(row.symbol, row, price, percent, self.backtest)
                settle_callback(outcome, self.bus.error.emit)
        reached = self._reached.setdefault(row.id, (set(), set()))[0 if profit else 1]
        topic = self.bus.partial_profit if profit else self.bus.partial_loss
        for level in LEVELS:
            if level > percent:
                break
            if level in reached:
                continue
            reached.add(level)
            self.changed = True
            if topic.has_listeners:
                await topic.emit(
                    PartialEvent(
                        symbol=row.symbol,
                        strategy_name=row.strategy_name,
                        exchange_name=row.exchange_name,
                        data=row,
                        current_price=price,
                        level=level,
                        backtest=self.backtest,
                        timestamp=timestamp,
                    )
                )

    def clear(self, signal_id: str) -> None:
        if self._reached.pop(signal_id, None) is not None:
            self.changed = True

    def levels(self, signal_id: str) -> tuple[list[int], list[int]] | None:
        """(profit levels, loss levels) reached by a signal, ascending; None if none tracked."""
        reached = self._reached.get(signal_id)
        if reached is None:
            return None
        return sorted(reached[0]), sorted(reached[1])

    def load(self, signal_id: str, profit: list[int], loss: list[int]) -> None:
        """Levels a restored signal had already reported (they are not reported again)."""
        self._reached[signal_id] = (set(profit), set(loss))
