"""Vectorised fast-forward == SPEC 6.4 candle by candle, on random candle paths and signals."""

from __future__ import annotations

import math
import os
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtestkit.actors import (
    Backtest,
    RiskValidation,
    Signal,
    add_exchange,
    add_frame,
    add_risk,
    add_strategy,
    get_average_price,
    set_config,
)
from backtestkit.actors.backtest import replayer as replayer_module
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.bus import PartialEvent, topics

from .scalar_fast_forward import scalar_fast_forward

START = 1_704_067_200_000
MINUTE = 60_000
EXAMPLES = int(os.environ.get("BACKTESTKIT_PROPERTY_EXAMPLES", "200"))


def candle_path(seed: int, size: int, zero_volume: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 42_000 * np.exp(np.cumsum(rng.normal(0, 0.002, size)))
    open_ = np.r_[42_000.0, close[:-1]]
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.0015, size)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.0015, size)))
    volume = rng.lognormal(0, 1, size)
    volume[rng.random(size) < zero_volume] = 0.0
    return {
        "timestamp": START + np.arange(size, dtype=np.int64) * MINUTE,
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": volume,
    }


def random_signals(seed: int, rate: float) -> Any:
    def get_signal(symbol: str, when: datetime) -> Signal | None:
        rng = np.random.default_rng([seed, int(when.timestamp())])
        if rng.random() > rate:
            return None
        price: Any = get_average_price(symbol)
        long = rng.random() < 0.5
        entry = price
        price_open = None
        if rng.random() < 0.5:  # limit entry, on either side of the price
            entry = price * (1 + rng.uniform(-0.006, 0.006))
            price_open = entry
        tp = rng.uniform(0.002, 0.02)
        sl = rng.uniform(0.002, 0.02)
        side = 1 if long else -1
        return Signal(
            "long" if long else "short",
            entry * (1 + side * tp),
            entry * (1 - side * sl),
            int(rng.integers(1, 180)),
            price_open=price_open,
        )

    return get_signal


def run(columns: dict[str, np.ndarray], seed: int, rate: float, risky: bool) -> tuple[Any, ...]:
    reset_engine()
    set_config(
        unsafe=True,
        CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=0,
        CC_MIN_STOPLOSS_DISTANCE_PERCENT=0,
        CC_MAX_STOPLOSS_DISTANCE_PERCENT=100,
    )
    size = len(columns["timestamp"])
    add_exchange("random", candles=MemoryCandles({"X": columns}))
    add_frame("f", start=START + 10 * MINUTE, end=START + (size - 1) * MINUTE)
    risk = None
    if risky:

        def odd_minutes(check: Any) -> None:
            if (check.timestamp // MINUTE) % 3 == 0:
                raise ValueError("third minute")

        add_risk("r", validations=[RiskValidation(odd_minutes, note="every third minute")])
        risk = "r"
    add_strategy("s", interval="1m", get_signal=random_signals(seed, rate), risk=risk)
    partial: list[PartialEvent] = []
    topics.partial_profit.subscribe(partial.append)
    topics.partial_loss.subscribe(partial.append)
    results = Backtest.run_sync("X", strategy="s", exchange="random", frame="f")
    return [r.to_dict() for r in results], [p.to_dict() for p in partial]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    seed=st.integers(0, 2**31),
    size=st.integers(60, 400),
    rate=st.sampled_from([0.05, 0.3, 1.0]),
    zero_volume=st.sampled_from([0.0, 0.3, 1.0]),
    risky=st.booleans(),
)
def test_vectorised_equals_candle_by_candle(
    seed: int, size: int, rate: float, zero_volume: float, risky: bool
) -> None:
    columns = candle_path(seed, size, zero_volume)
    fast = run(columns, seed, rate, risky)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(replayer_module, "fast_forward_now", lambda machine, candles: None)
        patch.setattr(replayer_module, "fast_forward", scalar_fast_forward)
        slow = run(columns, seed, rate, risky)
    assert fast == slow
    assert all(math.isfinite(r["current_price"]) for r in fast[0])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_backtests_trade(seed: int) -> None:
    """Guard for the property above: the random paths really open, close and cancel."""
    results, partial = run(candle_path(seed, 400, 0.1), seed, 0.3, False)
    actions = {r["action"] for r in results}
    reasons = {r.get("close_reason") for r in results}
    assert "closed" in actions
    assert {"take_profit", "stop_loss"} <= reasons
    assert partial
