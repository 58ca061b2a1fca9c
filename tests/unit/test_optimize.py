"""An optuna search on the Walker: each trial is told its configuration's walker metric, which
equals the same configuration's value in a plain grid sweep; repeats are not re-run."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import walker_strategies as ws

from backtestkit.actors import Walker, add_exchange, add_frame, add_sweep, add_walker
from backtestkit.actors.testing import reset_engine
from backtestkit.actors.walker import Optimization, optimize
from backtestkit.actors.walker.optimize import MISSING_OPTUNA
from backtestkit.adapters.candles import MemoryCandles

optuna = pytest.importorskip("optuna")
DAY = 86_400_000
SYMBOL = "BTCUSDT"
TAKES, STOPS = [0.008, 0.02], [0.006, 0.03]


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


def space(trial: Any) -> dict[str, float]:
    return {
        "take": trial.suggest_categorical("take", TAKES),
        "stop": trial.suggest_categorical("stop", STOPS),
    }


def _register() -> None:
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.trending_candles()}))
    add_frame("frame", start=ws.START, end=ws.START + 2 * DAY)


def _optimize(**options: Any) -> Optimization:
    async def go() -> Optimization:
        with anyio.fail_after(240):
            return await optimize(
                SYMBOL,
                name="long",
                get_signal=ws.long_grid,
                space=space,
                exchange="mem",
                frame="frame",
                interval="5m",
                sampler=optuna.samplers.RandomSampler(seed=3),
                **{"batch": 3, "metric": "total_pnl", "trials": 8, **options},
            )

    return anyio.run(go)


def test_trials_are_told_the_walker_metric_of_their_configuration() -> None:
    _register()
    found = _optimize()
    study = found.study
    assert len(study.trials) == 8
    tried = {r.strategy_name: r.metric_value for r in found.results.strategy_results}
    assert 2 <= len(tried) <= 4  # a 2 x 2 space: repeats are told, not re-run
    # The same configurations as a plain grid sweep, through an ordinary walker.
    names = add_sweep(
        "grid", get_signal=ws.long_grid, grid={"take": TAKES, "stop": STOPS}, interval="5m"
    )
    add_walker("g", strategies=names, exchange="mem", frame="frame", metric="total_pnl")

    async def sweep() -> None:
        await Walker.run_to_end(SYMBOL, walker="g")

    anyio.run(sweep)
    grid = {
        r.strategy_name.replace("grid[", "long["): r.metric_value
        for r in Walker.get_data(SYMBOL, "g").strategy_results
    }
    for name, value in tried.items():
        assert value == grid[name]
    for trial in study.trials:
        assert (
            trial.value
            == grid[f"long[take={trial.params['take']!r},stop={trial.params['stop']!r}]"]
        )
    best = max(tried, key=lambda n: tried[n])  # type: ignore[arg-type,return-value]
    assert found.results.best_strategy == best
    assert study.best_value == tried[best]
    assert found.overfitting.trials == len(tried)
    report = found.report()
    assert report.startswith("# Walker Comparison Report: long\n")
    assert f"**Trials (configurations tried):** {len(tried)}" in report


def test_bad_arguments_and_missing_optuna(monkeypatch: pytest.MonkeyPatch) -> None:
    _register()
    with pytest.raises(ValueError, match="batch must be an integer >= 1, got 0"):
        _optimize(batch=0)
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ImportError) as caught:
        _optimize()
    assert str(caught.value) == MISSING_OPTUNA


def test_a_search_in_an_rdb_storage_resumes_without_rerunning(tmp_path: Path) -> None:
    """An sqlite URL: a second call with a larger `trials` adds trials to the same study;
    configurations finished by the first call are told their stored value, not run again."""
    _register()
    url = f"sqlite:///{tmp_path / 'search.db'}"
    first = _optimize(trials=3, batch=1, storage=url, study_name="s")
    ran_first = {r.strategy_name for r in first.results.strategy_results}
    assert len(first.study.trials) == 3 and 1 <= len(ran_first) <= 3
    second = _optimize(trials=8, batch=2, storage=url, study_name="s")
    ran_second = {r.strategy_name for r in second.results.strategy_results}
    assert not ran_first & ran_second  # finished configurations are not run again
    study = optuna.load_study(study_name="s", storage=url)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 8
    assert {t.user_attrs["strategy"] for t in study.trials} == ran_first | ran_second
    # the check covers every configuration of the study, whichever call ran it
    assert second.overfitting.trials == len(ran_first | ran_second)
    with pytest.raises(ValueError, match="is set to maximize, but metric 'max_drawdown' needs"):
        _optimize(trials=9, storage=url, study_name="s", metric="max_drawdown")
