"""Where a live run's data stops: the end of a replay (the run ends there, cleanly), or a feed
that serves no new candle for CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES minutes (one clear error)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from backtestkit.bus import SignalRow

from ..core.config import get_config
from ..market.intervals import MINUTE_MS
from ..reports.formatting import iso_ms
from .live_exchange import LiveExchange, on_minute

__all__ = ["BoundedFeed", "CandleWatch", "LiveDataStopped"]


@runtime_checkable
class BoundedFeed(Protocol):
    """A candle source that knows where its data ends (ReplayCandles over a file)."""

    def data_end(self, symbol: str) -> int | None:
        """The timestamp of the last one-minute candle it will ever serve (None: none)."""
        ...


class LiveDataStopped(RuntimeError):
    """The feed served no new candle for CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES minutes."""


class CandleWatch:
    """One live run's watch over its candles (the run's symbol, one-minute candles)."""

    def __init__(self, exchange: LiveExchange, symbol: str, started: int, safe: bool) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.started = on_minute(started)
        self.safe = safe
        self._bounded = isinstance(exchange.schema.candles, BoundedFeed)
        self._data_end: int | None = None

    @property
    def data_end(self) -> int | None:
        """A bounded feed's last one-minute candle (read on first use), else None."""
        if self._bounded and self._data_end is None:
            source = self.exchange.schema.candles
            assert isinstance(source, BoundedFeed)
            try:
                self._data_end = source.data_end(self.symbol)
            except Exception:  # a source that cannot load: every fetch reports why
                self._bounded = False
        return self._data_end

    def past_data(self, when: int) -> bool:
        """A replay at `when` would look past its data: the newest candle the tick's window can
        hold (its minute; the minute before in the safe profile) comes after the last one."""
        if self.data_end is None:
            return False
        newest = on_minute(when) - (MINUTE_MS if self.safe else 0)
        return newest > self.data_end

    def check(self, when: int, pending: SignalRow | None) -> None:
        """Raise LiveDataStopped once the feed served no new candle for the configured minutes
        (a replay ends at its data's end instead)."""
        if self.data_end is not None:
            return
        limit = get_config().CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES
        seen = self.exchange.newest_candle.get(self.symbol)
        since = seen if seen is not None else self.started - MINUTE_MS
        minutes = (on_minute(when) - since) // MINUTE_MS
        if minutes >= limit:
            raise LiveDataStopped(self._message(minutes, seen, pending))

    def _message(self, minutes: int, seen: int | None, pending: SignalRow | None) -> str:
        exchange = self.exchange
        last = "none since the run started" if seen is None else iso_ms(seen)
        if seen is None and exchange.is_table_backed:
            table = exchange.table(self.symbol, "1m")
            if table.n:
                last += f" (the exchange's data ends at {iso_ms(int(table.timestamp[-1]))})"
        held = (
            "no open position"
            if pending is None
            else f"open position {pending.id} stays in the state dir for the next start"
        )
        return (
            f"live {self.symbol} on exchange {exchange.name!r}: no new one-minute candle for "
            f"{minutes} minute{'' if minutes == 1 else 's'} (CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES)"
            f"; last candle seen: {last}; {held}"
        )
