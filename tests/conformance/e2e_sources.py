"""Candle sources, recorders, runners and SPEC formulas for the section B ("e2e") ports.

Expected values in the e2e tests are derived from SPEC.md with the helpers below (written from
the SPEC text, independently of the engine): `spec_vwap` (conventions: typical ((h + l) + c) / 3,
oldest-to-newest running sums, mean close at zero volume), `spec_pnl` (section 8) and
`spec_progress` (section 1.6).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from backtestkit.actors import (
    Backtest,
    Signal,
    add_exchange,
    add_strategy,
    get_average_price,
    get_config,
)
from backtestkit.actors.core import StrategyCallbacks
from backtestkit.actors.market import Candle
from backtestkit.bus import (
    DoneEvent,
    listen_done_backtest,
    listen_error,
    listen_signal_backtest,
)

from .harness import T0, eight_decimals

MIN = 60_000
BUFFER_START = T0 - 4 * MIN  # "buffer-slice" arrays are indexed from T0 - 4 min (SCENARIOS B.6)

Ohlcv = tuple[float, float, float, float, float]


# -- candles ----------------------------------------------------------------------------------


def band(price: float, up: float = 100, down: float | None = None, volume: float = 100) -> Ohlcv:
    """(o, h, l, c, v): open = close = price, high = price + up, low = price - down."""
    return (price, price + up, price - (up if down is None else down), price, volume)


def rows_from(origin: int, prices: Sequence[Ohlcv]) -> list[Candle]:
    """Minute-indexed candles: row k is stamped origin + k minutes."""
    return [Candle(origin + k * MIN, *ohlcv) for k, ohlcv in enumerate(prices)]


def plan(length: int, default: Ohlcv, *segments: tuple[int, int, Ohlcv]) -> list[Ohlcv]:
    """`length` minutes of `default`, overwritten by (first, last inclusive, ohlcv) segments."""
    out = [default] * length
    for first, last, ohlcv in segments:
        for minute in range(first, min(last, length - 1) + 1):
            out[minute] = ohlcv
    return out


class SliceCandles:
    """SCENARIOS B 'slice exchange from S': `rows[k : k + limit]` with k = (since - S) / 1 min
    (Python slicing == JS slice here); an empty slice answers the first `limit` rows instead
    (or nothing with `fallback=False`). `rows` may be replaced while a backtest runs."""

    def __init__(self, origin: int, rows: Sequence[Candle] = (), *, fallback: bool = True):
        self.origin = origin
        self.rows = list(rows)
        self.fallback = fallback

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Candle]:
        k = (since_ms - self.origin) // MIN
        kept = self.rows[k : k + limit]
        if not kept and self.fallback:
            kept = self.rows[:limit]
        return kept


class PerSymbol:
    """One candle source per symbol."""

    def __init__(self, sources: dict[str, Any]) -> None:
        self.sources = sources

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Any:
        return self.sources[symbol].fetch(symbol, interval, since_ms, limit)


class AsyncSource:
    """The same candles through an async fetch that yields to the event loop on every call, so
    concurrent background backtests interleave (as the reference's awaited getCandles do)."""

    def __init__(self, source: Any) -> None:
        self.source = source

    async def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Any:
        await anyio.sleep(0)
        return self.source.fetch(symbol, interval, since_ms, limit)


class Throwing:
    def __init__(self, message: str) -> None:
        self.message = message

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Candle]:
        raise RuntimeError(self.message)


def add_source_exchange(name: str, source: Any) -> Any:
    add_exchange(name, candles=source, format_price=eight_decimals, format_quantity=eight_decimals)
    return source


# -- SPEC formulas ----------------------------------------------------------------------------


def spec_vwap(candles: Iterable[Any]) -> float:
    """SPEC conventions, bit-exact order; accepts Candle rows or (o, h, l, c, v) tuples."""
    numerator = 0.0
    volume = 0.0
    closes = 0.0
    count = 0
    for row in candles:
        if isinstance(row, tuple):
            _o, high, low, close, vol = row
        else:
            high, low, close, vol = row.high, row.low, row.close, row.volume
        typical = ((high + low) + close) / 3
        numerator = numerator + typical * vol
        volume = volume + vol
        closes = closes + close
        count += 1
    if volume == 0:
        return closes / count
    return numerator / volume


