"""validate_signal's at-once check (plainly_valid) agrees with the rule-by-rule check: it
accepts only rows that break no SPEC 4 rule, and every such row with float prices, so the fast
path can never let an invalid signal through nor change which valid signals open (int prices
and the like go through the rules)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtestkit.actors.core import GlobalConfig
from backtestkit.actors.signal.validation import plainly_valid, rule_failures
from backtestkit.bus import SignalRow

T0 = 1_704_067_200_000
# distances from the entry, in percent: both sides of every rule's edge (0.5 % minimum
# take-profit and stop-loss distance, 20 % maximum stop-loss distance by default)
offsets = st.one_of(
    st.sampled_from([-25.0, -20.0, -2.0, -0.5, -0.4, 0.0, 0.4, 0.5, 0.6, 2.0, 20.0, 25.0]),
    st.floats(min_value=-30.0, max_value=30.0),
)
odd_prices = st.sampled_from([float("nan"), float("inf"), 0.0, -1.0, 100])  # 100: an int


def _price(entry: float, offset: float) -> float:
    return entry * (1 + offset / 100)


configs = st.builds(
    lambda min_tp, min_sl, max_sl, life: dataclasses.replace(
        GlobalConfig(),
        CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=min_tp,
        CC_MIN_STOPLOSS_DISTANCE_PERCENT=min_sl,
        CC_MAX_STOPLOSS_DISTANCE_PERCENT=max_sl,
        CC_MAX_SIGNAL_LIFETIME_MINUTES=life,
    ),
    st.sampled_from([0, 0.5, 2.0]),
    st.sampled_from([0, 0.5, 2.0]),
    st.sampled_from([0, 20, 40]),
    st.sampled_from([0, 60, 1440]),
)


def _row(
    position: str,
    price_open: float,
    take_profit: float,
    stop_loss: float,
    minutes: int,
    *,
    scheduled: bool = False,
    symbol: str = "BTCUSDT",
) -> SignalRow:
    return SignalRow(
        id="s:BTCUSDT:1",
        position=position,  # type: ignore[arg-type]
        price_open=price_open,
        price_take_profit=take_profit,
        price_stop_loss=stop_loss,
        minute_estimated_time=minutes,
        note="",
        scheduled_at=T0,
        pending_at=T0,
        symbol=symbol,
        exchange_name="x",
        strategy_name="s",
        is_scheduled=scheduled,
    )


@settings(max_examples=3000, deadline=None)
@given(
    position=st.sampled_from(["long", "long", "short", "short", "flat"]),
    entry=st.sampled_from([100.0, 0.5, 42_000.0]),
    tp_offset=offsets,
    sl_offset=offsets,
    current_offset=offsets,
    signs=st.tuples(*[st.sampled_from([1, 1, 1, -1])] * 3),
    odd=st.one_of(st.none(), st.tuples(st.integers(0, 3), odd_prices)),
    minutes=st.sampled_from([1, 60, 1440, 1441, 0, -1, True]),
    scheduled=st.booleans(),
    symbol=st.sampled_from(["BTCUSDT", "BTCUSDT", "BTCUSDT", ""]),
    config=configs,
)
def test_the_fast_check_accepts_exactly_what_the_rules_accept(
    position: str,
    entry: float,
    tp_offset: float,
    sl_offset: float,
    current_offset: float,
    signs: tuple[int, int, int],
    odd: tuple[int, float] | None,
    minutes: int,
    scheduled: bool,
    symbol: str,
    config: GlobalConfig,
) -> None:
    side = 1 if position == "long" else -1  # mostly the right side of the entry, not always
    tp_offset = side * signs[0] * abs(tp_offset)
    sl_offset = -side * signs[1] * abs(sl_offset)
    current_offset = signs[2] * current_offset / 10
    values = [entry, _price(entry, tp_offset), _price(entry, sl_offset)]
    values.append(_price(entry, current_offset))
    if odd is not None:  # one price NaN, infinite, zero, negative or an int
        values[odd[0]] = odd[1]
    price_open, take_profit, stop_loss, current = values
    row = _row(
        position, price_open, take_profit, stop_loss, minutes, scheduled=scheduled, symbol=symbol
    )
    try:
        failures = rule_failures(row, current, scheduled, config)
    except ZeroDivisionError:  # an entry at 0 is refused by the rules' own arithmetic
        failures = ["priceOpen must be > 0"]
    fast = plainly_valid(row, current, scheduled, config)
    if fast:
        assert failures == []  # never lets a broken rule through
    all_float = all(type(v) is float for v in (price_open, take_profit, stop_loss, current))
    if all_float and type(minutes) is int:
        assert fast == (not failures)  # and decides every plain float row itself


def test_a_typical_signal_takes_the_fast_path() -> None:
    row = _row("long", 100.0, 101.0, 99.3, 240)
    assert plainly_valid(row, 100.0, False, GlobalConfig())
    assert not plainly_valid(
        dataclasses.replace(row, price_stop_loss=99.6), 100.0, False, GlobalConfig()
    )  # 0.4 % < the 0.5 % minimum stop-loss distance


EDGES = [  # (position, open, take-profit, stop-loss, current, scheduled, minutes)
    ("long", 100.0, 101.0, 99.0, 99.0, False, 60),  # current at the stop-loss
    ("long", 100.0, 101.0, 99.0, 101.0, False, 60),  # current at the take-profit
    ("long", 100.0, 100.0, 99.0, 100.0, False, 60),  # take-profit at the entry
    ("long", 100.0, 101.0, 100.0, 100.0, False, 60),  # stop-loss at the entry
    ("short", 100.0, 99.0, 101.0, 101.0, False, 60),  # current at the stop-loss
    ("short", 100.0, 99.0, 100.0, 100.0, False, 60),  # stop-loss at the entry
    ("short", 100.0, 100.0, 101.0, 100.0, False, 60),  # take-profit at the entry
    ("long", 100.0, 100.5, 99.0, 100.0, False, 60),  # take-profit exactly 0.5 % away
    ("long", 100.0, 101.0, 99.5, 100.0, False, 60),  # stop-loss exactly 0.5 % away
    ("long", 100.0, 101.0, 80.0, 100.0, False, 60),  # stop-loss exactly 20 % away
    ("short", 100.0, 99.0, 120.0, 100.0, False, 60),  # stop-loss exactly 20 % away
    ("long", 100.0, 101.0, 99.0, 100.0, False, 1440),  # the longest lifetime allowed
    ("long", 100.0, 101.0, 99.0, 100.0, False, 1441),  # one minute longer
    ("long", 100.0, 101.0, 99.0, 99.0, True, 60),  # scheduled: the entry decides, not current
    ("short", 100.0, 99.0, 101.0, 102.0, True, 60),
]


@pytest.mark.parametrize(("position", "entry", "tp", "sl", "current", "scheduled", "met"), EDGES)
def test_the_fast_check_at_every_edge(
    position: str,
    entry: float,
    tp: float,
    sl: float,
    current: float,
    scheduled: bool,
    met: int,
) -> None:
    row = _row(position, entry, tp, sl, met, scheduled=scheduled)
    config = GlobalConfig()
    failures = rule_failures(row, current, scheduled, config)
    assert plainly_valid(row, current, scheduled, config) == (not failures)
