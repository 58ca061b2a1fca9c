"""Exchange actor: candle windows under the temporal guard, VWAP, formatting (SPEC 7)."""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import numpy as np
import structlog

from ..core.config import get_config
from ..core.eager import settle_callback
from ..core.engine import EngineLocal
from ..core.schemas import ExchangeSchema
from ..market.candle_sources import CandleStore
from ..market.candles import Candles, CandleTable
from ..market.intervals import CANDLE_INTERVALS, MINUTE_MS
from ..market.table_source import TableSource
from ..market.vwap import vwap
from ..market.windows import lookback_window
from .candle_anomalies import CandleAnomalyError, check_anomalies, table_is_sane

__all__ = ["CandleAnomalyError", "ExchangeActor", "exchange_actor"]

_log = structlog.get_logger("backtestkit.exchange")


class ExchangeActor:
    """Serves one exchange schema's candles to strategies and clocks."""

    __slots__ = (
        "_fast",
        "_is_async",
        "_last_price",
        "_quiet",
        "_sane",
        "_store",
        "_tables",
        "schema",
    )

    def __init__(self, schema: ExchangeSchema) -> None:
        self.schema = schema
        source = schema.candles
        # a TableSource first: the runtime Protocol check costs ~30 us (one per bias re-run)
        self._store: CandleStore | None = (
            source if isinstance(source, (TableSource, CandleStore)) else None
        )
        self._is_async = inspect.iscoroutinefunction(getattr(source, "fetch", None))
        self._tables: dict[tuple[str, str], CandleTable] = {}
        self._sane: dict[int, bool] = {}
        self._fast: dict[tuple[str, str], CandleTable] = {}  # regular, sane, no callback
        self._last_price: tuple[tuple[str, int, int, bool] | None, float] = (None, 0.0)
        callbacks = schema.callbacks
        self._quiet = callbacks is None or callbacks.on_candle_data is None

    @property
    def name(self) -> str:
        return self.schema.name

    @property
    def is_table_backed(self) -> bool:
        return self._store is not None

    def fast_table(self, symbol: str, interval: str) -> CandleTable | None:
        """The table `lookback` serves by index math alone (regular, sane, no on_candle_data),
        once a first look-back on it has checked it; else None, and always None for a subclass
        that serves its own way (live: from the tick's minute; recorded: every window kept)."""
        if type(self).lookback is not ExchangeActor.lookback:
            return None
        return self._fast.get((symbol, interval))

    def table(self, symbol: str, interval: str) -> CandleTable:
        key = (symbol, interval)
        table = self._tables.get(key)
        if table is None:
            assert self._store is not None
            table = self._tables[key] = self._store.table(symbol, interval)
        return table

    # -- look-back window (SPEC 7.1) -------------------------------------------------------

    def lookback(
        self, symbol: str, interval: str, limit: int, when: int, safe: bool | None = None
    ) -> Candles | Awaitable[Candles]:
        """The `limit` candles of `lookback_window`: never one after `when` (safe: none closing
        after it). `safe` is the run's look-ahead profile (None: the config's)."""
        if safe is None:
            safe = get_config().lookahead_safe
        fast = self._fast.get((symbol, interval))
        if fast is not None and limit >= 2:  # regular, sane table and no callback: index math
            table = fast
            step = table.step_ms
            t0 = table.t0
            n = table.n
            until = when - step if safe else when  # lookback_window's bounds, inlined (tested)
            lo = (t0 - until + step * (limit - 1)) // step  # -ceil((since - t0) / step)
            lo = 0 if lo > 0 else (-lo if -lo < n else n)
            hi = (until - t0) // step + 1
            hi = 0 if hi < 0 else (hi if hi < n else n)
            if hi > lo + limit:
                hi = lo + limit
            return Candles(table, lo, hi if hi > lo else lo)
        minutes = CANDLE_INTERVALS.get(interval)
        if minutes is None:
            raise ValueError(
                f"get_candles: unknown interval {interval!r}; "
                f"allowed: {', '.join(CANDLE_INTERVALS)}"
            )
        step = minutes * MINUTE_MS
        if step * limit - step <= 0:
            raise ValueError(
                f"ClientExchange unknown time adjust for interval={interval} "
                f"(limit must be an integer >= 2, got {limit!r})"
            )
        since, until = lookback_window(when, step, limit, safe)
        if self._store is not None:
            table = self.table(symbol, interval)
            lo = table.first_at_or_after(since)
            hi = min(lo + limit, table.first_after(until))
            candles = Candles(table, lo, hi if hi > lo else lo)
            if not self._sane_table(table):
                check_anomalies(candles, symbol)
            elif table.regular and self._quiet:
                self._fast[(symbol, interval)] = table
            return self._deliver(symbol, interval, since, limit, candles)
        if self._is_async:
            return self._lookback_async(symbol, interval, since, limit, until)
        raw = self._fetch_with_retries(symbol, interval, since, limit)
        return self._deliver(symbol, interval, since, limit, _between(raw, since, until))

    async def _lookback_async(
        self, symbol: str, interval: str, since: int, limit: int, until: int
    ) -> Candles:
        raw = await self._fetch_with_retries_async(symbol, interval, since, limit)
        return self._deliver(symbol, interval, since, limit, _between(raw, since, until))

    def _deliver(
        self, symbol: str, interval: str, since: int, limit: int, candles: Candles
    ) -> Candles:
        if len(candles) < limit:
            _log.debug(
                "fewer_candles", symbol=symbol, interval=interval, want=limit, got=len(candles)
            )
        callbacks = self.schema.callbacks
        if callbacks is not None and callbacks.on_candle_data is not None:
            settle_callback(callbacks.on_candle_data(symbol, interval, since, limit, candles))
        return candles

    def _sane_table(self, table: CandleTable) -> bool:
        sane = self._sane.get(id(table))
        if sane is None:
            sane = self._sane[id(table)] = table_is_sane(table)
        return sane

    # -- VWAP (SPEC 7.3) --------------------------------------------------------------------

    def has_candles_at(self, symbol: str, when: int) -> bool:
        """Table-backed only: would average_price(symbol, when) find candles (and not raise)?"""
        config = get_config()
        count = config.CC_AVG_PRICE_CANDLES_COUNT
        if count < 2:
            return False
        table = self.table(symbol, "1m")
        safe = config.lookahead_safe
        since, until = lookback_window(when, MINUTE_MS, count, safe)
        return table.first_after(until) > table.first_at_or_after(since)

    def priced_span(self, symbol: str) -> tuple[int, int]:
        """[first, last] `when` with candles for the VWAP on a regular table; else empty."""
        config = get_config()
        count = config.CC_AVG_PRICE_CANDLES_COUNT
        if self._store is None or count < 2:
            return 1, 0
        table = self.table(symbol, "1m")
        if not table.regular or table.n == 0:
            return 1, 0
        since, until = lookback_window(0, MINUTE_MS, count, config.lookahead_safe)
        return table.t0 - until, int(table.timestamp[-1]) - since

    def average_price(
        self, symbol: str, when: int, safe: bool | None = None
    ) -> float | Awaitable[float]:
        config = get_config()
        count = config.CC_AVG_PRICE_CANDLES_COUNT
        if safe is None:
            safe = config.lookahead_safe
        key = (symbol, when, count, safe)
        if self._last_price[0] == key:  # the strategy and the engine price the same minute
            return self._last_price[1]
        candles = self.lookback(symbol, "1m", count, when, safe)
        if isinstance(candles, Candles):
            price = _average(candles, symbol)
            if self._store is not None and self._quiet:  # on_candle_data sees every fetch
                self._last_price = (key, price)
            return price
        return self._average_async(candles, symbol)

    async def _average_async(self, pending: Awaitable[Candles], symbol: str) -> float:
        return _average(await pending, symbol)

    # -- forward window for fast-forward (SPEC 7.2, decision Q21: bounded by data) ----------

    def forward(self, symbol: str, since: int, limit: int) -> Candles | Awaitable[Candles]:
        """The first `limit` 1m candles stamped >= since, kept while <= since + limit minutes."""
        end = since + limit * MINUTE_MS
        if self._store is not None:
            fast = self._fast.get((symbol, "1m"))  # regular, sane, no on_candle_data
            table = self.table(symbol, "1m") if fast is None else fast
            lo = table.first_at_or_after(since)
            hi = min(lo + limit, table.first_after(end))
            candles = Candles(table, lo, hi if hi > lo else lo)
            if fast is not None:
                if hi - lo == limit:
                    return candles  # nothing to check, nothing to tell
            elif not self._sane_table(table):
                check_anomalies(candles, symbol)
            return self._deliver(symbol, "1m", since, limit, candles)
        if self._is_async:
            return self._forward_async(symbol, since, limit, end)
        raw = self._fetch_with_retries(symbol, "1m", since, limit)
        return self._deliver(symbol, "1m", since, limit, _between(raw, since, end))

    async def _forward_async(self, symbol: str, since: int, limit: int, end: int) -> Candles:
        raw = await self._fetch_with_retries_async(symbol, "1m", since, limit)
        return self._deliver(symbol, "1m", since, limit, _between(raw, since, end))

    # -- generic sources: retries (SPEC 7.4, decision Q22) and the anomaly check ------------

    def _fetch_with_retries(self, symbol: str, interval: str, since: int, limit: int) -> Candles:
        attempt = 0
        while True:
            attempt += 1
            try:
                return _checked(self.schema.candles.fetch(symbol, interval, since, limit), symbol)
            except Exception as exc:
                time.sleep(_retry_delay(symbol, attempt, exc))

    async def _fetch_with_retries_async(
        self, symbol: str, interval: str, since: int, limit: int
    ) -> Candles:
        attempt = 0
        while True:
            attempt += 1
            try:
                fetched = self.schema.candles.fetch(symbol, interval, since, limit)
                if inspect.isawaitable(fetched):
                    fetched = await fetched
                return _checked(fetched, symbol)
            except Exception as exc:
                await anyio.sleep(_retry_delay(symbol, attempt, exc))

    # -- formatting ---------------------------------------------------------------------------

    def format_price(self, symbol: str, price: float) -> str:
        return _format(self.schema.format_price, symbol, price, 2)

    def format_quantity(self, symbol: str, quantity: float) -> str:
        return _format(self.schema.format_quantity, symbol, quantity, 8)


