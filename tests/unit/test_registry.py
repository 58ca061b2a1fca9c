"""Schema registry: every add_* validation names the kind, the name and the problem."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from backtestkit.actors import (
    RiskValidation,
    add_exchange,
    add_frame,
    add_risk,
    add_sizing,
    add_strategy,
    add_walker,
)
from backtestkit.actors.core import ExchangeCallbacks, StrategyCallbacks, registry, reset_registry
from backtestkit.adapters.candles import MemoryCandles

JAN1 = datetime(2024, 1, 1, tzinfo=UTC)
JAN2 = datetime(2024, 1, 2, tzinfo=UTC)
CANDLES = MemoryCandles(
    {
        "BTCUSDT": {
            "timestamp": [1_704_067_200_000],
            "open": [1.0],
            "high": [1.0],
            "low": [1.0],
            "close": [1.0],
            "volume": [1.0],
        }
    }
)


def no_signal(symbol: str, when: datetime) -> None:
    return None


@contextmanager
def raises(*fragments: str) -> Iterator[None]:
    """pytest.raises(ValueError) whose message must contain every fragment."""
    with pytest.raises(ValueError) as info:
        yield
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


# -- happy paths ----------------------------------------------------------------------------


def test_registration_keeps_order_and_normalises() -> None:
    first = add_strategy("a", interval="1m", get_signal=no_signal, risk="r1")
    add_strategy("b", interval="1h", get_signal=no_signal, risk=["r1", "r2"])
    assert list(registry.strategies) == ["a", "b"]
    assert registry.strategy("a") is first
    assert first.risk_names == ("r1",)
    assert registry.strategy("b").risk_names == ("r1", "r2")
    assert add_strategy("c", interval="5m", get_signal=no_signal).risk_names == ()


def test_frame_datetimes_become_epoch_ms() -> None:
    frame = add_frame("f", start=JAN1, end=JAN2, interval="1d")
    assert frame.start_ms == 1_704_067_200_000
    assert frame.end_ms == 1_704_067_200_000 + 86_400_000
    other_zone = timezone(timedelta(hours=3))
    shifted = add_frame("g", start=datetime(2024, 1, 1, 3, tzinfo=other_zone), end=JAN2)
    assert shifted.start_ms == 1_704_067_200_000
    assert add_frame("h", start=1_000, end=2_000).start_ms == 1_000


def test_callbacks_dict_becomes_dataclass() -> None:
    def on_open(*args: object) -> None:
        pass

    schema = add_strategy("s", interval="1m", get_signal=no_signal, callbacks={"on_open": on_open})
    assert schema.callbacks == StrategyCallbacks(on_open=on_open)
    exchange = add_exchange(
        "x", candles=CANDLES, callbacks=ExchangeCallbacks(on_candle_data=on_open)
    )
    assert exchange.callbacks is not None
    assert exchange.callbacks.on_candle_data is on_open


def test_risk_validations_are_wrapped() -> None:
    def check(payload: object) -> None:
        pass

    noted = RiskValidation(check, note="why")
    risk = add_risk("r", validations=[check, noted], max_concurrent_positions=0)
    assert risk.validations == (RiskValidation(check), noted)
    assert risk.max_concurrent_positions == 0


def test_reset_registry_forgets_everything() -> None:
    add_strategy("s", interval="1m", get_signal=no_signal)
    add_exchange("x", candles=CANDLES)
    reset_registry()
    assert registry.strategies == {}
    assert registry.exchanges == {}
    add_strategy("s", interval="1m", get_signal=no_signal)  # the name is free again


# -- duplicates and unknown names -----------------------------------------------------------

REGISTER = {
    "strategy": lambda name: add_strategy(name, interval="1m", get_signal=no_signal),
    "exchange": lambda name: add_exchange(name, candles=CANDLES),
    "frame": lambda name: add_frame(name, start=JAN1, end=JAN2),
    "risk": lambda name: add_risk(name, validations=[]),
    "sizing": lambda name: add_sizing(name, method="kelly_criterion"),
    "walker": lambda name: add_walker(name, strategies=["s"], exchange="x", frame="f"),
}
PLURAL = {
    "strategy": "strategies",
    "exchange": "exchanges",
    "frame": "frames",
    "risk": "risks",
    "sizing": "sizings",
    "walker": "walkers",
}


@pytest.mark.parametrize("kind", list(REGISTER))
def test_duplicate_name_fails(kind: str) -> None:
    REGISTER[kind]("dup")
    with raises(kind, "'dup'", "already exists"):
        REGISTER[kind]("dup")


@pytest.mark.parametrize("kind", list(REGISTER))
def test_unknown_name_lists_registered_names(kind: str) -> None:
    REGISTER[kind]("alpha")
    REGISTER[kind]("beta")
    lookup = getattr(registry, kind)
    with raises(kind, "'gamma'", "not found", f"registered {PLURAL[kind]}", "'alpha'", "'beta'"):
        lookup("gamma")


@pytest.mark.parametrize("kind", list(REGISTER))
def test_unknown_name_with_nothing_registered(kind: str) -> None:
    with raises(kind, "'ghost'", "not found", "none"):
        getattr(registry, kind)("ghost")


def test_unknown_risk_of_a_strategy_names_the_strategy() -> None:
    add_risk("known")
    strategy = add_strategy("s", interval="1m", get_signal=no_signal, risk=["known", "missing"])
    with raises("risk", "'missing'", "not found", "'known'", "strategy 's'"):
        registry.strategy_risks(strategy)


@pytest.mark.parametrize("kind", list(REGISTER))
@pytest.mark.parametrize("name", ["", None, 7])
def test_name_must_be_non_empty_string(kind: str, name: object) -> None:
    with raises(kind, "name must be a non-empty string"):
        REGISTER[kind](name)


# -- strategy -------------------------------------------------------------------------------


@pytest.mark.parametrize("interval", ["2h", "4h", "1d", "2m", "", "1M"])
def test_strategy_interval_must_be_a_throttle_interval(interval: str) -> None:
    with raises("strategy 's'", "unknown interval", repr(interval), "1m, 3m, 5m, 15m, 30m, 1h"):
        add_strategy("s", interval=interval, get_signal=no_signal)


@pytest.mark.parametrize("interval", ["1m", "3m", "5m", "15m", "30m", "1h"])
def test_strategy_accepts_throttle_intervals(interval: str) -> None:
    assert add_strategy("s", interval=interval, get_signal=no_signal).interval == interval


@pytest.mark.parametrize("get_signal", [None, "fn", 42])
def test_strategy_get_signal_must_be_callable(get_signal: object) -> None:
    with raises("strategy 's'", "get_signal must be callable"):
        add_strategy("s", interval="1m", get_signal=get_signal)  # type: ignore[arg-type]


@pytest.mark.parametrize("risk", [5, [1], ["a", ""], ("a", None), {"a": 1}])
def test_strategy_risk_must_be_names(risk: object) -> None:
    with raises("strategy 's'", "risk must be a name or a list of names"):
        add_strategy("s", interval="1m", get_signal=no_signal, risk=risk)  # type: ignore[arg-type]


def test_strategy_risk_list_without_duplicates() -> None:
    with raises("strategy 's'", "duplicates"):
        add_strategy("s", interval="1m", get_signal=no_signal, risk=["a", "b", "a"])


@pytest.mark.parametrize("sizing", ["", 3])
def test_strategy_sizing_must_be_a_name(sizing: object) -> None:
    with raises("strategy 's'", "sizing"):
        add_strategy("s", interval="1m", get_signal=no_signal, sizing=sizing)  # type: ignore[arg-type]


def test_strategy_callbacks_unknown_key() -> None:
    with raises("strategy 's'", "unknown callback(s) on_bogus", "allowed: on_tick, on_open"):
        add_strategy("s", interval="1m", get_signal=no_signal, callbacks={"on_bogus": print})


def test_strategy_callbacks_must_be_callable() -> None:
    with raises("strategy 's'", "callback on_close must be callable"):
        add_strategy("s", interval="1m", get_signal=no_signal, callbacks={"on_close": 1})


def test_strategy_callbacks_wrong_type() -> None:
    with raises("strategy 's'", "callbacks must be StrategyCallbacks or a dict"):
        add_strategy("s", interval="1m", get_signal=no_signal, callbacks=[print])  # type: ignore[arg-type]


# -- exchange -------------------------------------------------------------------------------


def test_exchange_candles_must_have_fetch() -> None:
    with raises("exchange 'x'", "CandleSource with fetch()", "list"):
        add_exchange("x", candles=[])  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["format_price", "format_quantity"])
def test_exchange_formatters_must_be_callable(field: str) -> None:
    with raises("exchange 'x'", f"{field} must be callable"):
        add_exchange("x", candles=CANDLES, **{field: "0.00"})  # type: ignore[arg-type]


def test_exchange_callbacks_unknown_key() -> None:
    with raises("exchange 'x'", "unknown callback(s) on_tick", "allowed: on_candle_data"):
        add_exchange("x", candles=CANDLES, callbacks={"on_tick": print})


# -- frame ----------------------------------------------------------------------------------


@pytest.mark.parametrize("interval", ["2m", "1w", "", "24h"])
def test_frame_interval_must_be_known(interval: str) -> None:
    with raises("frame 'f'", "unknown interval", repr(interval), "12h", "1d", "3d"):
        add_frame("f", start=JAN1, end=JAN2, interval=interval)


@pytest.mark.parametrize("interval", ["1m", "8h", "12h", "1d", "3d"])
def test_frame_accepts_frame_intervals(interval: str) -> None:
    assert add_frame("f", start=JAN1, end=JAN2, interval=interval).interval == interval


@pytest.mark.parametrize("start,end", [(JAN1, JAN1), (JAN2, JAN1)])
def test_frame_start_must_be_before_end(start: datetime, end: datetime) -> None:
    with raises("frame 'f'", "must be before end"):
        add_frame("f", start=start, end=end)


@pytest.mark.parametrize("field", ["start", "end"])
def test_frame_rejects_naive_datetimes(field: str) -> None:
    bounds = {"start": JAN1, "end": JAN2, field: datetime(2024, 1, 1, 12)}
    with raises("frame 'f'", f"{field} must be timezone-aware", "naive"):
        add_frame("f", **bounds)


@pytest.mark.parametrize("value", ["2024-01-01", 1.5, True])
def test_frame_bounds_must_be_datetime_or_ms(value: object) -> None:
    with raises("frame 'f'", "start must be a datetime or epoch milliseconds"):
        add_frame("f", start=value, end=JAN2)  # type: ignore[arg-type]


def test_frame_callbacks_unknown_key() -> None:
    with raises("frame 'f'", "unknown callback(s) on_frame", "allowed: on_timeframe"):
        add_frame("f", start=JAN1, end=JAN2, callbacks={"on_frame": print})


# -- risk -----------------------------------------------------------------------------------


@pytest.mark.parametrize("validations", [[1], [print, "x"]])
def test_risk_validations_must_be_callables(validations: list[Any]) -> None:
    index = len(validations) - 1
    with raises("risk 'r'", f"validations[{index}] must be a callable or RiskValidation"):
        add_risk("r", validations=validations)


def test_risk_validation_object_must_hold_a_callable() -> None:
    with raises("risk 'r'", "validations[0].validate must be callable"):
        add_risk("r", validations=[RiskValidation("not callable")])


@pytest.mark.parametrize("value", [-1, 1.5, True, "3"])
def test_risk_max_concurrent_positions(value: object) -> None:
    with raises("risk 'r'", "max_concurrent_positions must be an integer >= 0"):
        add_risk("r", max_concurrent_positions=value)  # type: ignore[arg-type]


def test_risk_callbacks_unknown_key() -> None:
    with raises("risk 'r'", "unknown callback(s) on_reject", "on_rejected"):
        add_risk("r", callbacks={"on_reject": print})


# -- sizing ---------------------------------------------------------------------------------


def test_sizing_unknown_method() -> None:
    with raises("sizing 'z'", "unknown method 'martingale'", "fixed_percentage"):
        add_sizing("z", method="martingale")


@pytest.mark.parametrize("method", ["fixed_percentage", "atr_based"])
def test_sizing_risk_percentage_required(method: str) -> None:
    with raises("sizing 'z'", f"risk_percentage is required for method {method}"):
        add_sizing("z", method=method)


@pytest.mark.parametrize(
    "field,value",
    [
        ("risk_percentage", 0),
        ("risk_percentage", -1),
        ("risk_percentage", math.nan),
        ("kelly_multiplier", -0.1),
        ("atr_multiplier", 0),
        ("max_position_percentage", -5),
        ("min_position_size", -1),
        ("max_position_size", 0),
        ("max_position_size", math.inf),
        ("risk_percentage", "2"),
    ],
)
def test_sizing_bad_numbers(field: str, value: object) -> None:
    params: dict[str, Any] = {"method": "fixed_percentage", "risk_percentage": 1.0, field: value}
    with raises("sizing 'z'", f"{field} must be a finite number"):
        add_sizing("z", **params)


def test_sizing_zero_allowed_where_meaningful() -> None:
    schema = add_sizing("z", method="kelly_criterion", kelly_multiplier=0, min_position_size=0)
    assert schema.kelly_multiplier == 0
    assert schema.min_position_size == 0


# -- walker ---------------------------------------------------------------------------------


@pytest.mark.parametrize("strategies", [[], (), "s", None])
def test_walker_needs_strategies(strategies: object) -> None:
    with raises("walker 'w'", "strategies must be a non-empty list"):
        add_walker("w", strategies=strategies, exchange="x", frame="f")  # type: ignore[arg-type]


@pytest.mark.parametrize("strategies", [["a", ""], ["a", 2]])
def test_walker_strategies_must_be_names(strategies: list[Any]) -> None:
    with raises("walker 'w'", "strategies must be strategy names"):
        add_walker("w", strategies=strategies, exchange="x", frame="f")


def test_walker_strategies_without_duplicates() -> None:
    with raises("walker 'w'", "duplicates"):
        add_walker("w", strategies=["a", "a"], exchange="x", frame="f")


@pytest.mark.parametrize("field", ["exchange", "frame"])
def test_walker_exchange_and_frame_names(field: str) -> None:
    names = {"exchange": "x", "frame": "f", field: ""}
    with raises("walker 'w'", f"{field} must be a name"):
        add_walker("w", strategies=["a"], **names)


def test_walker_unknown_metric() -> None:
    with raises("walker 'w'", "unknown metric 'profit'", "sharpe_ratio", "total_trades"):
        add_walker("w", strategies=["a"], exchange="x", frame="f", metric="profit")


@pytest.mark.parametrize(
    "metric",
    [
        "sharpe_ratio", "annualized_sharpe_ratio", "win_rate", "total_pnl", "avg_pnl",
        "certainty_ratio", "expected_yearly_returns", "max_drawdown", "total_trades",
    ],
)  # fmt: skip
def test_walker_metrics(metric: str) -> None:
    schema = add_walker("w", strategies=["a"], exchange="x", frame="f", metric=metric)
    assert schema.metric == metric
    assert add_walker("v", strategies=["a"], exchange="x", frame="f").metric == "sharpe_ratio"


def test_walker_callbacks_unknown_key() -> None:
    with raises("walker 'w'", "unknown callback(s) on_done", "on_complete"):
        add_walker("w", strategies=["a"], exchange="x", frame="f", callbacks={"on_done": print})


def test_sizing_callbacks_unknown_key() -> None:
    with raises("sizing 'z'", "unknown callback(s) on_size", "on_calculate"):
        add_sizing("z", method="kelly_criterion", callbacks={"on_size": print})
