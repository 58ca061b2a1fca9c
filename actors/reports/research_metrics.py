"""Research metrics beside the reference's statistics (which stay exact and untouched).

Defined as backtesting.py (0.6) defines them, so both give the same numbers on the same trades
and equity (tests/unit/test_research_metrics.py checks every shared metric to 1e-9). Inputs:
the trades (`TradeRecord`) and an equity value per bar (`EquitySeries`, ms UTC timestamps).

Formulas (`r_i` trade returns as fractions, `pl_i` trade PnL in money, `E_t` equity per bar):

- exposure_pct: share of bars with an open position, entry bar to exit bar inclusive, x 100.
- return_pct: `(E_last - E_first) / E_first x 100`.
- Daily returns `d_j`: the last equity of each UTC calendar day that has bars, then the
  percentage change between consecutive such days. `N` (periods per year) is 365 when more
  than 0.6 x 2/7 of the bars fall on a weekend (crypto), else 252. Bars of a week or longer
  are not supported (backtesting.py resamples those weekly / monthly / yearly).
- `g` = geometric mean of `d_j` (0 when some `1 + d_j <= 0`).
- return_ann_pct: `((1 + g)^N - 1) x 100` (compounded).
- volatility_ann_pct: `sqrt((var(d, ddof=1) + (1 + g)^2)^N - (1 + g)^(2N)) x 100`.
- sharpe_ratio_ann: `(return_ann_pct - 100 rf) / volatility_ann_pct` (equity based, annualised;
  not the reference's per-trade `annualized_sharpe_ratio = sharpe x sqrt(365)`).
- sortino_ratio: `(ann - rf) / (sqrt(mean(min(d_j, 0)^2)) x sqrt(N))`, `ann` as a fraction.
- max_drawdown_pct: `max_t(1 - E_t / max_{s<=t} E_s) x 100`, a positive number
  (backtesting.py prints it negated).
- calmar_ratio: `ann / (max_drawdown_pct / 100)`.
- cagr_pct: `((E_last / E_first)^(1 / years) - 1) x 100`, `years` = (last bar - first bar)
  in whole seconds / 86400 / 365.25.
- win_rate_pct: share of trades with `pl > 0`, x 100; best / worst_trade_pct: max / min `r`.
- avg_trade_pct: geometric mean of `r` x 100; expectancy_pct: arithmetic mean of `r` x 100.
- profit_factor: `sum(r > 0) / |sum(r < 0)|` (on returns, not money).
- sqn: `sqrt(n) x mean(pl) / std(pl, ddof=1)` (van Tharp's system quality number).
- kelly_criterion: `W - (1 - W) / (mean(pl > 0) / |mean(pl < 0)|)`, `W` the win rate fraction.
- Trade durations (exit - entry, ms): min, max, mean, median. backtesting.py shows the max and
  mean rounded up to the bar resolution.

Every undefined value (NaN, +/-infinity, e.g. no losing trade for the profit factor) is None.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from .tabular import series

__all__ = ["EquitySeries", "ResearchMetrics", "TradeRecord", "research_metrics"]

_MS_PER_DAY = 86_400_000
_WEEKEND_SHARE = 2 / 7 * 0.6
Floats = npt.NDArray[np.float64]
_TRADE_FIELDS = (
    "win_rate_pct",
    "best_trade_pct",
    "worst_trade_pct",
    "avg_trade_pct",
    "expectancy_pct",
    "profit_factor",
    "sqn",
    "kelly_criterion",
    "min_trade_duration_ms",
    "max_trade_duration_ms",
    "avg_trade_duration_ms",
    "median_trade_duration_ms",
)


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One closed trade: times in ms UTC, bars as indexes into the equity series."""

    entry_time: int
    exit_time: int
    entry_bar: int
    exit_bar: int
    return_fraction: float
    pnl: float


@dataclass(frozen=True, slots=True)
class EquitySeries:
    """Equity (money) at each bar; timestamps ascending, ms UTC."""

    timestamps: tuple[int, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.timestamps) != len(self.values):
            raise ValueError(
                f"equity series: {len(self.timestamps)} timestamps but {len(self.values)} values"
            )
        if not self.timestamps:
            raise ValueError("equity series: no bars")
        if any(b <= a for a, b in zip(self.timestamps, self.timestamps[1:], strict=False)):
            raise ValueError("equity series: timestamps must be strictly ascending")


@dataclass(frozen=True, slots=True, kw_only=True)
class ResearchMetrics:
    """See the module docstring for every formula; None where undefined."""

    start: int
    end: int
    periods_per_year: int
    exposure_pct: float
    equity_final: float
    equity_peak: float
    return_pct: float | None
    return_ann_pct: float | None
    volatility_ann_pct: float | None
    cagr_pct: float | None
    sharpe_ratio_ann: float | None
    sortino_ratio: float | None
    calmar_ratio: float | None
    max_drawdown_pct: float
    trades: int
    win_rate_pct: float | None
    best_trade_pct: float | None
    worst_trade_pct: float | None
    avg_trade_pct: float | None
    expectancy_pct: float | None
    profit_factor: float | None
    sqn: float | None
    kelly_criterion: float | None
    min_trade_duration_ms: int | None
    max_trade_duration_ms: int | None
    avg_trade_duration_ms: float | None
    median_trade_duration_ms: float | None

    def to_series(self) -> Any:
        """Every metric as a pandas Series (extra `pandas`)."""
        return series({f.name: getattr(self, f.name) for f in fields(self)})


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _div(numerator: float, denominator: float) -> float:
    """backtesting.py's `a / (b or np.nan)` with numpy's silent inf for x / 0."""
    if denominator == 0 or math.isnan(denominator):
        return math.nan
    return numerator / denominator


