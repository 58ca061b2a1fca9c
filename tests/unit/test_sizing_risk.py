"""PositionSize errors (SPEC 1.5) and the built-in max_concurrent_positions of a risk profile."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterator
from datetime import datetime

import anyio
import pytest

from backtestkit.actors import (
    Backtest,
    PositionSize,
    RiskCheck,
    RiskRejections,
    Signal,
    add_exchange,
    add_frame,
    add_risk,
    add_sizing,
    add_strategy,
    get_average_price,
)
from backtestkit.actors.core import registry
from backtestkit.actors.core.risk import risk_books
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.bus import RiskEvent, listen_risk, listen_validation, topics

T0 = 1_704_067_200_000
MIN = 60_000


@pytest.fixture(autouse=True)
def engine() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


# --- sizing -----------------------------------------------------------------------------------


def test_fixed_percentage_zero_distance() -> None:
    add_sizing("f", method="fixed_percentage", risk_percentage=1)
    with pytest.raises(ValueError, match="sizing 'f': Stop-loss distance cannot be zero"):
        PositionSize.fixed_percentage("BTCUSDT", 1000, 100, 100, sizing="f")


@pytest.mark.parametrize("win_rate", [0, 1, -0.1, 1.5, math.nan])
def test_kelly_win_rate_bounds(win_rate: float) -> None:
    add_sizing("k", method="kelly_criterion")
    with pytest.raises(ValueError, match="win_rate must be between 0 and 1"):
        PositionSize.kelly_criterion("BTCUSDT", 1000, 100, win_rate, 1.5, sizing="k")


@pytest.mark.parametrize("ratio", [0, -1, math.inf])
def test_kelly_ratio_positive(ratio: float) -> None:
    add_sizing("k", method="kelly_criterion")
    with pytest.raises(ValueError, match="win_loss_ratio must be positive"):
        PositionSize.kelly_criterion("BTCUSDT", 1000, 100, 0.5, ratio, sizing="k")


def test_kelly_negative_edge_is_zero() -> None:
    add_sizing("k", method="kelly_criterion", kelly_multiplier=1)
    # k = (0.3 * 1 - 0.7) / 1 < 0: no position
    assert PositionSize.kelly_criterion("BTCUSDT", 1000, 100, 0.3, 1, sizing="k") == 0


@pytest.mark.parametrize("atr", [0, -5, math.nan])
def test_atr_positive(atr: float) -> None:
    add_sizing("a", method="atr_based", risk_percentage=1)
    with pytest.raises(ValueError, match="ATR must be positive"):
        PositionSize.atr_based("BTCUSDT", 1000, 100, atr, sizing="a")


@pytest.mark.parametrize(("balance", "price_open"), [(-1, 100), (math.nan, 100), (1000, 0)])
def test_inputs_checked(balance: float, price_open: float) -> None:
    add_sizing("f", method="fixed_percentage", risk_percentage=1)
    with pytest.raises(ValueError, match="must be a finite number"):
        PositionSize.fixed_percentage("BTCUSDT", balance, price_open, 90, sizing="f")


def test_caps_apply_in_spec_order() -> None:
    # raw 1000 * 10 / 100 / 10 = 10; max 20 % of balance at 100 = 2; min 3 wins over it; max 2.5
    add_sizing(
        "caps",
        method="fixed_percentage",
        risk_percentage=10,
        max_position_percentage=20,
        min_position_size=3,
        max_position_size=2.5,
    )
    assert PositionSize.fixed_percentage("BTCUSDT", 1000, 100, 90, sizing="caps") == 2.5


# --- the built-in max_concurrent_positions ----------------------------------------------------


@pytest.mark.anyio
async def test_max_concurrent_positions_rejects_before_validations() -> None:
    called: list[int] = []
    add_risk("one", validations=[lambda c: called.append(c.active_position_count)])
    add_risk("capped", validations=[called.append], max_concurrent_positions=1)
    book = risk_books.get(registry.risk("capped"))
    events: list[RiskEvent] = []
    errors: list[BaseException] = []
    listen_risk(events.append)
    listen_validation(errors.append)
    arguments = {
        "symbol": "ETHUSDT",
        "pending_signal": None,
        "strategy_name": "s",
        "exchange_name": "ex",
        "current_price": 10.0,
        "timestamp": T0,
    }
    assert await book.check(topics, **arguments) is True
    book.add("s", "BTCUSDT")
    assert await book.check(topics, **arguments) is False
    assert len(called) == 1  # the limit answered without the user validation
    assert [(e.comment, e.active_position_count) for e in events] == [
        ("max_concurrent_positions=1 reached", 1)
    ]
    assert [str(e) for e in errors] == ["risk 'capped': max_concurrent_positions=1 reached"]


def _candles() -> MemoryCandles:
    """Flat minutes from T0-10m to T0+3h: price 100, every signal expires untouched."""
    count = 200
    ts = [T0 - 10 * MIN + k * MIN for k in range(count)]
    return MemoryCandles(
        {
            symbol: {
                "timestamp": ts,
                "open": [100.0] * count,
                "high": [100.5] * count,
                "low": [99.5] * count,
                "close": [100.0] * count,
                "volume": [1.0] * count,
            }
            for symbol in ("BTCUSDT", "ETHUSDT")
        }
    )


async def _market_long(symbol: str, when: datetime) -> Signal:
    price = get_average_price(symbol)
    if inspect.isawaitable(price):
        price = await price
    return Signal("long", price * 1.05, price * 0.95, 30)


class AsyncCandles:
    """The same candles through an async fetch that yields, so concurrent runs interleave."""

    def __init__(self, source: MemoryCandles) -> None:
        self.source = source

    async def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> object:
        await anyio.sleep(0)
        return self.source.fetch(symbol, interval, since_ms, limit)


def test_max_concurrent_positions_sequential_runs() -> None:
    """Two symbols of one strategy under max_concurrent_positions=1, run one after the other:
    each run starts with an empty book (decision Q12), so both trade; the Risk report sees no
    rejection. Run at once (below), the second symbol is held back while the first is open."""
    add_exchange("flat", candles=_candles())
    add_frame("hour", start=T0, end=T0 + 60 * MIN)
    add_risk("single", max_concurrent_positions=1)
    add_strategy("capped", interval="1m", get_signal=_market_long, risk="single")
    for symbol in ("BTCUSDT", "ETHUSDT"):
        results = Backtest.run_sync(symbol, strategy="capped", exchange="flat", frame="hour")
        assert results and all(r.action == "closed" for r in results)
        assert RiskRejections.get_data(symbol, "capped").total_rejections == 0


@pytest.mark.anyio
async def test_max_concurrent_positions_concurrent_runs() -> None:
    add_exchange("flat", candles=AsyncCandles(_candles()))
    add_frame("hour", start=T0, end=T0 + 60 * MIN)
    add_risk("single", max_concurrent_positions=1)
    open_now = 0
    most = 0

    def on_open(*_args: object) -> None:
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)

    def on_close(*_args: object) -> None:
        nonlocal open_now
        open_now -= 1

    add_strategy(
        "capped",
        interval="1m",
        get_signal=_market_long,
        risk="single",
        callbacks={"on_open": on_open, "on_close": on_close},
    )
    checks: list[RiskCheck] = []
    listen_risk(lambda event: checks.append(event))  # type: ignore[arg-type]

    async def run(symbol: str) -> None:
        async for _ in Backtest.run(symbol, strategy="capped", exchange="flat", frame="hour"):
            await anyio.sleep(0)  # let the other run tick while this one holds a result

    async with anyio.create_task_group() as group:
        group.start_soon(run, "BTCUSDT")
        group.start_soon(run, "ETHUSDT")
    assert most == 1
    rejected = RiskRejections.get_data("BTCUSDT", "capped").total_rejections
    rejected += RiskRejections.get_data("ETHUSDT", "capped").total_rejections
    assert rejected == len(checks) > 0