def spec_pnl(position: str, price_open: float, price_close: float) -> float:
    """SPEC 8 with the current CC_PERCENT_SLIPPAGE / CC_PERCENT_FEE, in SPEC's order."""
    config = get_config()
    slippage = config.CC_PERCENT_SLIPPAGE
    fee = config.CC_PERCENT_FEE
    if position == "long":
        open_adj = price_open * (1 + slippage / 100)
        close_adj = price_close * (1 - slippage / 100)
        return ((close_adj - open_adj) / open_adj) * 100 - fee * 2
    open_adj = price_open * (1 - slippage / 100)
    close_adj = price_close * (1 + slippage / 100)
    return ((open_adj - close_adj) / open_adj) * 100 - fee * 2


def spec_progress(
    position: str, price_open: float, tp: float, sl: float, price: float
) -> tuple[float, float]:
    """SPEC 1.6: (percentTp, percentSl), capped at 100, 0 when not moving that way."""
    if position == "long":
        d = price - price_open
        if d > 0:
            return min(d / (tp - price_open) * 100, 100), 0.0
        if d < 0:
            return 0.0, min(abs(d) / (price_open - sl) * 100, 100)
        return 0.0, 0.0
    d = price_open - price
    if d > 0:
        return min(d / (price_open - tp) * 100, 100), 0.0
    if d < 0:
        return 0.0, min(abs(d) / (sl - price_open) * 100, 100)
    return 0.0, 0.0


# -- strategies and recorders -----------------------------------------------------------------


async def resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def first_calls(make: Callable[[int, str], Signal | None], n: int) -> Callable[..., Any]:
    """A get_signal that returns make(call_number, symbol) on its first `n` calls per symbol."""
    calls: dict[str, int] = {}

    def get_signal(symbol: str, when: Any) -> Signal | None:
        calls[symbol] = calls.get(symbol, 0) + 1
        return make(calls[symbol], symbol) if calls[symbol] <= n else None

    get_signal.calls = calls  # type: ignore[attr-defined]
    return get_signal


def average_price_signal(
    make: Callable[[float], Signal], n: int | None = None
) -> Callable[..., Any]:
    """An async get_signal that reads get_average_price and returns make(price)."""
    count = 0

    async def get_signal(symbol: str, when: Any) -> Signal | None:
        nonlocal count
        count += 1
        if n is not None and count > n:
            return None
        return make(await resolve(get_average_price(symbol)))

    return get_signal


@dataclass
class Recorder:
    """Strategy callbacks that record their arguments; `order` keeps every call in order."""

    schedule: list[tuple[Any, ...]] = field(default_factory=list)
    open: list[tuple[Any, ...]] = field(default_factory=list)
    close: list[tuple[Any, ...]] = field(default_factory=list)
    cancel: list[tuple[Any, ...]] = field(default_factory=list)
    write: list[Any] = field(default_factory=list)
    partial_profit: list[tuple[Any, ...]] = field(default_factory=list)
    partial_loss: list[tuple[Any, ...]] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    open_now: int = 0
    max_open: int = 0

    def _on_schedule(self, symbol: str, row: Any, price: float, backtest: bool) -> None:
        self.schedule.append((symbol, row, price, backtest))
        self.order.append("schedule")

    def _on_open(self, symbol: str, row: Any, price: float, backtest: bool) -> None:
        self.open.append((symbol, row, price, backtest))
        self.order.append("open")
        self.open_now += 1
        self.max_open = max(self.max_open, self.open_now)

    def _on_close(self, symbol: str, row: Any, price: float, backtest: bool) -> None:
        self.close.append((symbol, row, price, backtest))
        self.order.append("close")
        self.open_now -= 1

    def _on_cancel(self, symbol: str, row: Any, price: float, backtest: bool) -> None:
        self.cancel.append((symbol, row, price, backtest))
        self.order.append("cancel")

    def _on_write(self, symbol: str, row: Any, backtest: bool) -> None:
        self.write.append(row)
        self.order.append("write-null" if row is None else "write-signal")

    def _on_partial_profit(
        self, symbol: str, row: Any, price: float, percent: float, backtest: bool
    ) -> None:
        self.partial_profit.append((symbol, row, price, percent, backtest))

    def _on_partial_loss(
        self, symbol: str, row: Any, price: float, percent: float, backtest: bool
    ) -> None:
        self.partial_loss.append((symbol, row, price, percent, backtest))

    def callbacks(self, *, partial: bool = True) -> StrategyCallbacks:
        return StrategyCallbacks(
            on_schedule=self._on_schedule,
            on_open=self._on_open,
            on_close=self._on_close,
            on_cancel=self._on_cancel,
            on_write=self._on_write,
            on_partial_profit=self._on_partial_profit if partial else None,
            on_partial_loss=self._on_partial_loss if partial else None,
        )


