"""SCENARIOS A.14 spec/config: set_config validation (SPEC 2).

Each test first applies the defaults (`setConfig(getDefaultConfig())`), then makes one change in
safe mode. A rejected change raises ValueError whose message starts `GLOBAL_CONFIG validation
failed:` followed by numbered lines, and leaves the previous config in place.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from backtestkit.actors import get_config, set_config
from backtestkit.actors.core import get_default_config


def _defaults() -> None:
    set_config(**dataclasses.asdict(get_default_config()))


def _accepted(**change: Any) -> None:
    _defaults()
    set_config(**change)
    for key, value in change.items():
        assert getattr(get_config(), key) == value


def _rejected(*expected: str, **change: Any) -> str:
    _defaults()
    before = get_config()
    with pytest.raises(ValueError) as info:
        set_config(**change)
    assert get_config() == before  # the previous values are restored
    message = str(info.value)
    assert message.startswith("GLOBAL_CONFIG validation failed:")
    for text in expected:
        assert text in message
    return message


def test_defaults_pass() -> None:
    """spec/config/defaults-pass"""
    _defaults()
    assert get_config() == get_default_config()


def test_negative_slippage() -> None:
    """spec/config/negative-slippage"""
    _rejected("CC_PERCENT_SLIPPAGE must be a non-negative number", CC_PERCENT_SLIPPAGE=-0.1)


def test_negative_fee() -> None:
    """spec/config/negative-fee"""
    _rejected("CC_PERCENT_FEE must be a non-negative number", CC_PERCENT_FEE=-0.1)


def test_tp_below_costs() -> None:
    """spec/config/tp-below-costs"""
    _rejected(
        "CC_MIN_TAKEPROFIT_DISTANCE_PERCENT",
        "too low to cover trading costs",
        CC_PERCENT_SLIPPAGE=0.1,
        CC_PERCENT_FEE=0.1,
        CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=0.3,
    )


def test_tp_exact_costs() -> None:
    """spec/config/tp-exact-costs"""
    # 0.1·2 + 0.1·2 = 0.4 exactly: the minimum TP distance covers the costs
    _accepted(CC_PERCENT_SLIPPAGE=0.1, CC_PERCENT_FEE=0.1, CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=0.4)


def test_min_sl_above_max() -> None:
    """spec/config/min-sl-above-max"""
    message = _rejected(
        "CC_MIN_STOPLOSS_DISTANCE_PERCENT",
        CC_MIN_STOPLOSS_DISTANCE_PERCENT=10,
        CC_MAX_STOPLOSS_DISTANCE_PERCENT=5,
    )
    assert "must be less than" in message


def test_zero_tp() -> None:
    """spec/config/zero-tp"""
    _rejected(
        "CC_MIN_TAKEPROFIT_DISTANCE_PERCENT must be a positive number",
        CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=0,
    )


def test_negative_lifetime() -> None:
    """spec/config/negative-lifetime"""
    _rejected(
        "CC_MAX_SIGNAL_LIFETIME_MINUTES must be a positive integer",
        CC_MAX_SIGNAL_LIFETIME_MINUTES=-100,
    )


def test_non_integer_candles() -> None:
    """spec/config/non-integer-candles"""
    _rejected(
        "CC_AVG_PRICE_CANDLES_COUNT must be a positive integer", CC_AVG_PRICE_CANDLES_COUNT=5.5
    )


def test_negative_retry_count() -> None:
    """spec/config/negative-retry-count"""
    _rejected(
        "CC_GET_CANDLES_RETRY_COUNT must be a non-negative integer", CC_GET_CANDLES_RETRY_COUNT=-1
    )


MIN_SL_TEXT = "CC_MIN_STOPLOSS_DISTANCE_PERCENT must be a positive number"
MAX_SL_TEXT = "CC_MAX_STOPLOSS_DISTANCE_PERCENT must be a positive number"


def test_zero_min_sl() -> None:
    """spec/config/zero-min-sl"""
    _rejected(MIN_SL_TEXT, CC_MIN_STOPLOSS_DISTANCE_PERCENT=0)


def test_negative_min_sl() -> None:
    """spec/config/negative-min-sl"""
    _rejected(MIN_SL_TEXT, CC_MIN_STOPLOSS_DISTANCE_PERCENT=-5)


def test_zero_max_sl() -> None:
    """spec/config/zero-max-sl"""
    _rejected(MAX_SL_TEXT, CC_MAX_STOPLOSS_DISTANCE_PERCENT=0)


def test_negative_max_sl() -> None:
    """spec/config/negative-max-sl"""
    _rejected(MAX_SL_TEXT, CC_MAX_STOPLOSS_DISTANCE_PERCENT=-10)


AWAIT_TEXT = "CC_SCHEDULE_AWAIT_MINUTES must be a positive integer"
GENERATION_TEXT = "CC_MAX_SIGNAL_GENERATION_SECONDS must be a positive integer"
AVG_TEXT = "CC_AVG_PRICE_CANDLES_COUNT must be a positive integer"
ANOMALY_TEXT = "CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR must be a positive integer"
MEDIAN_TEXT = "CC_GET_CANDLES_MIN_CANDLES_FOR_MEDIAN must be a positive integer"


def test_zero_schedule_await() -> None:
    """spec/config/zero-schedule-await"""
    _rejected(AWAIT_TEXT, CC_SCHEDULE_AWAIT_MINUTES=0)


def test_negative_schedule_await() -> None:
    """spec/config/negative-schedule-await"""
    _rejected(AWAIT_TEXT, CC_SCHEDULE_AWAIT_MINUTES=-50)


def test_zero_generation() -> None:
    """spec/config/zero-generation"""
    _rejected(GENERATION_TEXT, CC_MAX_SIGNAL_GENERATION_SECONDS=0)


def test_negative_generation() -> None:
    """spec/config/negative-generation"""
    _rejected(GENERATION_TEXT, CC_MAX_SIGNAL_GENERATION_SECONDS=-30)


def test_zero_avg_candles() -> None:
    """spec/config/zero-avg-candles"""
    _rejected(AVG_TEXT, CC_AVG_PRICE_CANDLES_COUNT=0)


def test_negative_avg_candles() -> None:
    """spec/config/negative-avg-candles"""
    _rejected(AVG_TEXT, CC_AVG_PRICE_CANDLES_COUNT=-5)


def test_negative_retry_delay() -> None:
    """spec/config/negative-retry-delay"""
    _rejected(
        "CC_GET_CANDLES_RETRY_DELAY_MS must be a non-negative integer",
        CC_GET_CANDLES_RETRY_DELAY_MS=-100,
    )


def test_zero_anomaly_factor() -> None:
    """spec/config/zero-anomaly-factor"""
    _rejected(ANOMALY_TEXT, CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR=0)


def test_negative_anomaly_factor() -> None:
    """spec/config/negative-anomaly-factor"""
    _rejected(ANOMALY_TEXT, CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR=-1000)


def test_zero_median_min() -> None:
    """spec/config/zero-median-min"""
    _rejected(MEDIAN_TEXT, CC_GET_CANDLES_MIN_CANDLES_FOR_MEDIAN=0)


def test_negative_median_min() -> None:
    """spec/config/negative-median-min"""
    _rejected(MEDIAN_TEXT, CC_GET_CANDLES_MIN_CANDLES_FOR_MEDIAN=-5)


def test_non_integer_schedule_await() -> None:
    """spec/config/non-integer-schedule-await"""
    _rejected(AWAIT_TEXT, CC_SCHEDULE_AWAIT_MINUTES=120.5)


def test_non_integer_lifetime() -> None:
    """spec/config/non-integer-lifetime"""
    _rejected(
        "CC_MAX_SIGNAL_LIFETIME_MINUTES must be a positive integer",
        CC_MAX_SIGNAL_LIFETIME_MINUTES=1440.7,
    )


def test_aggregated() -> None:
    """spec/config/aggregated"""
    message = _rejected(
        CC_PERCENT_SLIPPAGE=-0.1, CC_PERCENT_FEE=-0.1, CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=-1
    )
    assert len(re.findall(r"\d+\.", message)) >= 3  # asserted
    # computed: exactly three numbered lines, in rule order: slippage, fee, min TP (> 0)
    numbered = re.findall(r"^\s*(\d+)\. (.*)$", message, flags=re.MULTILINE)
    assert [number for number, _ in numbered] == ["1", "2", "3"]
    keys = ["CC_PERCENT_SLIPPAGE", "CC_PERCENT_FEE", "CC_MIN_TAKEPROFIT_DISTANCE_PERCENT"]
    for (_, text), key in zip(numbered, keys, strict=True):
        assert text.startswith(key)
    assert "-1" in numbered[2][1]
