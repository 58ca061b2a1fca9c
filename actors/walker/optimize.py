"""An optuna search whose trials run on the Walker (extra `optuna`, imported when called).

`await optimize("BTCUSD", name="dip", get_signal=dip, space=space, trials=40, batch=4, ...)`
asks optuna for `batch` trials at a time; `space(trial)` returns a trial's parameters (with
`trial.suggest_*`), each becomes a strategy `name[k=v,...]` calling `get_signal(symbol, when,
**params)` (a `ParameterizedSignal`, as in `add_sweep`), the batch's new configurations run as
one walker (`<name>@optuna:<hash>`) on the chosen executor (`workers=N`: one process each), and
each trial is told its strategy's walker metric (maximised; `max_drawdown` minimised; a trial
without a metric value is told FAIL). A configuration proposed again is not run again.

The result merges every configuration tried into one `WalkerResults` (the walker report and
`to_frame()` work on it) and its overfitting check, with trials = distinct configurations.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.registration import add_strategy, add_walker
from ..core.registry import registry
from ..reports.ranking import LOWER_IS_BETTER, is_better
from ..reports.walker import walker_report
from ..reports.walker_models import WalkerResults, WalkerStrategyResult
from ..reports.walker_overfitting import WalkerOverfitting, overfitting_lines, walker_overfitting
from .facade import Walker, WalkerMode
from .sweep import ParameterizedSignal, sweep_name

__all__ = ["MISSING_OPTUNA", "Optimization", "optimize"]

MISSING_OPTUNA = (
    "optimize() needs optuna, which is not installed: pip install 'backtestkit[optuna]'"
)


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
    best: WalkerStrategyResult | None = None
    for result in tried:
        if is_better(result.metric_value, None if best is None else best.metric_value, metric):
            best = result
    return WalkerResults(
        walker_name=name,
        symbol=symbol,
        exchange_name=exchange,
        frame_name=frame,
        metric=metric,
        total_strategies=len(tried),
        best_strategy=None if best is None else best.strategy_name,
        best_metric=None if best is None else best.metric_value,
        best_stats=None if best is None else best.stats,
        strategy_results=tuple(reversed(tried)),
    )


async def optimize(
    symbol: str,
    *,
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
    walker_mode: WalkerMode = Walker,
) -> Optimization:
    """Run `trials` optuna trials in batches of `batch`; see the module docstring."""
    optuna = _optuna()
    for field, count in (("trials", trials), ("batch", batch)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"optimize {name!r}: {field} must be an integer >= 1, got {count!r}")
    direction = "minimize" if metric in LOWER_IS_BETTER else "maximize"
    study = optuna.create_study(direction=direction, sampler=sampler, study_name=name)
    values: dict[str, float | None] = {}
    tried: list[WalkerStrategyResult] = []
    while len(study.trials) < trials:
        asked = [study.ask() for _ in range(min(batch, trials - len(study.trials)))]
        names = [_strategy(name, get_signal, interval, space(trial)) for trial in asked]
        fresh = [n for n in dict.fromkeys(names) if n not in values]
        if fresh:
            walker = _batch_walker(name, fresh, exchange, frame, metric)
            outcome = walker_mode.run(symbol, walker=walker, workers=workers, dask=dask)
            try:
                async for contract in outcome:
                    values[contract.strategy_name] = contract.current_metric
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
            value = values[strategy]
            if value is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
    results = _merged(name, symbol, exchange, frame, metric, tried)
    span = registry.frame(frame)
    return Optimization(study, results, walker_overfitting(results, span.start_ms, span.end_ms))
