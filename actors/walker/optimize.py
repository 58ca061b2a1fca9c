"""An optuna search whose trials run on the Walker (extra `optuna`, imported when called).

`await optimize("BTCUSD", name="dip", get_signal=dip, space=space, trials=40, batch=4, ...)`
asks optuna for `batch` trials at a time; `space(trial)` returns a trial's parameters (with
`trial.suggest_*`), each becomes a strategy `name[k=v,...]` calling `get_signal(symbol, when,
**params)` (a `ParameterizedSignal`, as in `add_sweep`), the batch's new configurations run as
one walker (`<name>@optuna:<hash>`) on the chosen executor (`workers=N`: one process each), and
each trial is told its strategy's walker metric (maximised; `max_drawdown` minimised; a trial
without a metric value is told FAIL). A configuration proposed again is not run again.

`storage=` (an RDB URL, a journal file path, or an optuna storage) with `study_name=` shares
the search: several processes or machines on one study work toward one `trials` total, a
stopped search resumes where it stopped, and a configuration any of them finished is not run
again (its value and daily returns are kept in the trial's user attrs); see `search_storage`.

The result merges every configuration this call ran into one `WalkerResults` (the walker
report and `to_frame()` work on it); its overfitting check covers every configuration the
study finished, in any process (trials = distinct configurations).
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..core.registration import add_strategy, add_walker
from ..core.registry import registry
from ..reports.ranking import LOWER_IS_BETTER, research_best
from ..reports.walker import walker_report
from ..reports.walker_models import WalkerProgress, WalkerResults, WalkerStrategyResult
from ..reports.walker_overfitting import (
    WalkerOverfitting,
    daily_returns,
    overfitting_lines,
    trials_overfitting,
)
from . import search_storage
from .identity import walker_header
from .sweep import ParameterizedSignal, sweep_name

__all__ = ["MISSING_OPTUNA", "Optimization", "SearchWalker", "run_search"]

MISSING_OPTUNA = (
    "optimize() needs optuna, which is not installed: pip install 'backtestkit[optuna]'"
)


class SearchWalker(Protocol):
    """What a search runs its batches on (`WalkerMode`)."""

    def run(
        self, symbol: str, *, walker: str, workers: int = 1, dask: Any = None
    ) -> AsyncIterator[WalkerProgress]: ...


def _optuna() -> Any:
    try:
        return importlib.import_module("optuna")
    except ImportError:
        raise ImportError(MISSING_OPTUNA) from None


@dataclass(frozen=True, slots=True)
class Optimization:
    """The optuna study, every configuration tried as walker results, and their check."""

    study: Any
    results: WalkerResults
    overfitting: WalkerOverfitting

    def report(self, *, overfitting: bool = True) -> str:
        """The walker report over every configuration tried, with the overfitting check."""
        text = walker_report(self.results)
        if not overfitting:
            return text
        return "\n".join([text, "", *overfitting_lines(self.overfitting, self.results.metric)])


def _strategy(name: str, get_signal: Callable[..., Any], interval: str, params: Any) -> str:
    if not isinstance(params, Mapping) or not params:
        raise ValueError(f"optimize {name!r}: space(trial) must return a non-empty dict")
    strategy = sweep_name(name, params)
    if strategy not in registry.strategies:
        add_strategy(
            strategy,
            interval=interval,
            get_signal=ParameterizedSignal(get_signal, dict(params)),
            note=f"{name} optuna trial: {dict(params)}",
        )
    return strategy


def _batch_walker(name: str, strategies: list[str], exchange: str, frame: str, metric: str) -> str:
    key = "\n".join([exchange, frame, metric, *strategies]).encode()
    walker = f"{name}@optuna:{hashlib.sha256(key).hexdigest()[:12]}"
    if walker not in registry.walkers:
        add_walker(walker, strategies=strategies, exchange=exchange, frame=frame, metric=metric)
    return walker


def _merged(
    name: str,
    symbol: str,
    exchange: str,
    frame: str,
    metric: str,
    tried: list[WalkerStrategyResult],
) -> WalkerResults:
    chosen = research_best(
        [r.strategy_name for r in tried], [r.metric_value for r in tried], metric
    )
    best = next((r for r in tried if r.strategy_name == chosen), None)
    return WalkerResults(
        **walker_header(symbol, name, exchange, frame, metric),
        total_strategies=len(tried),
        best_strategy=None if best is None else best.strategy_name,
        best_metric=None if best is None else best.metric_value,
        best_stats=None if best is None else best.stats,
        strategy_results=tuple(reversed(tried)),
    )


def _tried_elsewhere(optuna: Any, study: Any) -> dict[str, tuple[float | None, list[float]]]:
    """strategy -> (value, daily returns) of every finished trial of the study (any process)."""
    states = optuna.trial.TrialState
    done: dict[str, tuple[float | None, list[float]]] = {}
    for trial in search_storage.counting(optuna, study.get_trials(deepcopy=False)):
        strategy, daily = trial.user_attrs.get("strategy"), trial.user_attrs.get("daily_returns")
        if strategy is None or daily is None:
            continue
        done[strategy] = (trial.value if trial.state == states.COMPLETE else None, daily)
    return done


def _study(
    optuna: Any, name: str, metric: str, sampler: Any, storage: Any, study_name: str | None
) -> Any:
    direction = "minimize" if metric in LOWER_IS_BETTER else "maximize"
    opened = search_storage.open_storage(optuna, storage)
    study = optuna.create_study(
        direction=direction,
        sampler=sampler,
        study_name=study_name or name,
        storage=opened,
        load_if_exists=opened is not None,
    )
    if study.direction.name.lower() != direction:
        raise ValueError(
            f"optimize {name!r}: study {study.study_name!r} in {storage!r} is set to "
            f"{study.direction.name.lower()}, but metric {metric!r} needs {direction}"
        )
    return study


def _ask(optuna: Any, study: Any, wanted: int, trials: int) -> list[Any]:
    """Up to `wanted` new trials, those beyond the search's `trials` told FAIL (surplus)."""
    asked = [study.ask() for _ in range(wanted)]
    for trial in asked:
        search_storage.mark_owner(trial)
    surplus = search_storage.over_budget(optuna, study, asked, trials)
    for trial in asked:
        if trial.number in surplus:
            trial.set_user_attr("surplus", True)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return [t for t in asked if t.number not in surplus]


