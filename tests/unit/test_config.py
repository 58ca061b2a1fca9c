"""Global CC_* configuration (SPEC section 2)."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from backtestkit.actors import get_config, reset_config, set_config
from backtestkit.actors.core import get_default_config

DEFAULTS = {
    "CC_SCHEDULE_AWAIT_MINUTES": 120,
    "CC_AVG_PRICE_CANDLES_COUNT": 5,
    "CC_PERCENT_SLIPPAGE": 0.1,
    "CC_PERCENT_FEE": 0.1,
    "CC_MIN_TAKEPROFIT_DISTANCE_PERCENT": 0.5,
    "CC_MIN_STOPLOSS_DISTANCE_PERCENT": 0.5,
    "CC_MAX_STOPLOSS_DISTANCE_PERCENT": 20,
    "CC_MAX_SIGNAL_LIFETIME_MINUTES": 1440,
    "CC_MAX_SIGNAL_GENERATION_SECONDS": 180,
    "CC_GET_CANDLES_RETRY_COUNT": 3,
    "CC_GET_CANDLES_RETRY_DELAY_MS": 5000,
    "CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR": 1000,
    "CC_GET_CANDLES_MIN_CANDLES_FOR_MEDIAN": 5,
    "CC_REPORT_SHOW_SIGNAL_NOTE": False,
    "CC_LOOKAHEAD_PROFILE": "reference",
    "CC_BROKER_QUOTE_AMOUNT": 100,
    "CC_BROKER_RETRY_COUNT": 3,
    "CC_BROKER_RETRY_DELAY_MS": 500,
    "CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES": 15,
}

POSITIVE_INTEGER_KEYS = [
    "CC_SCHEDULE_AWAIT_MINUTES",
    "CC_MAX_SIGNAL_LIFETIME_MINUTES",
    "CC_MAX_SIGNAL_GENERATION_SECONDS",
    "CC_AVG_PRICE_CANDLES_COUNT",
    "CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR",
    "CC_GET_CANDLES_MIN_CANDLES_FOR_MEDIAN",
    "CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES",
]
NON_NEGATIVE_INTEGER_KEYS = [
    "CC_GET_CANDLES_RETRY_COUNT",
    "CC_GET_CANDLES_RETRY_DELAY_MS",
    "CC_BROKER_RETRY_COUNT",
    "CC_BROKER_RETRY_DELAY_MS",
]


def failure(**overrides: object) -> str:
    with pytest.raises(ValueError) as info:
        set_config(**overrides)  # type: ignore[arg-type]
    return str(info.value)


def test_defaults() -> None:
    assert dataclasses.asdict(get_config()) == DEFAULTS
    assert get_default_config() == get_config()


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_config().CC_PERCENT_FEE = 1.0  # type: ignore[misc]


def test_set_config_merges_and_returns_new_config() -> None:
    new = set_config(CC_SCHEDULE_AWAIT_MINUTES=60, CC_PERCENT_FEE=0.05)
    assert new is get_config()
    assert get_config().CC_SCHEDULE_AWAIT_MINUTES == 60
    assert get_config().CC_PERCENT_FEE == 0.05
    assert get_config().CC_PERCENT_SLIPPAGE == 0.1  # untouched keys keep their value
    set_config(CC_AVG_PRICE_CANDLES_COUNT=8)
    assert get_config().CC_SCHEDULE_AWAIT_MINUTES == 60  # earlier change is kept
    assert get_default_config().CC_SCHEDULE_AWAIT_MINUTES == 120


@pytest.mark.parametrize("key", ["CC_PERCENT_SLIPPAGE", "CC_PERCENT_FEE"])
@pytest.mark.parametrize("value", [-0.01, math.inf, math.nan])
def test_slippage_and_fee_must_be_finite_and_non_negative(key: str, value: float) -> None:
    message = failure(**{key: value})
    assert message.startswith("GLOBAL_CONFIG validation failed:")
    assert key in message


@pytest.mark.parametrize("key", ["CC_PERCENT_SLIPPAGE", "CC_PERCENT_FEE"])
def test_zero_slippage_and_fee_are_allowed(key: str) -> None:
    set_config(**{key: 0})
    assert getattr(get_config(), key) == 0


def test_min_take_profit_below_trading_costs_fails() -> None:
    # 2*0.1 + 2*0.1 = 0.4 with the default slippage and fee
    message = failure(CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=0.39)
    assert "CC_MIN_TAKEPROFIT_DISTANCE_PERCENT" in message
    assert "too low to cover trading costs" in message


def test_min_take_profit_exactly_trading_costs_passes() -> None:
    set_config(CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=0.4)
    assert get_config().CC_MIN_TAKEPROFIT_DISTANCE_PERCENT == 0.4


def test_min_take_profit_cost_uses_new_slippage_and_fee() -> None:
    # 2*0.2 + 2*0.3 = 1.0 > 0.5
    message = failure(CC_PERCENT_SLIPPAGE=0.2, CC_PERCENT_FEE=0.3)
    assert "too low to cover trading costs" in message
    set_config(CC_PERCENT_SLIPPAGE=0.2, CC_PERCENT_FEE=0.3, CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=1)


@pytest.mark.parametrize("value", [0, -1, math.inf, math.nan])
def test_min_take_profit_must_be_positive_and_finite(value: float) -> None:
    assert "CC_MIN_TAKEPROFIT_DISTANCE_PERCENT" in failure(CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=value)


@pytest.mark.parametrize(
    "key", ["CC_MIN_STOPLOSS_DISTANCE_PERCENT", "CC_MAX_STOPLOSS_DISTANCE_PERCENT"]
)
@pytest.mark.parametrize("value", [0, -1, math.inf])
def test_stop_loss_distances_must_be_positive_and_finite(key: str, value: float) -> None:
    assert key in failure(**{key: value})


@pytest.mark.parametrize("min_sl,max_sl", [(20, 20), (21, 20), (5, 4.99)])
def test_min_stop_loss_must_be_below_max(min_sl: float, max_sl: float) -> None:
    message = failure(
        CC_MIN_STOPLOSS_DISTANCE_PERCENT=min_sl, CC_MAX_STOPLOSS_DISTANCE_PERCENT=max_sl
    )
    assert "CC_MIN_STOPLOSS_DISTANCE_PERCENT" in message
    assert "CC_MAX_STOPLOSS_DISTANCE_PERCENT" in message


def test_min_stop_loss_just_below_max_passes() -> None:
    set_config(CC_MIN_STOPLOSS_DISTANCE_PERCENT=19.99)
    assert get_config().CC_MIN_STOPLOSS_DISTANCE_PERCENT == 19.99


@pytest.mark.parametrize("key", POSITIVE_INTEGER_KEYS)
@pytest.mark.parametrize("value", [0, -1, 1.5, math.inf, math.nan])
def test_positive_integer_keys(key: str, value: float) -> None:
    message = failure(**{key: value})
    assert message.startswith("GLOBAL_CONFIG validation failed:")
    assert key in message


@pytest.mark.parametrize("key", POSITIVE_INTEGER_KEYS)
def test_positive_integer_keys_accept_one(key: str) -> None:
    set_config(**{key: 1})
    assert getattr(get_config(), key) == 1


@pytest.mark.parametrize("key", NON_NEGATIVE_INTEGER_KEYS)
@pytest.mark.parametrize("value", [-1, 0.5, math.nan])
def test_retry_keys_must_be_non_negative_integers(key: str, value: float) -> None:
    assert key in failure(**{key: value})


@pytest.mark.parametrize("key", NON_NEGATIVE_INTEGER_KEYS)
def test_retry_keys_accept_zero(key: str) -> None:
    set_config(**{key: 0})
    assert getattr(get_config(), key) == 0


def test_several_errors_are_aggregated_with_numbered_lines() -> None:
    message = failure(
        CC_PERCENT_FEE=-1,
        CC_SCHEDULE_AWAIT_MINUTES=0,
        CC_GET_CANDLES_RETRY_COUNT=-2,
    )
    lines = message.splitlines()
    assert lines[0] == "GLOBAL_CONFIG validation failed:"
    body = lines[1:]
    assert len(body) == 3
    assert [re.match(r"(\d+)\. ", line).group(1) for line in body] == ["1", "2", "3"]  # type: ignore[union-attr]
    for key in ("CC_PERCENT_FEE", "CC_SCHEDULE_AWAIT_MINUTES", "CC_GET_CANDLES_RETRY_COUNT"):
        assert sum(key in line for line in body) == 1


def test_failure_restores_previous_values() -> None:
    set_config(CC_SCHEDULE_AWAIT_MINUTES=30)
    before = get_config()
    failure(CC_SCHEDULE_AWAIT_MINUTES=45, CC_PERCENT_FEE=-1)
    assert get_config() == before
    assert get_config().CC_SCHEDULE_AWAIT_MINUTES == 30
    assert get_config().CC_PERCENT_FEE == 0.1


def test_unknown_key_raises_value_error_and_changes_nothing() -> None:
    with pytest.raises(ValueError, match="CC_NOT_A_KEY"):
        set_config(CC_NOT_A_KEY=1, CC_SCHEDULE_AWAIT_MINUTES=1)
    assert get_config() == get_default_config()


@pytest.mark.parametrize(
    "key,value",
    [
        ("CC_PERCENT_FEE", "0.1"),
        ("CC_SCHEDULE_AWAIT_MINUTES", None),
        ("CC_AVG_PRICE_CANDLES_COUNT", True),
        ("CC_REPORT_SHOW_SIGNAL_NOTE", "yes"),
        ("CC_REPORT_SHOW_SIGNAL_NOTE", 1),
        ("CC_LOOKAHEAD_PROFILE", "Safe"),
        ("CC_LOOKAHEAD_PROFILE", None),
        ("CC_LOOKAHEAD_PROFILE", 1),
    ],
)
def test_wrong_type_raises_value_error(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=key):
        set_config(**{key: value})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=key):
        set_config(unsafe=True, **{key: value})  # type: ignore[arg-type]
    assert get_config() == get_default_config()


def test_report_show_signal_note_takes_a_bool() -> None:
    set_config(CC_REPORT_SHOW_SIGNAL_NOTE=True)
    assert get_config().CC_REPORT_SHOW_SIGNAL_NOTE is True


def test_lookahead_profile_names_the_allowed_values() -> None:
    message = failure(CC_LOOKAHEAD_PROFILE="strict")
    assert message == (
        "set_config: CC_LOOKAHEAD_PROFILE must be one of 'reference', 'safe', got 'strict'"
    )
    set_config(CC_LOOKAHEAD_PROFILE="safe")
    assert get_config().CC_LOOKAHEAD_PROFILE == "safe"


def test_unsafe_skips_validation() -> None:
    # the SCENARIOS harness config: checks disabled with zeros
    set_config(
        unsafe=True,
        CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=0,
        CC_MIN_STOPLOSS_DISTANCE_PERCENT=0,
        CC_MAX_STOPLOSS_DISTANCE_PERCENT=100,
        CC_MAX_SIGNAL_LIFETIME_MINUTES=999999,
        CC_GET_CANDLES_RETRY_COUNT=1,
        CC_GET_CANDLES_RETRY_DELAY_MS=100,
    )
    config = get_config()
    assert config.CC_MIN_TAKEPROFIT_DISTANCE_PERCENT == 0
    assert config.CC_MIN_STOPLOSS_DISTANCE_PERCENT == 0
    assert config.CC_MAX_STOPLOSS_DISTANCE_PERCENT == 100
    assert config.CC_GET_CANDLES_RETRY_COUNT == 1
    # a later safe call validates the whole merged config, including the unsafe zeros
    with pytest.raises(ValueError, match="GLOBAL_CONFIG validation failed:"):
        set_config(CC_PERCENT_FEE=0.1)


def test_reset_config() -> None:
    set_config(unsafe=True, CC_PERCENT_FEE=-5, CC_AVG_PRICE_CANDLES_COUNT=0)
    assert reset_config() == get_default_config()
    assert dataclasses.asdict(get_config()) == DEFAULTS