def geometric_mean(returns: Floats) -> float:
    """`exp(mean(log(1 + r))) - 1`; 0 when some `1 + r <= 0`, NaN when empty."""
    grown = np.nan_to_num(returns, nan=0.0) + 1.0
    if np.any(grown <= 0):
        return 0.0
    if grown.size == 0:
        return math.nan
    return float(np.exp(np.log(grown).sum() / grown.size) - 1)


def _daily_returns(times: npt.NDArray[np.int64], equity: Floats) -> Floats:
    days = times // _MS_PER_DAY
    last_of_day = np.r_[np.nonzero(np.diff(days))[0], days.size - 1]
    closes = equity[last_of_day]
    return np.asarray(closes[1:] / closes[:-1] - 1.0, dtype=np.float64)


def _periods_per_year(times: npt.NDArray[np.int64]) -> int:
    step = float(np.median(np.diff(times[-100:]))) if times.size > 1 else math.nan
    if step >= 7 * _MS_PER_DAY:
        raise ValueError("research metrics: bars of a week or longer are not supported")
    weekday = (times // _MS_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    return 365 if float(np.mean(weekday >= 5)) > _WEEKEND_SHARE else 252


def _exposure(trades: Sequence[TradeRecord], bars: int) -> float:
    held = np.zeros(bars, dtype=np.int64)
    for trade in trades:
        held[trade.entry_bar : trade.exit_bar + 1] = 1
    return float(held.mean() * 100)


def _trade_metrics(trades: Sequence[TradeRecord]) -> dict[str, float | int | None]:
    n = len(trades)
    returns = np.array([t.return_fraction for t in trades], dtype=np.float64)
    pl = np.array([t.pnl for t in trades], dtype=np.float64)
    durations = np.array([t.exit_time - t.entry_time for t in trades], dtype=np.int64)
    if n == 0:
        return dict.fromkeys(_TRADE_FIELDS)
    win_rate = float(np.mean(pl > 0))
    losses = abs(float(returns[returns < 0].sum()))
    std = float(np.std(pl, ddof=1)) if n > 1 else math.nan
    avg_win = float(pl[pl > 0].mean()) if np.any(pl > 0) else math.nan
    avg_loss = float(-pl[pl < 0].mean()) if np.any(pl < 0) else math.nan
    return {
        "win_rate_pct": win_rate * 100,
        "best_trade_pct": float(returns.max()) * 100,
        "worst_trade_pct": float(returns.min()) * 100,
        "avg_trade_pct": _finite(geometric_mean(returns) * 100),
        "expectancy_pct": float(returns.mean()) * 100,
        "profit_factor": _finite(_div(float(returns[returns > 0].sum()), losses)),
        "sqn": _finite(_div(math.sqrt(n) * float(pl.mean()), std)),
        "kelly_criterion": _finite(win_rate - (1 - win_rate) / _div(avg_win, avg_loss)),
        "min_trade_duration_ms": int(durations.min()),
        "max_trade_duration_ms": int(durations.max()),
        "avg_trade_duration_ms": float(durations.mean()),
        "median_trade_duration_ms": float(np.median(durations)),
    }


def research_metrics(
    trades: Sequence[TradeRecord], equity: EquitySeries, *, risk_free_rate: float = 0.0
) -> ResearchMetrics:
    """Every metric of the module docstring over `trades` and `equity`."""
    if not -1 < risk_free_rate < 1:
        raise ValueError(f"risk_free_rate must be in (-1, 1), got {risk_free_rate}")
    for index, trade in enumerate(trades):
        if not 0 <= trade.entry_bar <= trade.exit_bar < len(equity.timestamps):
            raise ValueError(
                f"trade {index}: bars {trade.entry_bar}..{trade.exit_bar} outside the "
                f"{len(equity.timestamps)} bars of the equity series"
            )
    times = np.array(equity.timestamps, dtype=np.int64)
    values = np.array(equity.values, dtype=np.float64)
    per_year = _periods_per_year(times)
    daily = _daily_returns(times, values)
    g = geometric_mean(daily)
    annual = (1 + g) ** per_year - 1
    variance = float(np.var(daily, ddof=1)) if daily.size > 1 else math.nan
    volatility = (
        math.sqrt((variance + (1 + g) ** 2) ** per_year - (1 + g) ** (2 * per_year)) * 100
        if math.isfinite(variance)
        else math.nan
    )
    downside = math.sqrt(float(np.mean(np.clip(daily, None, 0) ** 2))) if daily.size else math.nan
    drawdown = float(np.max(1 - values / np.maximum.accumulate(values)))
    seconds = (int(times[-1]) - int(times[0])) // 1000
    years = (seconds // 86400 + (seconds % 86400) / 86400) / 365.25
    first, last = float(values[0]), float(values[-1])
    return ResearchMetrics(
        start=int(times[0]),
        end=int(times[-1]),
        periods_per_year=per_year,
        exposure_pct=_exposure(trades, times.size),
        equity_final=last,
        equity_peak=float(values.max()),
        return_pct=_finite(_div(last - first, first) * 100),
        return_ann_pct=_finite(annual * 100),
        volatility_ann_pct=_finite(volatility),
        cagr_pct=_finite(((last / first) ** (1 / years) - 1) * 100) if years else None,
        sharpe_ratio_ann=_finite(_div(annual * 100 - risk_free_rate * 100, volatility)),
        sortino_ratio=_finite(
            _div(annual - risk_free_rate, downside * math.sqrt(per_year))
            if downside
            else math.copysign(math.inf, annual - risk_free_rate)
        ),
        calmar_ratio=_finite(_div(annual, drawdown)),
        max_drawdown_pct=drawdown * 100,
        trades=len(trades),
        **_trade_metrics(trades),  # type: ignore[arg-type]
    )
