"""SCENARIOS A.10 spec/validation: invalid signals end on the error stream (SPEC 4).

MOCK, 1d frame (2 points), background run; get_signal returns the same signal on every call and
the engine's current price is P* = 42460.3333. SPEC 4 makes the header line and the set and order
of the failed rules the contract, not each line's wording, so every failed rule is recognised by
its fields and values.
"""

from __future__ import annotations

import re

import pytest

from backtestkit.actors import Closed, Signal, add_strategy
from backtestkit.bus import TickResult, listen_signal_backtest

from .harness import T0, add_day_frame, add_mock_exchange, minutes
from .spec_support import collect_errors, run_background, spec_pnl

pytestmark = pytest.mark.anyio


async def _run(signal: Signal) -> tuple[int, list[BaseException], list[TickResult]]:
    """(get_signal calls, error-stream events, non-idle results) of one background run."""
    add_mock_exchange()
    add_day_frame()
    calls: list[object] = []

    def get_signal(symbol: str, when: object) -> Signal:
        calls.append(when)
        return signal

    add_strategy("val", interval="1m", get_signal=get_signal)
    errors = collect_errors()
    results: list[TickResult] = []
    listen_signal_backtest(lambda r: results.append(r) if r.action != "idle" else None)
    await run_background(strategy="val")
    return len(calls), errors, results


def _rules(errors: list[BaseException], position: str) -> list[str]:
    """The failed-rule lines; both frame points (Jan 1 and Jan 2) fail the same way."""
    assert len(errors) == 2
    messages = [str(error) for error in errors]
    assert messages[0] == messages[1]
    header, *lines = messages[0].split("\n")
    assert header == f"Invalid signal for {position} position:"
    return lines


def _positive_rule(line: str, field: str, value: str) -> bool:
    return field in line and value in line and re.search(r"positive|> ?0\b", line) is not None


async def test_valid_long() -> None:
    """spec/validation/valid-long"""
    calls, errors, results = await _run(Signal("long", 51000, 49000, 60, price_open=50000))
    assert calls >= 1  # asserted
    # computed: P* <= 50000 => immediate entry, and P* <= SL 49000 rejects it (rule 5)
    (line,) = _rules(errors, "long")
    assert "current_price" in line and "price_stop_loss" in line and "49000" in line
    assert "42460.33" in line
    assert results == []


async def test_valid_short() -> None:
    """spec/validation/valid-short"""
    calls, errors, results = await _run(Signal("short", 49000, 51000, 60, price_open=50000))
    assert calls >= 1  # asserted
    # computed: scheduled (P* < 50000); ff activation on k=77 (high 50080.2, T0+73m); checks
    # resume at k=82 (Q2); SL 51000 reached on k=87 (T0+83m)
    assert errors == []
    assert [r.action for r in results] == ["scheduled", "closed"]
    closed = results[1]
    assert isinstance(closed, Closed)
    assert closed.close_reason == "stop_loss"
    assert closed.current_price == 51000
    assert closed.signal.scheduled_at == T0
    assert closed.signal.pending_at == T0 + minutes(73)
    assert closed.close_timestamp == T0 + minutes(83)
    assert closed.pnl.pnl_percentage == spec_pnl("short", 50000, 51000)
    assert closed.pnl.pnl_percentage == pytest.approx(-2.404204, abs=5e-7)


async def test_invalid_long_tp() -> None:
    """spec/validation/invalid-long-tp"""
    _, errors, results = await _run(Signal("long", 49000, 49500, 60, price_open=50000))
    assert any(
        "price_take_profit" in str(e) and "must be > price_open" in str(e) for e in errors
    )  # asserted
    # computed: immediate entry; rule 4 (TP <= open), then rule 5 (P* <= SL 49500)
    tp_line, sl_line = _rules(errors, "long")
    assert "price_take_profit (49000) must be > price_open (50000)" in tp_line
    assert "current_price" in sl_line and "price_stop_loss (49500)" in sl_line
    assert results == []


async def test_invalid_long_sl() -> None:
    """spec/validation/invalid-long-sl"""
    _, errors, results = await _run(Signal("long", 51000, 51000, 60, price_open=50000))
    assert any("price_stop_loss" in str(e) and "must be < price_open" in str(e) for e in errors)
    # computed: immediate entry; rule 4 (SL >= open), then rule 5 (P* <= SL 51000)
    sl_line, current_line = _rules(errors, "long")
    assert "price_stop_loss (51000) must be < price_open (50000)" in sl_line
    assert "current_price" in current_line and "price_stop_loss (51000)" in current_line
    assert results == []


async def test_invalid_short_tp() -> None:
    """spec/validation/invalid-short-tp"""
    _, errors, results = await _run(Signal("short", 51000, 51500, 60, price_open=50000))
    assert any("price_take_profit" in str(e) and "must be < price_open" in str(e) for e in errors)
    # computed: scheduled (P* < 50000); rule 4 (TP >= open), then rule 6 (open <= TP)
    tp_line, scheduled_line = _rules(errors, "short")
    assert "price_take_profit (51000) must be < price_open (50000)" in tp_line
    assert "price_open (50000)" in scheduled_line and "price_take_profit (51000)" in scheduled_line
    assert results == []


async def test_invalid_short_sl() -> None:
    """spec/validation/invalid-short-sl"""
    _, errors, results = await _run(Signal("short", 49000, 49000, 60, price_open=50000))
    assert any("price_stop_loss" in str(e) and "must be > price_open" in str(e) for e in errors)
    # computed: scheduled (P* < 50000); rule 4 (SL <= open), then rule 6 (open >= SL)
    sl_line, scheduled_line = _rules(errors, "short")
    assert "price_stop_loss (49000) must be > price_open (50000)" in sl_line
    assert "price_open (50000)" in scheduled_line and "price_stop_loss (49000)" in scheduled_line
    assert results == []


async def test_negative_price_open() -> None:
    """spec/validation/negative-price-open"""
    _, errors, results = await _run(Signal("long", 51000, 49000, 60, price_open=-50000))
    # asserted (reference wording `priceOpen must be positive`): the priceOpen positivity rule
    # computed: scheduled (P* > -50000); rules 3 (open > 0), 4 (SL < open), 6 (open <= SL) and
    # 8 (SL distance 198 % > max 100 %) fail, in that order
    positive, sl_line, scheduled_line, distance = _rules(errors, "long")
    assert _positive_rule(positive, "price_open", "-50000")
    assert "price_stop_loss (49000)" in sl_line and "price_open (-50000)" in sl_line
    assert "price_open (-50000)" in scheduled_line and "price_stop_loss (49000)" in scheduled_line
    assert "price_stop_loss (49000)" in distance and "maximum" in distance and "198" in distance
    assert results == []


async def test_negative_lifetime() -> None:
    """spec/validation/negative-lifetime"""
    _, errors, results = await _run(Signal("long", 51000, 49000, -60, price_open=50000))
    # asserted (reference wording `minuteEstimatedTime must be positive`): rule 9
    # computed: immediate entry; rule 5 (P* <= SL 49000), then rule 9 (mET > 0)
    current_line, lifetime = _rules(errors, "long")
    assert "current_price" in current_line and "price_stop_loss (49000)" in current_line
    assert _positive_rule(lifetime, "minute_estimated_time", "-60")
    assert results == []
