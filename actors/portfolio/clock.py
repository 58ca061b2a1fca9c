"""The portfolio clock: every lane's events on one timeline, in time order.

Events are ordered by (minute, phase, symbol order): at one minute the closes and
cancellations of every symbol come first (a position is open during [open, close)), then the
ticks and entries in the order the symbols were given. Idle stretches a lane's throttle would
skip anyway are skipped by the lane itself (get_signal is asked there, ahead of the other
symbols, but nothing enters, closes or is checked by a risk profile out of order).
"""

from __future__ import annotations

import heapq
from collections.abc import AsyncGenerator

from backtestkit.bus import TickResult

from ..core.context import execution_context
from ..market.intervals import MINUTE_MS
from .lane import DONE, SymbolLane
from .ledger import CashLedger

__all__ = ["PortfolioClock"]

DAY_MS = 1440 * MINUTE_MS


class PortfolioClock:
    """Runs lanes to their end; with a ledger, marks equity at each UTC day's last instant."""

    def __init__(self, lanes: list[SymbolLane], ledger: CashLedger | None, start_ms: int) -> None:
        self.lanes = lanes
        self.ledger = ledger
        self.start_ms = start_ms
        self.now = start_ms
        self.current: SymbolLane | None = None  # the lane whose event runs now

    async def run(self) -> AsyncGenerator[TickResult, None]:
        lanes, ledger = self.lanes, self.ledger
        heap = [lane.key for lane in lanes if lane.phase != DONE]
        heapq.heapify(heap)
        next_day = (self.start_ms // DAY_MS + 1) * DAY_MS
        if ledger is not None:
            ledger.mark(self.start_ms)
        while heap:
            at, _phase, order = heap[0]
            if ledger is not None and at >= next_day:
                while next_day <= at:
                    ledger.mark(next_day - 1)  # the end of the day, before its next minute
                    next_day += DAY_MS
            self.now = at
            lane = self.current = lanes[order]
            token = execution_context.set(lane.machine.context)
            try:
                results = await lane.step()
            finally:
                execution_context.reset(token)
                self.current = None
            if lane.phase == DONE:
                heapq.heappop(heap)
            else:
                heapq.heapreplace(heap, lane.key)
            for result in results:
                yield result
        if ledger is not None:
            end = max(self.now, max((lane.frames.end_ms for lane in lanes), default=self.now))
            ledger.mark(end)
