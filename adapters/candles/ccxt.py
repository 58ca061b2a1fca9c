"""CcxtCandles: closed candles from a live exchange through ccxt's asyncio API.

ccxt is an optional dependency (`pip install 'backtestkit[ccxt]'`) and is imported only when
a CcxtCandles is created, so importing `backtestkit.adapters.candles` stays light.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import math
from collections.abc import Sequence
from types import ModuleType, TracebackType
from typing import Any, Self

import numpy as np
import structlog

from backtestkit.actors.live import WallClock
from backtestkit.actors.market.candle_checks import (
    COLUMNS,
    CandleDataError,
    FloatArray,
    IntArray,
    validate_columns,
)
from backtestkit.actors.market.candles import Candles, CandleTable
from backtestkit.actors.market.intervals import CANDLE_INTERVALS, interval_ms

from .replay import NowClock

__all__ = ["CcxtCandles", "import_ccxt"]

INSTALL_HINT = "pip install 'backtestkit[ccxt]'"

_log = structlog.get_logger("backtestkit.ccxt")
_sleep = asyncio.sleep  # module attribute so tests can observe the backoff schedule


def import_ccxt() -> ModuleType:
    """`ccxt.async_support`, or an ImportError that says how to install it."""
    try:
        return importlib.import_module("ccxt.async_support")
    except ImportError as exc:
        raise ImportError(
            f"CcxtCandles needs the optional dependency ccxt: {INSTALL_HINT}"
        ) from exc


class CcxtCandles:
    """Candle source over a ccxt async exchange: `await fetch(symbol, interval, since_ms, limit)`.

    `exchange` is a `ccxt.async_support` exchange instance or an exchange id ("binance").
    `symbol` is a ccxt unified symbol ("BTC/USDT") or the exchange's market id ("BTCUSDT").

    * Network failures (ccxt.NetworkError: RequestTimeout, ExchangeNotAvailable,
      DDoSProtection, RateLimitExceeded...) are retried: `retries` attempts in all, sleeping
      `backoff_ms`, then twice that, ... capped at `max_backoff_ms`, between them. Any other
      error (BadSymbol, AuthenticationError, ...) is raised at once. Backoff sleeps are real
      time (the clock only decides which candles have closed); ccxt's own rate limiter
      (`enableRateLimit`) stays in charge of request spacing.
    * Only closed candles are returned: a candle stamped `t` is kept when
      `t + interval <= clock.now()`; the still-forming one never is.
    * Rows are validated (aligned, strictly ascending timestamps; finite, positive prices;
      finite, non-negative volume; high/low enclosing open/close); a bad row raises
      CandleDataError naming the exchange, the symbol and the row index.
    * A `limit` above the exchange's page size (binance: 1000) is served page by page.

    `close()` (or `async with CcxtCandles(...)`) closes the exchange's HTTP session, also for
    an exchange instance passed in.
    """

    def __init__(
        self,
        exchange: Any,
        *,
        clock: NowClock | None = None,
        retries: int = 3,
        backoff_ms: int = 500,
        max_backoff_ms: int = 10_000,
    ) -> None:
        if retries < 1:
            raise ValueError(f"CcxtCandles: retries must be >= 1 (attempts in all), got {retries}")
        if backoff_ms < 0 or max_backoff_ms < 0:
            raise ValueError("CcxtCandles: backoff_ms and max_backoff_ms must be >= 0")
        self._ccxt = import_ccxt()
        self._exchange = (
            _make_exchange(self._ccxt, exchange) if isinstance(exchange, str) else exchange
        )
        self._clock: NowClock = clock if clock is not None else WallClock()
        self.retries = retries
        self.backoff_ms = backoff_ms
        self.max_backoff_ms = max_backoff_ms

    @property
    def exchange(self) -> Any:
        return self._exchange

    @property
    def exchange_id(self) -> str:
        return str(getattr(self._exchange, "id", type(self._exchange).__name__))

    def backoff_schedule(self) -> list[int]:
        """The sleeps (ms) between the attempts of one request: retries - 1 of them."""
        return [min(self.backoff_ms * 2**i, self.max_backoff_ms) for i in range(self.retries - 1)]

    async def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:
        """The first `limit` closed candles stamped >= since_ms."""
        step = interval_ms(interval, CANDLE_INTERVALS, "candle")
        origin = f"CcxtCandles[{self.exchange_id} {symbol} {interval}]"
        last_closed = int(self._clock.now()) - step  # latest stamp whose candle has closed
        rows: list[Any] = []
        cursor = since_ms
        while len(rows) < limit:
            page = await self._fetch_page(symbol, interval, cursor, limit - len(rows))
            if not page:
                self._check_empty_page(origin)
                break
            # validate before asking for more, so bad data never triggers another request
            timestamps, _ = _columns(page, origin, step, first_row=len(rows))
            rows.extend(page)
            # a short page may be the exchange's page-size cap (binance: 1000): ask for the
            # rest while the next candle could have closed
            cursor = int(timestamps[-1]) + step
            if cursor > last_closed:
                break
        timestamps, floats = _columns(rows, origin, step, first_row=0)
        table = CandleTable(timestamps, *floats.values(), step_ms=step, origin=origin)
        table.report_gaps()
        lo = table.first_at_or_after(since_ms)
        hi = min(lo + max(limit, 0), table.first_after(last_closed))
        return table.view(lo, hi if hi > lo else lo)

    def _check_empty_page(self, origin: str) -> None:
        """ccxt turns a body it cannot parse (an HTML error page served with status 200)
        into an empty list: tell that apart from a genuinely empty answer."""
        body = getattr(self._exchange, "last_http_response", None)
        if isinstance(body, str) and body.strip():
            try:
                json.loads(body)
            except ValueError:
                raise CandleDataError(
                    f"{origin}: the exchange answered with a body that is not JSON "
                    f"({body.strip()[:80]!r})"
                ) from None

    async def _fetch_page(self, symbol: str, interval: str, since: int, limit: int) -> list[Any]:
        ccxt = self._ccxt
        delays = self.backoff_schedule()
        what = (
            f"{self.exchange_id} fetch_ohlcv({symbol!r}, {interval!r}, since={since}, "
            f"limit={limit})"
        )
        for attempt in range(1, self.retries + 1):
            try:
                page = await self._exchange.fetch_ohlcv(
                    symbol, timeframe=interval, since=since, limit=limit
                )
            except ccxt.NetworkError as exc:
                if attempt == self.retries:
                    raise type(exc)(
                        f"CcxtCandles: {what} failed after {attempt} attempt(s): {exc}"
                    ) from exc
                delay = delays[attempt - 1]
                _log.warning(
                    "ccxt_fetch_retry",
                    exchange=self.exchange_id,
                    symbol=symbol,
                    attempt=attempt,
                    delay_ms=delay,
                    error=repr(exc),
                )
                await _sleep(delay / 1000)
            except ccxt.BaseError as exc:
                raise type(exc)(
                    f"CcxtCandles: {what} failed ({type(exc).__name__}, not retried): {exc}"
                ) from exc
            else:
                if not isinstance(page, list):
                    raise CandleDataError(
                        f"CcxtCandles: {what} returned {type(page).__name__}, expected a list"
                    )
                return page
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Close the exchange's HTTP session (ccxt reopens it if the exchange is used again)."""
        await self._exchange.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"CcxtCandles({self.exchange_id!r}, retries={self.retries})"


