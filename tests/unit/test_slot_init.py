"""bus.slot_init: the descriptor-writing __init__ builds the same frozen messages."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from backtestkit.bus import Active, Closed, Idle, Pnl, SignalRow
from backtestkit.bus.slot_init import builder, slot_init

ROW = {
    "id": "s:BTC:60000",
    "position": "long",
    "price_open": 100.0,
    "price_take_profit": 101.0,
    "price_stop_loss": 99.0,
    "minute_estimated_time": 240,
    "note": "",
    "scheduled_at": 60_000,
    "pending_at": 60_000,
    "symbol": "BTC",
    "exchange_name": "x",
    "strategy_name": "s",
    "is_scheduled": False,
}


def test_results_keep_their_fields_defaults_and_frozenness() -> None:
    row = SignalRow(**ROW)
    assert SignalRow.__init__.__qualname__ == "SignalRow.__init__"
    assert "_set_id" in SignalRow.__init__.__globals__  # the descriptor-writing one
    assert dataclasses.asdict(row) == ROW
    active = Active(
        symbol="BTC",
        strategy_name="s",
        exchange_name="x",
        current_price=1.5,
        backtest=True,
        signal=row,
    )
    assert (active.action, active.percent_tp, active.percent_sl) == ("active", 0.0, 0.0)
    idle = Idle(
        symbol="BTC", strategy_name="s", exchange_name="x", current_price=2.0, backtest=False
    )
    assert (idle.action, idle.signal) == ("idle", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.price_open = 1.0  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(active)) == active
    assert dataclasses.replace(row, pending_at=120_000).pending_at == 120_000


def test_missing_and_positional_arguments_are_refused_as_before() -> None:
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'price_close'"):
        Pnl(pnl_percentage=1.0, price_open=2.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="positional"):
        Pnl(1.0, 2.0, 3.0)  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        Closed(bogus=1)  # type: ignore[call-arg]


def test_a_class_it_cannot_speed_up_keeps_its_generated_init() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Checked:
        price: float

        def __post_init__(self) -> None:
            if self.price < 0:
                raise ValueError("negative")

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Listed:
        items: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class Plain:
        price: float

    for cls in (Checked, Listed, Plain):
        generated = cls.__init__
        assert slot_init(cls).__init__ is generated
    with pytest.raises(ValueError, match="negative"):
        Checked(price=-1.0)
    assert Listed().items == [] and Listed().items is not Listed().items


def test_builder_takes_free_fields_by_position_and_fixes_the_rest() -> None:
    identity = {"symbol": "BTC", "strategy_name": "s", "exchange_name": "x", "backtest": True}
    row = SignalRow(**ROW)
    active = builder(Active, "signal", "current_price", "percent_tp", **identity)
    built = active(row, 1.5, 20.0)
    assert built == Active(**identity, current_price=1.5, signal=row, percent_tp=20.0)
    assert (type(built), built.action, built.percent_sl) == (Active, "active", 0.0)
    rows = builder(SignalRow, *ROW)  # filled as a mutable draft, then turned into a SignalRow
    drafted = rows(*ROW.values())
    assert drafted == row and type(drafted) is SignalRow and dataclasses.asdict(drafted) == ROW
    assert pickle.loads(pickle.dumps(drafted)) == row and hash(drafted) == hash(row)
    with pytest.raises(dataclasses.FrozenInstanceError):
        drafted.price_open = 1.0  # type: ignore[misc]
    assert dataclasses.replace(drafted, note="x").note == "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.current_price = 2.0  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'percent_tp'"):
        active(row, 1.5)


def test_builder_refuses_fields_left_unset_unknown_or_given_twice() -> None:
    with pytest.raises(TypeError, match="Pnl: each field must be free, fixed or defaulted once"):
        builder(Pnl, "pnl_percentage", "price_open")
    with pytest.raises(TypeError, match="Pnl: each field must be free, fixed or defaulted once"):
        builder(Pnl, "pnl_percentage", "price_open", "price_close", price_open=1.0)
    with pytest.raises(TypeError, match="Pnl has no field\\(s\\) bogus"):
        builder(Pnl, "pnl_percentage", "price_open", "price_close", bogus=1)


def test_builder_of_a_class_it_cannot_speed_up_calls_the_constructor() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Checked:
        symbol: str
        price: float

        def __post_init__(self) -> None:
            if self.price < 0:
                raise ValueError("negative")

    checked = builder(Checked, "price", symbol="BTC")
    assert checked(2.0) == Checked(symbol="BTC", price=2.0)
    with pytest.raises(ValueError, match="negative"):
        checked(-1.0)
