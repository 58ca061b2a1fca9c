"""Research metrics agree with backtesting.py's `compute_stats` on the same trades and equity."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting._stats import compute_stats
from blank_statistics import blank_statistics
from closed_signals import closed_signal

from backtestkit.actors.reports.research_equity import research_statistics, trades_and_equity
from backtestkit.actors.reports.research_metrics import (
    EquitySeries,
    ResearchMetrics,
    TradeRecord,
    research_metrics,
)
from backtestkit.bus import Closed

HOUR = 3_600_000
START = 1_704_067_200_000  # 2024-01-01 00:00 UTC, a Monday

# (ours, backtesting.py's key, how ours maps onto it)
SHARED: list[tuple[str, str, Any]] = [
    ("exposure_pct", "Exposure Time [%]", None),
    ("equity_final", "Equity Final [$]", None),
    ("equity_peak", "Equity Peak [$]", None),
    ("return_pct", "Return [%]", None),
    ("return_ann_pct", "Return (Ann.) [%]", None),
    ("volatility_ann_pct", "Volatility (Ann.) [%]", None),
    ("cagr_pct", "CAGR [%]", None),
    ("sharpe_ratio_ann", "Sharpe Ratio", None),
    ("sortino_ratio", "Sortino Ratio", None),
    ("calmar_ratio", "Calmar Ratio", None),
    ("max_drawdown_pct", "Max. Drawdown [%]", lambda v: -v),
    ("trades", "# Trades", None),
    ("win_rate_pct", "Win Rate [%]", None),
    ("best_trade_pct", "Best Trade [%]", None),
    ("worst_trade_pct", "Worst Trade [%]", None),
    ("avg_trade_pct", "Avg. Trade [%]", None),
    ("expectancy_pct", "Expectancy [%]", None),
    ("profit_factor", "Profit Factor", None),
    ("sqn", "SQN", None),
    ("kelly_criterion", "Kelly Criterion", None),
]


def _ceil(ms: float, step_ms: int) -> float:
    return math.ceil(ms / step_ms) * step_ms


def assert_agree(ours: ResearchMetrics, theirs: pd.Series, step_ms: int) -> None:
    compared = 0
    for name, key, mapping in SHARED:
        mine = getattr(ours, name)
        if mapping is not None and mine is not None:
            mine = mapping(mine)
        other = float(theirs[key])
        if not math.isfinite(other):
            assert mine is None, (name, mine, other)
            continue
        assert mine is not None, (name, other)
        assert abs(mine - other) <= 1e-9 * max(1.0, abs(other)), (name, mine, other)
        compared += 1
    assert compared == len(SHARED)  # every shared metric is defined on these trades
    # backtesting.py rounds durations up to the bar resolution (here whole hours).
    max_duration = theirs["Max. Trade Duration"] / pd.Timedelta(milliseconds=1)
    avg_duration = theirs["Avg. Trade Duration"] / pd.Timedelta(milliseconds=1)
    assert ours.max_trade_duration_ms is not None and ours.avg_trade_duration_ms is not None
    assert _ceil(ours.max_trade_duration_ms, step_ms) == max_duration
    assert _ceil(ours.avg_trade_duration_ms, step_ms) == avg_duration


def _market(bars: int) -> pd.DataFrame:
    """A deterministic hourly market: a slow sine with a drift, every day of the week."""
    t = np.arange(bars)
    close = 100 + 8 * np.sin(t / 29.0) + 0.01 * t + 1.5 * np.sin(t / 3.1)
    index = pd.to_datetime(START + t * HOUR, unit="ms")
    return pd.DataFrame(
        {"Open": close - 0.2, "High": close + 0.6, "Low": close - 0.6, "Close": close},
        index=index,
    )


class _EveryDay(Strategy):  # type: ignore[misc]
    """Long at 09:00 each day, out after 7 bars; short on Wednesdays."""

    def init(self) -> None:
        self.entered = -1

    def next(self) -> None:
        i = len(self.data) - 1
        when = self.data.index[-1]
        if self.position and i - self.entered >= 7:
            self.position.close()
        elif not self.position and when.hour == 9:
            self.entered = i
            if when.day_of_week == 2:
                self.sell(size=0.5)
            else:
                self.buy(size=0.5)


def test_metrics_agree_with_backtesting_py_on_its_own_run() -> None:
    data = _market(24 * 45)
    stats = Backtest(data, _EveryDay, cash=10_000, commission=0.001, finalize_trades=True).run()
    trades_df = stats._trades
    assert len(trades_df) >= 40
    assert (trades_df["PnL"] < 0).any() and (trades_df["PnL"] > 0).any()
    to_ms = pd.Timestamp(0)
    trades = [
        TradeRecord(
            entry_time=(row.EntryTime - to_ms) // pd.Timedelta(milliseconds=1),
            exit_time=(row.ExitTime - to_ms) // pd.Timedelta(milliseconds=1),
            entry_bar=int(row.EntryBar),
            exit_bar=int(row.ExitBar),
            return_fraction=float(row.ReturnPct),
            pnl=float(row.PnL),
        )
        for row in trades_df.itertuples()
    ]
    times = tuple(int(START + i * HOUR) for i in range(len(data)))
    equity = EquitySeries(times, tuple(float(v) for v in stats._equity_curve["Equity"]))
    ours = research_metrics(trades, equity)
    assert ours.periods_per_year == 365
    assert_agree(ours, stats, HOUR)


# (open hour, close hour, pnl %): closes land mid-bar, one trade spans a weekend.
SIGNALS = [
    (3, 9, 1.8),
    (12, 30, -0.7),
    (31, 40, 2.4),
    (50, 51, -1.9),
    (70, 118, 3.1),
    (130, 140, -0.4),
    (141, 200, 0.9),
    (230, 231, -2.2),
]


def _our_signals() -> list[Closed]:
    closed = [
        closed_signal(START + a * HOUR + 60_000, START + b * HOUR + 1_800_000, pnl, i)
        for i, (a, b, pnl) in enumerate(SIGNALS)
    ]
    return closed[::-1]  # stored newest first


def test_equity_from_closed_signals_compounds_at_the_close_bar() -> None:
    bars = [START + i * HOUR for i in range(240)]
    trades, equity = trades_and_equity(_our_signals(), bars, capital=1000.0)
    assert [(t.entry_bar, t.exit_bar) for t in trades[:2]] == [(3, 9), (12, 30)]
    assert trades[0].pnl == pytest.approx(18.0)
    assert trades[1].pnl == pytest.approx(-0.007 * 1018.0)
    assert equity.values[8] == 1000.0
    assert equity.values[9] == pytest.approx(1018.0)
    assert equity.values[30] == pytest.approx(1018.0 * 0.993)


def test_metrics_of_our_signals_agree_with_backtesting_py() -> None:
    bars = [START + i * HOUR for i in range(240)]
    closed = _our_signals()
    trades, equity = trades_and_equity(closed, bars, capital=10_000.0)
    index = pd.to_datetime(np.array(bars), unit="ms")
    trades_df = pd.DataFrame(
        {
            "EntryBar": [t.entry_bar for t in trades],
            "ExitBar": [t.exit_bar for t in trades],
            "PnL": [t.pnl for t in trades],
            "ReturnPct": [t.return_fraction for t in trades],
            "Duration": [pd.Timedelta(milliseconds=t.exit_time - t.entry_time) for t in trades],
        }
    )
    ohlc = pd.DataFrame({"Close": 100.0 + np.arange(len(bars)) % 7}, index=index)
    theirs = compute_stats(trades_df, np.array(equity.values), ohlc, None)
    stats = blank_statistics(*closed)
    ours = research_statistics(stats, bars, capital=10_000.0)
    assert ours.trades == 8
    # Hand values: 4 of 8 trades win; profit factor = (1.8+2.4+3.1+0.9)/(0.7+1.9+0.4+2.2),
    # expectancy = (8.2 - 5.2) / 8 %.
    assert ours.win_rate_pct == 50.0
    assert ours.profit_factor == pytest.approx(8.2 / 5.2, rel=1e-12)
    assert ours.expectancy_pct == pytest.approx(3.0 / 8, rel=1e-12)
    assert_agree(ours, theirs, HOUR)


def test_undefined_metrics_are_none_like_backtesting_py_nan() -> None:
    bars = [START + i * HOUR for i in range(48)]
    winners = [closed_signal(START + HOUR, START + 5 * HOUR, 1.0, 0)]
    trades, equity = trades_and_equity(winners, bars)
    ours = research_metrics(trades, equity)
    assert ours.profit_factor is None and ours.sqn is None and ours.kelly_criterion is None
    assert ours.max_drawdown_pct == 0.0 and ours.calmar_ratio is None
    assert ours.win_rate_pct == 100.0 and ours.exposure_pct == pytest.approx(5 / 48 * 100)


def test_bad_inputs_name_the_problem() -> None:
    with pytest.raises(ValueError, match="2 timestamps but 1 values"):
        EquitySeries((1, 2), (1.0,))
    with pytest.raises(ValueError, match="strictly ascending"):
        EquitySeries((2, 1), (1.0, 1.0))
    with pytest.raises(ValueError, match=r"trade 0: bars 0\.\.5 outside the 2 bars"):
        research_metrics([TradeRecord(0, 1, 0, 5, 0.1, 1.0)], EquitySeries((0, HOUR), (1.0, 1.0)))
