"""Parameter sweeps: one registered strategy per point of a parameter grid, for a walker.

`add_sweep("sma", get_signal=sma, grid={"fast": [5, 10], "slow": [20, 50]}, interval="5m")`
registers `sma[fast=5,slow=20]`, `sma[fast=5,slow=50]`, ... (itertools.product, in the grid's
key order) whose `get_signal(symbol, when)` calls `sma(symbol, when, fast=5, slow=20)`, and
returns their names for `add_walker(strategies=...)`. Each is a `ParameterizedSignal`: the
function travels to walker workers by reference and the parameters by value, so a module-level
function runs on every executor, and resume keys a configuration by its function and values.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..core.registration import add_strategy
from ..core.schemas import StrategyCallbacks

__all__ = ["ParameterizedSignal", "add_sweep", "grid_points", "sweep_name"]


@dataclass(frozen=True, slots=True, eq=False)
class ParameterizedSignal:
    """`get_signal(symbol, when)` calling `fn(symbol, when, **params)`."""

    fn: Callable[..., Any]
    params: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, symbol: str, when: datetime) -> Any:
        return self.fn(symbol, when, **self.params)


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, first key slowest (itertools.product order)."""
    if not grid:
        raise ValueError("grid: no parameters")
    for key, values in grid.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"grid: parameter name {key!r} is not a Python identifier")
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"grid: parameter {key!r} needs a non-empty list of values")
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def sweep_name(base: str, params: Mapping[str, Any]) -> str:
    """`base[k1=v1,k2=v2]` with the values' repr (strings quoted)."""
    return f"{base}[{','.join(f'{k}={v!r}' for k, v in params.items())}]"


def add_sweep(
    name: str,
    *,
    get_signal: Callable[..., Any],
    grid: Mapping[str, Sequence[Any]],
    interval: str,
    risk: str | list[str] | None = None,
    sizing: str | None = None,
    callbacks: StrategyCallbacks | Mapping[str, Any] | None = None,
    note: str = "",
) -> list[str]:
    """Register one strategy per grid point; returns their names in grid order."""
    if inspect.iscoroutinefunction(get_signal):
        raise ValueError(f"sweep {name!r}: get_signal must be a plain (not async) function")
    points = grid_points(grid)
    signature = inspect.signature(get_signal)
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    missing = [k for k in points[0] if not accepts_any and k not in signature.parameters]
    if missing:
        raise ValueError(
            f"sweep {name!r}: get_signal {getattr(get_signal, '__name__', get_signal)!r} "
            f"has no parameter(s) {', '.join(missing)}"
        )
    names = []
    for params in points:
        strategy = sweep_name(name, params)
        add_strategy(
            strategy,
            interval=interval,
            get_signal=ParameterizedSignal(get_signal, params),
            risk=risk,
            sizing=sizing,
            callbacks=callbacks,
            note=note or f"{name} sweep: {params}",
        )
        names.append(strategy)
    return names