async def run_search(
    symbol: str,
    *,
    walker_mode: SearchWalker,
    name: str,
    get_signal: Callable[..., Any],
    space: Callable[[Any], Mapping[str, Any]],
    trials: int,
    exchange: str,
    frame: str,
    interval: str,
    metric: str = "sharpe_ratio",
    batch: int = 1,
    workers: int = 1,
    dask: Any = None,
    sampler: Any = None,
    storage: Any = None,
    study_name: str | None = None,
) -> Optimization:
    """Run the search to `trials` optuna trials in batches of `batch`; see the module
    docstring. `storage` (an RDB URL, a journal file path or an optuna storage) shares the
    study `study_name` (default `name`) with other processes and keeps it for a resume."""
    optuna = _optuna()
    for field, count in (("trials", trials), ("batch", batch)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"optimize {name!r}: {field} must be an integer >= 1, got {count!r}")
    span = registry.frame(frame)
    study = _study(optuna, name, metric, sampler, storage, study_name)
    values: dict[str, float | None] = {}
    daily: dict[str, list[float]] = {}
    tried: list[WalkerStrategyResult] = []
    while True:
        with search_storage.asking(storage):
            search_storage.fail_stale(optuna, study)
            counted = len(search_storage.counting(optuna, study.get_trials(deepcopy=False)))
            if counted >= trials:
                break
            asked = _ask(optuna, study, min(batch, trials - counted), trials)
        if not asked:
            continue
        names = [_strategy(name, get_signal, interval, space(trial)) for trial in asked]
        for strategy, (value, returns) in _tried_elsewhere(optuna, study).items():
            if strategy not in values:
                values[strategy], daily[strategy] = value, returns
        fresh = [n for n in dict.fromkeys(names) if n not in values]
        if fresh:
            walker = _batch_walker(name, fresh, exchange, frame, metric)
            outcome = walker_mode.run(symbol, walker=walker, workers=workers, dask=dask)
            try:
                async for contract in outcome:
                    values[contract.strategy_name] = contract.current_metric
                    daily[contract.strategy_name] = daily_returns(
                        contract.stats, span.start_ms, span.end_ms
                    ).tolist()
                    tried.append(
                        WalkerStrategyResult(
                            strategy_name=contract.strategy_name,
                            stats=contract.stats,
                            metric_value=contract.current_metric,
                        )
                    )
            finally:
                await outcome.aclose()  # type: ignore[attr-defined]
            for strategy in fresh:
                values.setdefault(strategy, None)  # failed: no contract
        for trial, strategy in zip(asked, names, strict=True):
            trial.set_user_attr("strategy", strategy)
            value = values[strategy]
            if strategy in daily:
                trial.set_user_attr("daily_returns", daily[strategy])
            if value is None:
                trial.set_user_attr("finished", True)
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
    results = _merged(name, symbol, exchange, frame, metric, tried)
    return Optimization(study, results, _study_overfitting(optuna, study, metric, span))


def _study_overfitting(optuna: Any, study: Any, metric: str, span: Any) -> WalkerOverfitting:
    """The check over every configuration the study finished, in whichever process."""
    done = _tried_elsewhere(optuna, study)
    names = sorted(done)
    days = span.end_ms // 86_400_000 - span.start_ms // 86_400_000 + 1
    matrix = (
        np.column_stack([np.asarray(done[n][1], dtype=np.float64) for n in names])
        if names
        else np.zeros((days, 0))
    )
    return trials_overfitting(names, [done[n][0] for n in names], matrix, metric)