def _make_exchange(ccxt: ModuleType, exchange_id: str) -> Any:
    cls = getattr(ccxt, exchange_id, None)
    if exchange_id not in getattr(ccxt, "exchanges", ()) or cls is None:
        raise ValueError(
            f"CcxtCandles: unknown ccxt exchange id {exchange_id!r} "
            "(see ccxt.exchanges for the list)"
        )
    return cls({"enableRateLimit": True})


def _columns(
    rows: Sequence[Any], origin: str, step: int, *, first_row: int
) -> tuple[IntArray, dict[str, FloatArray]]:
    """Validated columns from ccxt OHLCV rows; errors name the row (first_row + index)."""
    timestamps: list[int] = []
    values: list[list[float]] = [[] for _ in COLUMNS[1:]]
    for index, row in enumerate(rows, start=first_row):
        if not isinstance(row, (list, tuple)) or len(row) < len(COLUMNS):
            raise CandleDataError(
                f"{origin}: row {index}: expected [timestamp, open, high, low, close, volume], "
                f"got {row!r}"
            )
        timestamps.append(_timestamp(row[0], origin, index))
        for name, column, value in zip(COLUMNS[1:], values, row[1 : len(COLUMNS)], strict=True):
            column.append(_number(value, origin, index, name))
    timestamp = np.asarray(timestamps, dtype=np.int64)
    floats = {
        name: np.asarray(column, dtype=np.float64)
        for name, column in zip(COLUMNS[1:], values, strict=True)
    }
    validate_columns(timestamp, floats, step_ms=step, origin=origin, first_row=first_row)
    return timestamp, floats


def _timestamp(value: Any, origin: str, index: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CandleDataError(f"{origin}: row {index}: field timestamp: not a number ({value!r})")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise CandleDataError(
            f"{origin}: row {index}: field timestamp: not an integer number of ms ({value!r})"
        )
    return int(value)


def _number(value: Any, origin: str, index: int, name: str) -> float:
    """None (ccxt's parse of a missing or unparsable field) becomes NaN, reported by row."""
    if value is None:
        return math.nan
    if not isinstance(value, bool) and isinstance(value, (int, float, str)):
        try:
            return float(value)
        except ValueError:
            pass
    raise CandleDataError(f"{origin}: row {index}: field {name}: not a number ({value!r})")
