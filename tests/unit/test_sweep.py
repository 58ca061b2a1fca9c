"""Parameter sweeps feed the walker; the overfitting check (DSR, PBO) joins the walker report."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from typing import Any

import anyio
import numpy as np
import pytest
import walker_strategies as ws
from blank_statistics import blank_statistics
from closed_signals import closed_signal

from backtestkit.actors import Walker, add_exchange, add_frame, add_walker
from backtestkit.actors.core.registry import registry
from backtestkit.actors.reports import BacktestStatistics
from backtestkit.actors.reports.walker import walker_report
from backtestkit.actors.reports.walker_models import WalkerResults, WalkerStrategyResult
from backtestkit.actors.reports.walker_overfitting import daily_returns, walker_overfitting
from backtestkit.actors.testing import reset_engine
from backtestkit.actors.walker.resume import function_identity
from backtestkit.actors.walker.sweep import ParameterizedSignal, add_sweep, grid_points
from backtestkit.adapters.candles import MemoryCandles

SYMBOL = "BTCUSDT"
DAY = 86_400_000
PHI = statistics.NormalDist()


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


def test_grid_points_follow_itertools_product_order() -> None:
    assert grid_points({"fast": [3, 5], "slow": [12, 20, 30]}) == [
        {"fast": 3, "slow": 12},
        {"fast": 3, "slow": 20},
        {"fast": 3, "slow": 30},
        {"fast": 5, "slow": 12},
        {"fast": 5, "slow": 20},
        {"fast": 5, "slow": 30},
    ]
    with pytest.raises(ValueError, match="parameter 'slow' needs a non-empty list"):
        grid_points({"fast": [3], "slow": []})
    with pytest.raises(ValueError, match="'fast-ma' is not a Python identifier"):
        grid_points({"fast-ma": [3]})


def test_add_sweep_registers_one_strategy_per_point() -> None:
    names = add_sweep(
        "sma", get_signal=ws.sma_grid, grid={"fast": [3, 5], "slow": [20]}, interval="1m"
    )
    assert names == ["sma[fast=3,slow=20]", "sma[fast=5,slow=20]"]
    signal = registry.strategy("sma[fast=5,slow=20]").get_signal
    assert isinstance(signal, ParameterizedSignal)
    assert signal.fn is ws.sma_grid and dict(signal.params) == {"fast": 5, "slow": 20}
    with pytest.raises(ValueError, match=r"has no parameter\(s\) window"):
        add_sweep("bad", get_signal=ws.sma_grid, grid={"window": [3]}, interval="1m")
    # resume keys a configuration by its function and its values
    identity = function_identity(signal)
    assert identity["reference"] == "walker_strategies:sma_grid"
    assert identity["params"] == {"fast": "5", "slow": "20"}


def _register_sweep() -> list[str]:
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.make_candles(days=2, seed=11)}))
    add_frame("frame", start=ws.START, end=ws.START + 2 * 1440 * ws.MINUTE)
    names = add_sweep(
        "sma", get_signal=ws.sma_grid, grid={"fast": [3, 5], "slow": [12, 20]}, interval="1m"
    )
    add_walker("w", strategies=names, exchange="mem", frame="frame", metric="total_pnl")
    return names


def _walk(**options: Any) -> list[Any]:
    async def collect() -> list[Any]:
        with anyio.fail_after(120):
            return [c async for c in Walker.run(SYMBOL, walker="w", **options)]

    return anyio.run(collect)


def test_sweep_runs_in_the_walker_and_the_report_gains_the_check_on_request() -> None:
    names = _register_sweep()
    contracts = _walk()
    assert [c.strategy_name for c in contracts] == names
    assert len({c.stats.total_signals for c in contracts}) > 1  # the parameters matter
    plain = Walker.get_report(SYMBOL, "w")
    assert plain == walker_report(Walker.get_data(SYMBOL, "w"))  # reference text unchanged
    extended = Walker.get_report(SYMBOL, "w", overfitting=True)
    assert extended.startswith(plain + "\n\n## Overfitting Check\n")
    assert "**Trials (configurations tried):** 4" in extended
    assert "**Days per trial:** 3" in extended
    table = Walker.get_data(SYMBOL, "w").to_frame()
    assert list(table["strategy_name"]) == names
    assert list(table["total_signals"]) == [c.stats.total_signals for c in contracts]
    assert list(table["metric_value"]) == [c.current_metric for c in contracts]
    check = Walker.get_overfitting(SYMBOL, "w")
    assert check.trials == 4 and check.days == 3 and check.best_strategy in names


@pytest.mark.slow
def test_sweep_runs_identically_on_a_process_pool() -> None:
    _register_sweep()
    sequential = _walk()
    pooled = _walk(workers=2)
    assert pooled == sequential


def _stats(*closed: Any) -> BacktestStatistics:
    return blank_statistics(*closed)


def test_overfitting_check_by_hand() -> None:
    start = ws.START
    a = _stats(
        closed_signal(start + 2 * DAY, start + 2 * DAY + 5, 3.0, 1),
        closed_signal(start, start + 9, 1.0, 0),
    )
    b = _stats(closed_signal(start + DAY, start + DAY + 7, -1.0, 2))
    data = WalkerResults(
        walker_name="w",
        symbol=SYMBOL,
        exchange_name="x",
        frame_name="f",
        metric="total_pnl",
        total_strategies=2,
        best_strategy="a",
        best_metric=4.0,
        best_stats=a,
        strategy_results=(
            WalkerStrategyResult(strategy_name="b", stats=b, metric_value=-1.0),
            WalkerStrategyResult(strategy_name="a", stats=a, metric_value=4.0),
        ),
    )
    end = start + 3 * DAY + 1000
    assert daily_returns(a, start, end).tolist() == [0.01, 0.0, 0.03, 0.0]
    assert daily_returns(b, start, end).tolist() == [0.0, -0.01, 0.0, 0.0]
    check = walker_overfitting(data, start, end)
    # Sharpe of a: mean 0.01, sample std sqrt(0.0006 / 3); of b: mean -0.0025, std 0.005.
    sr_a, sr_b = 0.01 / math.sqrt(0.0002), -0.5
    variance = (sr_a - sr_b) ** 2 / 2
    gamma = 0.5772156649015329
    sr0 = math.sqrt(variance) * (
        (1 - gamma) * PHI.inv_cdf(1 - 1 / 2) + gamma * PHI.inv_cdf(1 - 1 / (2 * math.e))
    )
    # a's population moments: deviations 0, -0.01, 0.02, -0.01.
    m2, m3, m4 = 0.0006 / 4, (-1e-6 + 8e-6 - 1e-6) / 4, (1e-8 + 16e-8 + 1e-8) / 4
    skew, kurt = m3 / m2**1.5, m4 / m2**2
    dsr = PHI.cdf(
        (sr_a - sr0) * math.sqrt(3) / math.sqrt(1 - skew * sr_a + (kurt - 1) / 4 * sr_a**2)
    )
    assert check.trials == 2 and check.days == 4 and check.best_strategy == "a"
    assert abs(check.best_daily_sharpe - sr_a) <= 1e-9  # type: ignore[operator]
    assert abs(check.expected_max_sharpe - sr0) <= 1e-9  # type: ignore[operator]
    assert abs(check.deflated_sharpe_ratio - dsr) <= 1e-9  # type: ignore[operator]
    # Two blocks of two days: a wins in sample and out of sample in both splits.
    assert check.pbo_blocks == 2 and check.pbo == 0.0
    assert np.isclose(sr0, math.sqrt(variance) * gamma * PHI.inv_cdf(1 - 1 / (2 * math.e)))
