"""A warning repeated every frame is logged once and then counted (WarningTally)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog
from flat_market import MIN, SYMBOL, T0, flat_market

from backtestkit.actors import (
    Backtest,
    Live,
    VirtualClock,
    add_exchange,
    add_frame,
    add_strategy,
)
from backtestkit.actors.core.warning_tally import WarningTally


class RecordingLogger:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.lines.append((event, fields))


def test_first_warning_is_logged_and_repeats_are_counted() -> None:
    log = RecordingLogger()
    tally = WarningTally()
    for k in range(5):
        tally.warning(log, "tick_failed", symbol="X", when=k, error=ValueError("no candles"))
    assert log.lines == [("tick_failed", {"symbol": "X", "when": 0, "error": "no candles"})]
    tally.flush()
    assert log.lines[1] == (
        "tick_failed",
        {"symbol": "X", "count": 5, "first_when": 0, "last_when": 4, "error": "no candles"},
    )
    tally.flush()  # nothing new: nothing logged
    assert len(log.lines) == 2


def test_numbers_do_not_make_a_warning_new_but_other_text_and_types_do() -> None:
    log = RecordingLogger()
    tally = WarningTally()
    tally.warning(log, "get_signal_failed", error=ValueError("take profit 101.5 below 102"))
    tally.warning(log, "get_signal_failed", error=ValueError("take profit 99 below 1e-05"))
    tally.warning(log, "get_signal_failed", error=ValueError("boom"))
    tally.warning(log, "get_signal_failed", error=KeyError("boom"))
    tally.warning(log, "get_signal_failed", strategy="other", error=ValueError("boom"))
    assert [fields["error"] for _, fields in log.lines] == [
        "take profit 101.5 below 102",
        "boom",
        "'boom'",
        "boom",
    ]
    tally.flush()
    event, summary = log.lines[-1]
    assert (event, summary["count"], summary["error"]) == (
        "get_signal_failed",
        2,
        "take profit 99 below 1e-05",  # the last one of the kind
    )
    assert len(log.lines) == 5


def nothing(symbol: str, when: datetime) -> None:
    return None


def warnings_of(logs: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == event and e["log_level"] == "warning"]


def test_frames_after_the_data_log_one_warning_and_one_count() -> None:
    """Candles T0-10m .. T0+29m; a 5-candle VWAP exists up to T0+33m, so the 26 frames
    T0+34m .. T0+59m fail twice each (priced before get_signal, then the idle price)."""
    add_exchange("short", candles=flat_market(40))
    add_frame("hour", start=T0, end=T0 + 59 * MIN)
    add_strategy("idle", interval="1m", get_signal=nothing)
    with structlog.testing.capture_logs() as logs:
        Backtest.run_sync(SYMBOL, strategy="idle", exchange="short", frame="hour")
    for event in ("get_signal_failed", "tick_failed"):
        first, summary = warnings_of(logs, event)
        assert first["when"] == T0 + 34 * MIN
        assert (summary["count"], summary["first_when"], summary["last_when"]) == (
            26,
            T0 + 34 * MIN,
            T0 + 59 * MIN,
        )
        assert (
            summary["error"]
            == first["error"]
            == (f"ClientExchange getAveragePrice: no candles data for symbol={SYMBOL}")
        )


@pytest.mark.anyio
async def test_live_sums_up_repeated_warnings_every_hour_of_ticks(
    anyio_backend: str, tmp_path: Path
) -> None:
    """get_signal raises on each of 130 ticks: logged at ticks 1, 60 and 120; counted at the
    start of tick 60 (ticks 1-59), of tick 120 (60-119) and when the run ends (120-130)."""
    calls = 0

    async def raises_then_stops(symbol: str, when: datetime) -> None:
        nonlocal calls
        calls += 1
        if calls == 130:
            await Live.stop(SYMBOL, "raising")
        raise ValueError(f"bad input on call {calls}")

    add_exchange("day", candles=flat_market(200))
    add_strategy("raising", interval="1m", get_signal=raises_then_stops)
    with structlog.testing.capture_logs() as logs, anyio.fail_after(10):
        async for _ in Live.run(
            SYMBOL, strategy="raising", exchange="day", clock=VirtualClock(T0), state_dir=tmp_path
        ):
            pass
    lines = warnings_of(logs, "get_signal_failed")
    assert [(e.get("count"), e["error"]) for e in lines] == [
        (None, "bad input on call 1"),
        (59, "bad input on call 59"),
        (None, "bad input on call 60"),
        (60, "bad input on call 119"),
        (None, "bad input on call 120"),
        (11, "bad input on call 130"),
    ]
