"""Backtest statistics (SPEC 9.1), JS formatting (SPEC 10.1) and the backtest report (SPEC 10.2).

The golden tests rebuild the closed results recorded from the reference engine
(tests/golden/*.json) and require every statistic to match bit for bit and the report to match
character for character.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from backtestkit.actors.core.config import reset_config, set_config
from backtestkit.actors.reports import BacktestStatistics
from backtestkit.actors.reports.backtest import backtest_report
from backtestkit.actors.reports.columns import (
    BACKTEST_COLUMNS,
    Column,
    markdown_table,
    validate_columns,
)
from backtestkit.actors.reports.formatting import (
    iso_ms,
    js_round,
    price_usd,
    signed,
    to_fixed,
)
from backtestkit.actors.reports.statistics import backtest_statistics
from backtestkit.bus.results import Closed, Pnl, SignalRow

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SINGLE_STRATEGY = [
    "sma-cross",
    "scheduled-limit",
    "always-long",
    "risky-long",
    *(f"fuzz-{seed}" for seed in range(1, 7)),
]
METRICS = {
    "winRate": "win_rate",
    "avgPnl": "avg_pnl",
    "totalPnl": "total_pnl",
    "stdDev": "std_dev",
    "sharpeRatio": "sharpe_ratio",
    "annualizedSharpeRatio": "annualized_sharpe_ratio",
    "certaintyRatio": "certainty_ratio",
    "expectedYearlyReturns": "expected_yearly_returns",
}
MIN = 60_000
T0 = 1_521_810_000_000  # 2018-03-23T13:00:00.000Z


# --- helpers ----------------------------------------------------------------------------------


def closed_from_fixture(raw: dict[str, Any]) -> Closed:
    s = raw["signal"]
    signal = SignalRow(
        id=s["id"],
        position=s["position"],
        price_open=float(s["priceOpen"]),
        price_take_profit=float(s["priceTakeProfit"]),
        price_stop_loss=float(s["priceStopLoss"]),
        minute_estimated_time=s["minuteEstimatedTime"],
        note=s["note"],
        scheduled_at=s["scheduledAt"],
        pending_at=s["pendingAt"],
        symbol=s["symbol"],
        exchange_name=s["exchangeName"],
        strategy_name=s["strategyName"],
        is_scheduled=s["_isScheduled"],
    )
    pnl = raw["pnl"]
    return Closed(
        symbol=raw["symbol"],
        strategy_name=raw["strategyName"],
        exchange_name=raw["exchangeName"],
        current_price=float(raw["currentPrice"]),
        backtest=True,
        signal=signal,
        close_reason=raw["closeReason"],
        close_timestamp=raw["closeTimestamp"],
        pnl=Pnl(
            pnl_percentage=float(pnl["pnlPercentage"]),
            price_open=float(pnl["priceOpen"]),
            price_close=float(pnl["priceClose"]),
        ),
    )


def bits(x: float | None) -> bytes | None:
    return None if x is None else struct.pack(">d", x)


def make_closed(
    pnl: float,
    *,
    pending_at: int,
    minutes: int,
    sid: str = "s",
    position: str = "long",
    note: str = "",
    close_reason: str = "take_profit",
) -> Closed:
    signal = SignalRow(
        id=sid,
        position=position,  # type: ignore[arg-type]
        price_open=100.0,
        price_take_profit=110.0,
        price_stop_loss=95.0,
        minute_estimated_time=240,
        note=note,
        scheduled_at=pending_at,
        pending_at=pending_at,
        symbol="BTCUSD",
        exchange_name="ex",
        strategy_name="st",
        is_scheduled=False,
    )
    return Closed(
        symbol="BTCUSD",
        strategy_name="st",
        exchange_name="ex",
        current_price=105.125,
        backtest=True,
        signal=signal,
        close_reason=close_reason,  # type: ignore[arg-type]
        close_timestamp=pending_at + minutes * MIN,
        pnl=Pnl(pnl_percentage=pnl, price_open=100.0, price_close=105.125),
    )


def three_trades() -> list[Closed]:
    """Stored order (newest first) of: +1 (60 min), then -2 (120 min), then +3 (180 min)."""
    oldest = make_closed(1.0, pending_at=T0, minutes=60, sid="a")
    middle = make_closed(
        -2.0,
        pending_at=T0 + 60 * MIN,
        minutes=120,
        sid="b",
        position="short",
        close_reason="stop_loss",
    )
    newest = make_closed(3.0, pending_at=T0 + 180 * MIN, minutes=180, sid="c")
    return [newest, middle, oldest]


def by_pnls_oldest_first(pnls: list[float]) -> list[Closed]:
    rows = [
        make_closed(p, pending_at=T0 + i * 10 * MIN, minutes=5, sid=str(i))
        for i, p in enumerate(pnls)
    ]
    return rows[::-1]


# --- golden fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module", params=SINGLE_STRATEGY)
def golden(request: pytest.FixtureRequest) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{request.param}.json").read_text())
    return data


def golden_closed(fixture: dict[str, Any]) -> list[Closed]:
    emitted = [closed_from_fixture(r) for r in fixture["results"] if r["action"] == "closed"]
    stored = emitted[::-1][:250]  # newest first, capped as the report storage does
    assert [c.signal.id for c in stored] == fixture["stats"]["signalList"]
    return stored


def test_golden_statistics_bit_exact(golden: dict[str, Any]) -> None:
    stored = golden_closed(golden)
    stats = backtest_statistics(stored)
    expected = golden["stats"]
    assert stats.total_signals == expected["totalSignals"] == len(stored)
    assert stats.win_count == expected["winCount"]
    assert stats.loss_count == expected["lossCount"]
    for camel, snake in METRICS.items():
        want = expected[camel]
        got = getattr(stats, snake)
        want_f = None if want is None else float(want)
        assert bits(got) == bits(want_f), f"{snake}: {got!r} != {want!r}"
    assert [c.signal.id for c in stats.signal_list] == expected["signalList"]
    assert stats.total_trades == len(stored)
    assert stats.max_drawdown is not None and stats.max_drawdown >= 0.0


def test_golden_report_exact(golden: dict[str, Any]) -> None:
    stats = backtest_statistics(golden_closed(golden))
    report = backtest_report(golden["config"]["strategyName"], stats)
    assert report == golden["report"]


# --- formatting (SPEC 10.1) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        (1.005, 2, "1.00"),  # the double is 1.00499999999999989...
        (0.125, 2, "0.13"),  # exact tie -> away from zero (Python's format gives 0.12)
        (-0.125, 2, "-0.13"),
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),
        (0.5, 0, "1"),
        (-0.001, 2, "-0.00"),
        (-0.0, 2, "0.00"),
        (0.0, 3, "0.000"),
        (1.45, 1, "1.4"),  # 1.4499999999999999556
        (8377.050433965991, 8, "8377.05043397"),
        (1e20, 2, "100000000000000000000.00"),
        (1e21, 2, "1e+21"),
        (math.nan, 2, "NaN"),
        (math.inf, 2, "Infinity"),
        (-math.inf, 2, "-Infinity"),
    ],
)
def test_to_fixed(x: float, digits: int, text: str) -> None:
    assert to_fixed(x, digits) == text


def test_js_round_ties_toward_positive_infinity() -> None:
    assert js_round(2.5) == 3
    assert js_round(-2.5) == -2
    assert js_round(-0.5) == 0
    assert js_round(1.4999999999999998) == 1
    assert js_round(0.49999999999999994) == 0  # Math.round, although 0.49999999999999994 + 0.5 == 1
    assert js_round(-3.7) == -4
    assert js_round(84.0) == 84


def test_signed_and_price() -> None:
    assert signed(0.39, 2) == "+0.39"
    assert signed(0.0, 2) == "0.00"
    assert signed(-0.001, 2) == "-0.00"
    assert signed(-1.234, 2) == "-1.23"
    assert price_usd(7900.428056091) == "7900.42805609 USD"


def test_iso_ms() -> None:
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"
    assert iso_ms(T0) == "2018-03-23T13:00:00.000Z"
    assert iso_ms(1_522_108_800_001) == "2018-03-27T00:00:00.001Z"
    assert iso_ms(-1) == "1969-12-31T23:59:59.999Z"
    assert iso_ms(951_782_400_000) == "2000-02-29T00:00:00.000Z"
    assert iso_ms(253_402_300_800_000) == "+010000-01-01T00:00:00.000Z"


# --- statistics (SPEC 9.1 + max_drawdown / total_trades) --------------------------------------


def test_three_trade_statistics_by_hand() -> None:
    stats = backtest_statistics(three_trades())
    # pnls newest first: 3, -2, 1 -> running sum 3, 1, 2
    assert stats.total_signals == stats.total_trades == 3
    assert (stats.win_count, stats.loss_count) == (2, 1)
    assert stats.win_rate == (2 / 3) * 100
    assert stats.total_pnl == 2.0
    assert stats.avg_pnl == 2.0 / 3
    # variance = ((7/3)^2 + (8/3)^2 + (1/3)^2) / 3 = 38/9
    assert stats.std_dev == pytest.approx(math.sqrt(38) / 3, rel=1e-15)
    assert stats.sharpe_ratio == pytest.approx(2 / math.sqrt(38), rel=1e-15)
    assert stats.annualized_sharpe_ratio == pytest.approx(
        2 / math.sqrt(38) * math.sqrt(365), rel=1e-15
    )
    # avgWin = (3 + 1) / 2 = 2, avgLoss = -2
    assert stats.certainty_ratio == 1.0
    # mean duration 120 min = 1/12 day -> 4380 trades a year
    assert stats.expected_yearly_returns == pytest.approx(2 / 3 * 4380, rel=1e-15)
    # oldest first cumulative 1, -1, 2 -> largest fall 1 - (-1) = 2
    assert stats.max_drawdown == 2.0
    assert [c.signal.id for c in stats.signal_list] == ["c", "b", "a"]


@pytest.mark.parametrize(
    ("pnls_oldest_first", "drawdown"),
    [
        ([-1.0, -2.0, 5.0, -4.0], 4.0),  # start 0 is a peak: 0 -> -3 is 3, then 2 -> -2 is 4
        ([-1.5], 1.5),
        ([1.0, 2.0, 0.5], 0.0),  # never falls
        ([2.0, -0.5, 3.0, -1.0, -1.0], 2.0),
        ([0.0, 0.0], 0.0),
    ],
)
def test_max_drawdown(pnls_oldest_first: list[float], drawdown: float) -> None:
    stats = backtest_statistics(by_pnls_oldest_first(pnls_oldest_first))
    assert stats.max_drawdown == drawdown


def test_zero_std_and_no_losses() -> None:
    stats = backtest_statistics(by_pnls_oldest_first([0.5, 0.5]))
    assert stats.std_dev == 0.0
    assert stats.sharpe_ratio == 0.0
    assert stats.annualized_sharpe_ratio == 0.0
    assert stats.certainty_ratio == 0.0  # no loss -> 0
    zero = backtest_statistics(by_pnls_oldest_first([0.0]))
    assert (zero.win_count, zero.loss_count, zero.win_rate) == (0, 0, 0.0)


def test_zero_duration_gives_zero_yearly_returns() -> None:
    stats = backtest_statistics([make_closed(1.0, pending_at=T0, minutes=0)])
    assert stats.expected_yearly_returns == 0.0


def test_unsafe_values_become_none() -> None:
    stats = backtest_statistics(by_pnls_oldest_first([math.inf, 1.0]))
    assert stats.total_pnl is None
    assert stats.avg_pnl is None
    assert stats.std_dev is None
    assert stats.win_rate == 100.0


def test_empty_statistics() -> None:
    stats = backtest_statistics([])
    assert stats == BacktestStatistics(
        signal_list=(),
        total_signals=0,
        win_count=0,
        loss_count=0,
        win_rate=None,
        avg_pnl=None,
        total_pnl=None,
        std_dev=None,
        sharpe_ratio=None,
        annualized_sharpe_ratio=None,
        certainty_ratio=None,
        expected_yearly_returns=None,
        max_drawdown=None,
        total_trades=0,
    )


# --- report (SPEC 10.2) -----------------------------------------------------------------------


def test_report_empty() -> None:
    text = backtest_report("my-strategy", backtest_statistics([]))
    assert text == "# Backtest Report: my-strategy\n\nNo signals closed yet."


def test_report_hand_example() -> None:
    text = backtest_report("st", backtest_statistics(three_trades()))
    lines = text.split("\n")
    assert not text.endswith("\n")
    assert lines[0] == "# Backtest Report: st"
    assert lines[1] == ""
    assert lines[2] == (
        "| Signal ID | Symbol | Position | Open Price | Close Price | Take Profit | Stop Loss"
        " | PNL (net) | Close Reason | Duration (min) | Open Time | Close Time |"
    )
    assert lines[3] == "| " + " | ".join(["---"] * 12) + " |"
    assert lines[4] == (
        "| c | BTCUSD | LONG | 100.00000000 USD | 105.12500000 USD | 110.00000000 USD"
        " | 95.00000000 USD | +3.00% | take_profit | 180 | 2018-03-23T16:00:00.000Z"
        " | 2018-03-23T19:00:00.000Z |"
    )
    assert lines[5].startswith("| b | BTCUSD | SHORT | ")
    assert "| -2.00% | stop_loss | 120 |" in lines[5]
    assert lines[6].startswith("| a | ")
    assert lines[7:] == [
        "",
        "**Total signals:** 3",
        "**Closed signals:** 3",
        "**Win rate:** 66.67% (2W / 1L) (higher is better)",
        "**Average PNL:** +0.67% (higher is better)",
        "**Total PNL:** +2.00% (higher is better)",
        "**Standard Deviation:** 2.055% (lower is better)",
        "**Sharpe Ratio:** 0.324 (higher is better)",
        "**Annualized Sharpe Ratio:** 6.198 (higher is better)",
        "**Certainty Ratio:** 1.000 (higher is better)",
        "**Expected Yearly Returns:** +2920.00% (higher is better)",
    ]


def test_report_null_metrics_print_na() -> None:
    stats = replace(
        backtest_statistics(three_trades()),
        win_rate=None,
        avg_pnl=None,
        total_pnl=None,
        std_dev=None,
        sharpe_ratio=None,
        annualized_sharpe_ratio=None,
        certainty_ratio=None,
        expected_yearly_returns=None,
    )
    summary = backtest_report("st", stats).split("\n")[-10:]
    assert summary == [
        "**Total signals:** 3",
        "**Closed signals:** 3",
        "**Win rate:** N/A",
        "**Average PNL:** N/A",
        "**Total PNL:** N/A",
        "**Standard Deviation:** N/A",
        "**Sharpe Ratio:** N/A",
        "**Annualized Sharpe Ratio:** N/A",
        "**Certainty Ratio:** N/A",
        "**Expected Yearly Returns:** N/A",
    ]


def test_report_negative_and_zero_signs() -> None:
    stats = backtest_statistics(by_pnls_oldest_first([-0.001, 0.0]))
    text = backtest_report("st", stats)
    assert "| -0.00% |" in text
    assert "| 0.00% |" in text
    assert "**Total PNL:** -0.00% (higher is better)" in text
    assert "**Win rate:** 0.00% (0W / 1L) (higher is better)" in text


def test_note_column_follows_config() -> None:
    rows = [
        make_closed(1.0, pending_at=T0, minutes=5, sid="x", note="big move"),
        make_closed(1.0, pending_at=T0, minutes=5, sid="y", note=""),
    ]
    stats = backtest_statistics(rows)
    assert "Note" not in backtest_report("st", stats)
    set_config(CC_REPORT_SHOW_SIGNAL_NOTE=True)
    try:
        lines = backtest_report("st", stats).split("\n")
        assert lines[2].startswith("| Signal ID | Symbol | Position | Note | Open Price |")
        assert lines[3] == "| " + " | ".join(["---"] * 13) + " |"
        assert lines[4].startswith("| x | BTCUSD | LONG | big move | 100.00000000 USD |")
        # an absent note is stored as "" and printed as an empty cell
        assert lines[5].startswith("| y | BTCUSD | LONG |  | 100.00000000 USD |")
    finally:
        reset_config()
    assert "Note" not in backtest_report("st", stats)


def test_custom_columns_subset_and_order() -> None:
    by_key = {c.key: c for c in BACKTEST_COLUMNS}
    columns = [by_key["close_timestamp"], by_key["pnl"], by_key["signal_id"]]
    lines = backtest_report("st", backtest_statistics(three_trades()), columns).split("\n")
    assert lines[2:7] == [
        "| Close Time | PNL (net) | Signal ID |",
        "| --- | --- | --- |",
        "| 2018-03-23T19:00:00.000Z | +3.00% | c |",
        "| 2018-03-23T16:00:00.000Z | -2.00% | b |",
        "| 2018-03-23T14:00:00.000Z | +1.00% | a |",
    ]
    custom = Column("idx", "#", lambda _row, index: str(index + 1))
    hidden = Column("hidden", "Hidden", lambda _row, _i: "?", lambda: False)
    table = markdown_table(backtest_statistics(three_trades()).signal_list, [custom, hidden])
    assert table == ["| # |", "| --- |", "| 1 |", "| 2 |", "| 3 |"]


def test_backtest_columns_labels() -> None:
    assert [c.label for c in BACKTEST_COLUMNS] == [
        "Signal ID",
        "Symbol",
        "Position",
        "Note",
        "Open Price",
        "Close Price",
        "Take Profit",
        "Stop Loss",
        "PNL (net)",
        "Close Reason",
        "Duration (min)",
        "Open Time",
        "Close Time",
    ]
    validate_columns(BACKTEST_COLUMNS)


def test_duration_uses_math_round() -> None:
    row = replace(make_closed(1.0, pending_at=T0, minutes=0), close_timestamp=T0 + 90_000)
    by_key = {c.key: c for c in BACKTEST_COLUMNS}
    assert by_key["duration"].format(row, 0) == "2"  # 1.5 min -> 2
    assert by_key["close_price"].format(row, 0) == "105.12500000 USD"


def test_validate_columns_reports_every_problem() -> None:
    ok = Column("a", "A", lambda _r, _i: "")
    bad = [
        ok,
        Column("", "B", lambda _r, _i: ""),
        Column("c", " ", lambda _r, _i: ""),
        Column("a", "D", "not callable"),  # type: ignore[arg-type]
        Column("e", "E", lambda _r, _i: "", True),  # type: ignore[arg-type]
        42,
    ]
    with pytest.raises(ValueError) as info:
        validate_columns(bad, "backtest_columns")
    assert str(info.value) == "\n".join(
        [
            "Column configuration validation failed:",
            '  1. backtest_columns[1].key must be a non-empty string, got ""',
            '  2. backtest_columns[2].label must be a non-empty string, got " "',
            '  3. backtest_columns[3].format must be a function, got "str"',
            '  4. backtest_columns[4].is_visible must be a function, got "bool"',
            "  5. backtest_columns[5]: Column must be a Column, got int",
            '  6. backtest_columns: Duplicate key "a" at indexes 0, 3',
        ]
    )
    with pytest.raises(ValueError, match=r"^Column configuration validation failed:"):
        validate_columns("abc")
    validate_columns([])