def _format(fn: Callable[[str, float], Any] | None, symbol: str, value: float, digits: int) -> str:
    if fn is None:
        return f"{value:.{digits}f}"
    return str(fn(symbol, value))


def _retry_delay(symbol: str, attempt: int, error: Exception) -> float:
    """Seconds to wait before fetching again (SPEC 7.4, decision Q22); `error` itself after the
    last of CC_GET_CANDLES_RETRY_COUNT attempts."""
    config = get_config()
    if attempt >= max(1, config.CC_GET_CANDLES_RETRY_COUNT):
        raise error
    _log.warning("candle_fetch_retry", symbol=symbol, attempt=attempt, error=repr(error))
    return config.CC_GET_CANDLES_RETRY_DELAY_MS / 1000


def _checked(fetched: Any, symbol: str) -> Candles:
    """What a generic source fetched, as Candles that passed the anomaly check (SPEC 7.5)."""
    if isinstance(fetched, Candles):
        candles = fetched
    elif isinstance(fetched, Sequence):
        candles = Candles.from_rows(fetched)
    else:
        raise TypeError(
            f"candle source returned {type(fetched).__name__}, expected Candles or rows"
        )
    check_anomalies(candles, symbol)
    return candles


def _between(candles: Candles, since: int, until: int) -> Candles:
    """Keep since <= timestamp <= until (the source may over-deliver)."""
    ts = candles.timestamp
    keep = (ts >= since) & (ts <= until)
    if keep.all():
        return candles
    lo, _ = candles.bounds
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return candles[0:0]
    if idx[-1] - idx[0] + 1 == idx.size:
        return Candles(candles.table, lo + int(idx[0]), lo + int(idx[-1]) + 1)
    rows = [candles[int(i)] for i in idx]
    return Candles.from_rows(rows)


def _average(candles: Candles, symbol: str) -> float:
    if len(candles) == 0:
        raise ValueError(f"ClientExchange getAveragePrice: no candles data for symbol={symbol}")
    price = vwap(candles)
    if not math.isfinite(price):
        raise ValueError(f"average price for {symbol} is not finite ({price})")
    return price


_ACTORS: EngineLocal[dict[str, ExchangeActor]] = EngineLocal("exchange actors", lambda _e: {})


def exchange_actor(schema: ExchangeSchema) -> ExchangeActor:
    """One actor per registered exchange schema, so candle tables are loaded once."""
    actors = _ACTORS.get()
    actor = actors.get(schema.name)
    if actor is None or actor.schema is not schema:
        actor = actors[schema.name] = ExchangeActor(schema)
    return actor
