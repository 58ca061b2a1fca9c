"""Errors a user can act on: Signal(...) refuses what can never be a signal, validation
messages name the Python fields and only the rules that failed, a run counts the signals it
rejected, and the CLI exits 3 when every signal was rejected and none closed."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hand_market import T0, register_market

from backtestkit.actors import Backtest, Signal, add_strategy, set_config
from backtestkit.actors.signal import SignalRejections
from backtestkit.actors.signal.validation import SignalValidationError, validate_signal
from backtestkit.adapters.cli import main
from backtestkit.bus import SignalRow

CLI = [sys.executable, "-m", "backtestkit.adapters.cli"]
CSV_HEADER = "timestamp,open,high,low,close,volume\n"
SCRIPT = """\
from datetime import UTC, datetime

from backtestkit.actors import Signal, add_exchange, add_frame, add_strategy
from backtestkit.adapters.candles import CsvCandles

add_exchange("csv", candles=CsvCandles("candles.csv"))
add_frame("aug", start=datetime(2026, 8, 17, tzinfo=UTC), end=datetime(2026, 8, 18, tzinfo=UTC))
add_strategy("inverted", interval="5m", get_signal=lambda s, w: Signal("long", 99.0, 98.0, 60))
"""
INVERTED = (
    "Invalid signal for long position:\n"
    "Long: price_take_profit (99.0) must be > price_open (100.0)\n"
    "Long: current_price (100.0) >= price_take_profit (99.0)"
)


def _row(position: str, open_: float, tp: float, sl: float, minutes: int = 60) -> SignalRow:
    return SignalRow(
        id="s1", position=position, price_open=open_, price_take_profit=tp,  # type: ignore[arg-type]
        price_stop_loss=sl, minute_estimated_time=minutes, note="", scheduled_at=T0,
        pending_at=T0, symbol="AAA", exchange_name="hand", strategy_name="plan",
        is_scheduled=False,
    )  # fmt: skip


def _message(row: SignalRow, current: float) -> str:
    with pytest.raises(SignalValidationError) as caught:
        validate_signal(row, current, scheduled=False)
    return str(caught.value)


# --- Signal(...) at construction ------------------------------------------------------------


def test_signal_buy_is_refused_where_it_is_built() -> None:
    with pytest.raises(SignalValidationError) as caught:
        Signal("buy", 101.0, 99.0, 60)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "Invalid signal for buy position:\nposition must be 'long' or 'short', got 'buy'"
    )
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "line"),
    [
        ({"price_take_profit": math.nan}, "price_take_profit must be a finite number, got nan"),
        ({"price_stop_loss": math.inf}, "price_stop_loss must be a finite number, got inf"),
        ({"price_open": -math.inf}, "price_open must be a finite number, got -inf"),
        ({"price_stop_loss": "99"}, "price_stop_loss must be a finite number, got '99'"),
    ],
)
def test_non_finite_prices_are_refused_where_built(kwargs: dict[str, object], line: str) -> None:
    fields: dict[str, object] = {"price_take_profit": 101.0, "price_stop_loss": 99.0}
    with pytest.raises(SignalValidationError) as caught:
        Signal("short", minute_estimated_time=60, **{**fields, **kwargs})  # type: ignore[arg-type]
    assert str(caught.value) == f"Invalid signal for short position:\n{line}"


def test_every_construction_problem_at_once() -> None:
    with pytest.raises(SignalValidationError) as caught:
        Signal("sell", math.nan, math.inf, 60, price_open=math.nan)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "Invalid signal for sell position:\n"
        "position must be 'long' or 'short', got 'sell'\n"
        "price_open must be a finite number, got nan\n"
        "price_take_profit must be a finite number, got nan\n"
        "price_stop_loss must be a finite number, got inf"
    )


def test_valid_signals_still_build() -> None:
    assert Signal("long", 101, 99, 60).price_open is None
    assert Signal("short", 99.0, 101.0, 60, price_open=100).price_open == 100


# --- validation messages ----------------------------------------------------------------------


def test_take_profit_below_a_long_entry_is_not_also_too_close() -> None:
    """The issue's example: a long whose take-profit is 1 % below the entry used to add
    "TakeProfit too close to priceOpen (-1.000%)"; only the failed rules remain."""
    assert _message(_row("long", 100.0, 99.0, 98.0), 100.0) == INVERTED


def test_stop_loss_above_a_long_entry_is_not_also_too_close() -> None:
    assert _message(_row("long", 100.0, 102.0, 100.2), 100.0) == (
        "Invalid signal for long position:\n"
        "Long: price_stop_loss (100.2) must be < price_open (100.0)\n"
        "Long: current_price (100.0) <= price_stop_loss (100.2)"
    )


def test_a_take_profit_too_close_names_the_setting() -> None:
    # (100.3 - 100) / 100 * 100 = 0.2999999999999972 < 0.5
    assert _message(_row("long", 100.0, 100.3, 98.0), 100.0) == (
        "Invalid signal for long position:\n"
        "Long: price_take_profit (100.3) is 0.300% from price_open (100.0), closer than the "
        "minimum 0.5% (CC_MIN_TAKEPROFIT_DISTANCE_PERCENT)"
    )


def test_short_distances_and_lifetime_in_python_names() -> None:
    # SL (100 - 100.2... short: (sl - open) / open: 0.2 % < 0.5; 25 % > 20; lifetime 2000 > 1440
    assert _message(_row("short", 100.0, 98.0, 100.2, 2000), 100.0) == (
        "Invalid signal for short position:\n"
        "Short: price_stop_loss (100.2) is 0.200% from price_open (100.0), closer than the "
        "minimum 0.5% (CC_MIN_STOPLOSS_DISTANCE_PERCENT)\n"
        "minute_estimated_time (2000) must be <= 1440 (CC_MAX_SIGNAL_LIFETIME_MINUTES)"
    )
    assert _message(_row("short", 100.0, 98.0, 125.0), 100.0) == (
        "Invalid signal for short position:\n"
        "Short: price_stop_loss (125.0) is 25.000% from price_open (100.0), farther than the "
        "maximum 20% (CC_MAX_STOPLOSS_DISTANCE_PERCENT)"
    )


# --- a run counts what it rejected ------------------------------------------------------------


def test_a_run_counts_its_rejected_signals() -> None:
    """Hand market AAA (flat 100): a strategy whose every signal has its take-profit below the
    entry; each of its calls is one rejection, the first three reasons are kept."""
    register_market()
    calls: list[object] = []

    def inverted(symbol: str, when: object) -> Signal:
        calls.append(when)
        return Signal("long", 99.0, 98.0, 60)

    add_strategy("inverted", interval="1m", get_signal=inverted)
    assert Backtest.run_sync("AAA", strategy="inverted", exchange="hand", frame="f") == []
    rejections = Backtest.get_rejections("AAA", "inverted")
    assert rejections.count == len(calls) == 141  # minutes 10..150 of the frame, inclusive
    stamp = "Invalid signal for long position: " + INVERTED.split("\n", 1)[1].replace("\n", "; ")
    assert rejections.first == (
        f"2026-01-01 00:10 UTC {stamp}",
        f"2026-01-01 00:11 UTC {stamp}",
        f"2026-01-01 00:12 UTC {stamp}",
    )
    assert rejections.summary().splitlines()[0] == "signals rejected: 141"
    set_config(CC_MIN_TAKEPROFIT_DISTANCE_PERCENT=0.5)  # a new run starts a new count
    Backtest.run_sync("AAA", strategy="plan", exchange="hand", frame="f")
    assert Backtest.get_rejections("AAA", "plan") == SignalRejections(0, ())


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "script.py").write_text(SCRIPT)
    start = 1786924800000 - 60 * 60_000
    rows = [f"{start + i * 60_000},100,100.5,99.5,100,1\n" for i in range(26 * 60)]
    (tmp_path / "candles.csv").write_text(CSV_HEADER + "".join(rows))
    return tmp_path


def _backtest(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "backtest", "script.py", "--symbol", "BTCUSD", "--strategy", "inverted",
         "--exchange", "csv", "--frame", "aug", *extra],
        cwd=project, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "BACKTESTKIT_LOG_LEVEL": "error"},
    )  # fmt: skip


def test_cli_exits_3_when_every_signal_was_rejected(project: Path) -> None:
    """2026-08-17 00:00 .. 2026-08-18 00:00 every 5 minutes: 289 calls, 289 rejections."""
    done = _backtest(project)
    assert done.returncode == 3, done.stderr
    first = "2026-08-17 00:00 UTC Invalid signal for long position: " + INVERTED.split(
        "\n", 1
    )[1].replace("\n", "; ")
    assert done.stderr == (
        f"backtestkit: 289 signals rejected and none closed; first: {first} "
        "(--allow-rejected exits 0)\n"
    )
    assert "signals rejected: 289" in done.stdout
    assert f"\n  {first}\n" in done.stdout  # each reason on one line
    allowed = _backtest(project, "--allow-rejected", "--quiet")
    assert allowed.returncode == 0 and allowed.stdout == "" and allowed.stderr == ""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"backtestkit {version('backtestkit')}\n"
