"""get_candles / get_average_price: one static type that a plain call reads and `await` resolves;
an async source's values refuse to be read unawaited, with an error that says so (issue 30)."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from test_exchange import SYMBOL, AsyncFlakySource, at, exchange_for, memory_exchange, running

from backtestkit.actors import Signal, get_average_price, get_candles
from backtestkit.actors.market import AveragePrice, Candles, PendingCandles, PendingPrice

# VWAP of minutes 6..10 of linear_columns: typical price (h + l + c) / 3 = 100.41666.. + k,
# volume 1 + k, so 100.41666.. + (6*7 + 7*8 + 8*9 + 9*10 + 10*11) / 45 (SPEC 7.3)
VWAP_AT_10 = (101.25 + 99.5 + 100.5) / 3 + 370 / 45


def test_a_plain_call_gets_an_average_price_that_is_a_float() -> None:
    with running(memory_exchange(), at(10)):
        price = get_average_price(SYMBOL)
    assert type(price) is AveragePrice
    assert price == pytest.approx(VWAP_AT_10, abs=1e-9)
    assert type(price * 1.01) is float


@pytest.mark.anyio
async def test_await_returns_the_same_candles_and_price_on_a_table_source() -> None:
    with running(memory_exchange(), at(10)):
        candles = await get_candles(SYMBOL, "1m", 5)
        price = await get_average_price(SYMBOL)
        plain = get_average_price(SYMBOL)
    assert type(candles) is Candles
    assert candles.close.tolist() == [106.5, 107.5, 108.5, 109.5, 110.5]
    assert type(price) is float
    assert price == plain


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited")
def test_an_async_source_read_without_await_names_the_call() -> None:
    with running(exchange_for(AsyncFlakySource(failures=0)), at(10)):
        candles = get_candles(SYMBOL, "1m", 5)
        price = get_average_price(SYMBOL)
    assert isinstance(candles, PendingCandles) and isinstance(candles, Candles)
    assert isinstance(price, PendingPrice) and isinstance(price, float)
    expected = r"get_candles\('BTCUSDT', '1m', 5\) reads an async candle source.*await"
    reads = (lambda: candles.close, lambda: candles.timestamp, lambda: len(candles),
             lambda: candles[-1], lambda: list(candles))  # fmt: skip
    for read in reads:
        with pytest.raises(TypeError, match=expected):
            read()
    for use in (
        lambda: price * 1.01,
        lambda: 1.01 * price,
        lambda: float(price),
        lambda: price > 1,
    ):
        with pytest.raises(TypeError, match=r"get_average_price\('BTCUSDT'\).*await"):
            use()
    with pytest.raises(Exception, match="finite number"):
        Signal("long", 110.0, 90.0, 60, price_open=price)


@pytest.mark.anyio
async def test_an_async_source_awaited_gives_what_a_table_source_gives() -> None:
    with running(exchange_for(AsyncFlakySource(failures=0)), at(10)):
        pending = get_candles(SYMBOL, "1m", 5)
        candles = await pending
        again = await pending
        price = await get_average_price(SYMBOL)
    assert candles is again
    assert candles.close.tolist() == [106.5, 107.5, 108.5, 109.5, 110.5]
    assert price == pytest.approx(VWAP_AT_10, abs=1e-9)


def test_a_signal_keeps_float_subclass_prices_as_plain_floats() -> None:
    signal = Signal("long", np.float64(110.5), 90.0, 60, price_open=AveragePrice(100.25))
    assert type(signal.price_open) is float and signal.price_open == 100.25
    assert type(signal.price_take_profit) is float and signal.price_take_profit == 110.5
    assert orjson.dumps([signal.price_open, signal.price_take_profit]) == b"[100.25,110.5]"
    assert type(Signal("long", 110, 90, 60).price_take_profit) is int