def add_recorded_strategy(
    name: str,
    get_signal: Callable[..., Any],
    *,
    risk: str | list[str] | None = None,
    partial: bool = True,
) -> Recorder:
    recorder = Recorder()
    add_strategy(
        name,
        interval="1m",
        get_signal=get_signal,
        risk=risk,
        callbacks=recorder.callbacks(partial=partial),
    )
    return recorder


# -- running ----------------------------------------------------------------------------------


@dataclass
class Watch:
    """Everything published on signal_backtest and error while the test runs."""

    events: list[Any] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def actions(self, symbol: str | None = None) -> list[str]:
        return [e.action for e in self.events if symbol is None or e.symbol == symbol]

    def closed(self, symbol: str | None = None) -> list[Any]:
        return [e for e in self.events if e.action == "closed" and symbol in (None, e.symbol)]

    def errors_without(self, text: str) -> list[BaseException]:
        return [e for e in self.errors if text not in str(e)]


def watch() -> Watch:
    seen = Watch()
    listen_signal_backtest(seen.events.append)
    listen_error(seen.errors.append)
    return seen


def run_backtest(symbol: str, strategy: str, exchange: str, frame: str) -> list[Any]:
    """Backtest.run to the end (in a fresh event loop); the yielded results."""
    return Backtest.run_sync(symbol, strategy=strategy, exchange=exchange, frame=frame)


async def run_background(*runs: tuple[str, str, str, str], timeout: float = 10) -> list[DoneEvent]:
    """Start Backtest.background for every (symbol, strategy, exchange, frame); wait for their
    doneBacktest events."""
    done: list[DoneEvent] = []
    all_done = anyio.Event()

    def on_done(event: DoneEvent) -> None:
        done.append(event)
        if len(done) >= len(runs):
            all_done.set()

    unsubscribe = listen_done_backtest(on_done)
    try:
        with anyio.fail_after(timeout):
            for symbol, strategy, exchange, frame in runs:
                Backtest.background(symbol, strategy=strategy, exchange=exchange, frame=frame)
            await all_done.wait()
    finally:
        unsubscribe()
    return done


# -- several symbols --------------------------------------------------------------------------


@dataclass
class Market:
    """Per-symbol slice exchanges from T0 (no buffer) whose arrays are rebuilt by the first
    get_signal call for that symbol (B.2 / B.7 / B.13 parallel setups)."""

    initial: dict[str, Ohlcv]
    rebuilt: dict[str, list[Ohlcv]]
    signals: dict[str, Signal]
    sources: dict[str, SliceCandles] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sources = {
            s: SliceCandles(T0, rows_from(T0, [o] * 5)) for s, o in self.initial.items()
        }

    def add_exchange(self, name: str) -> None:
        add_source_exchange(name, PerSymbol(dict(self.sources)))

    def get_signal(self) -> Callable[..., Any]:
        def make(n: int, symbol: str) -> Signal:
            self.sources[symbol].rows = rows_from(T0, self.rebuilt[symbol])
            return self.signals[symbol]

        return first_calls(make, 1)
