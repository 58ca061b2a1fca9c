"""SCENARIOS A.12 spec/list: registered schemas are listed in registration order, intact."""

from __future__ import annotations

from datetime import UTC, datetime

from backtestkit.actors import add_exchange, add_frame, add_sizing, add_strategy
from backtestkit.actors.core import list_exchanges, list_frames, list_sizings, list_strategies

from .harness import MockCandles


def _ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)  # type: ignore[misc]


def _nothing(symbol: str, when: datetime) -> None:
    return None


def test_exchanges() -> None:
    """spec/list/exchanges"""
    add_exchange("first", candles=MockCandles(), note="First test exchange")
    add_exchange("second", candles=MockCandles(), note="Second test exchange")
    listed = list_exchanges()
    assert [e.name for e in listed] == ["first", "second"]
    assert [e.note for e in listed] == ["First test exchange", "Second test exchange"]
    assert all(callable(e.candles.fetch) for e in listed)


def test_strategies() -> None:
    """spec/list/strategies"""
    add_strategy("a", interval="1m", get_signal=_nothing, note="first")
    add_strategy("b", interval="5m", get_signal=lambda s, w: {"position": "long"}, note="second")
    listed = list_strategies()
    assert [(s.name, s.interval, s.note) for s in listed] == [
        ("a", "1m", "first"),
        ("b", "5m", "second"),
    ]
    assert all(callable(s.get_signal) for s in listed)


def test_frames() -> None:
    """spec/list/frames"""
    add_frame("day", start=_ms(2024, 1, 1), end=_ms(2024, 1, 2), interval="1d", note="d")
    add_frame("hour", start=_ms(2024, 2, 1), end=_ms(2024, 2, 2), interval="1h", note="h")
    listed = list_frames()
    assert [(f.name, f.interval, f.note) for f in listed] == [
        ("day", "1d", "d"),
        ("hour", "1h", "h"),
    ]
    assert (listed[0].start_ms, listed[0].end_ms) == (1704067200000, 1704153600000)
    assert (listed[1].start_ms, listed[1].end_ms) == (1706745600000, 1706832000000)


def test_arrays() -> None:
    """spec/list/arrays"""
    assert list_exchanges() == []
    assert list_strategies() == []
    assert list_frames() == []


def test_exchange_note() -> None:
    """spec/list/exchange-note"""
    add_exchange("x", candles=MockCandles(), note="Exchange with detailed note for testing")
    assert list_exchanges()[0].note == "Exchange with detailed note for testing"


def test_strategy_note() -> None:
    """spec/list/strategy-note"""
    add_strategy(
        "s", interval="1m", get_signal=_nothing, note="Strategy with detailed note for testing"
    )
    assert list_strategies()[0].note == "Strategy with detailed note for testing"


def test_frame_note() -> None:
    """spec/list/frame-note"""
    add_frame(
        "f",
        start=_ms(2024, 3, 1),
        end=_ms(2024, 3, 2),
        interval="1d",
        note="Frame with detailed note for testing",
    )
    assert list_frames()[0].note == "Frame with detailed note for testing"


def test_strategy_callbacks() -> None:
    """spec/list/strategy-callbacks"""

    def on_open(*_: object) -> None: ...
    def on_close(*_: object) -> None: ...

    add_strategy(
        "s",
        interval="1m",
        get_signal=_nothing,
        callbacks={"on_open": on_open, "on_close": on_close},
    )
    callbacks = list_strategies()[0].callbacks
    assert callbacks is not None
    assert callbacks.on_open is on_open
    assert callbacks.on_close is on_close


def test_frame_callbacks() -> None:
    """spec/list/frame-callbacks"""

    def on_timeframe(*_: object) -> None: ...

    add_frame(
        "f", start=_ms(2024, 1, 1), end=_ms(2024, 1, 2), callbacks={"on_timeframe": on_timeframe}
    )
    callbacks = list_frames()[0].callbacks
    assert callbacks is not None
    assert callbacks.on_timeframe is on_timeframe


def test_sizings() -> None:
    """spec/list/sizings"""
    add_sizing("fixed", method="fixed_percentage", risk_percentage=2, note="fixed 2 %")
    add_sizing("kelly", method="kelly_criterion", kelly_multiplier=0.25, note="kelly quarter")
    add_sizing("atr", method="atr_based", risk_percentage=2, atr_multiplier=2, note="atr x2")
    listed = list_sizings()
    assert [(s.name, s.method, s.note) for s in listed] == [
        ("fixed", "fixed_percentage", "fixed 2 %"),
        ("kelly", "kelly_criterion", "kelly quarter"),
        ("atr", "atr_based", "atr x2"),
    ]


def test_sizing_callbacks() -> None:
    """spec/list/sizing-callbacks"""

    def on_calculate(*_: object) -> None: ...

    add_sizing(
        "fixed",
        method="fixed_percentage",
        risk_percentage=2,
        callbacks={"on_calculate": on_calculate},
    )
    callbacks = list_sizings()[0].callbacks
    assert callbacks is not None
    assert callbacks.on_calculate is on_calculate
