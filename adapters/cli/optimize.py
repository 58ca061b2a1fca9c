"""`backtestkit optimize`: an optuna search over the parameters of a script's function."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from backtestkit.actors import Walker
from backtestkit.actors.core import registry
from backtestkit.actors.market import CandleDataError, TableSource

from .arg_groups import passed_on
from .errors import plain_message
from .parser import UsageError

__all__ = ["optimize_command"]

# the flags handed on to `Walker.optimize` under their own names
_SEARCH_OPTIONS = "name trials exchange frame interval metric batch workers dask storage study_name"


def _function(args: argparse.Namespace, option: str, name: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = getattr(args, "script_namespace", {})
    found: Callable[..., Any] | None = namespace.get(name)
    if not callable(found):
        functions = sorted(k for k, v in namespace.items() if callable(v) and not k.startswith("_"))
        raise UsageError(
            f"{option} {name!r}: no such function in {args.script}; it defines "
            f"{', '.join(map(repr, functions)) or 'none'}"
        )
    return found


def optimize_command(args: argparse.Namespace) -> int:
    get_signal = _function(args, "--get-signal", args.get_signal)
    space = _function(args, "--space", args.space)
    try:
        registry.frame(args.frame)
        source = registry.exchange(args.exchange).candles
        if isinstance(source, TableSource):
            source.table(args.symbol, "1m")
    except (ValueError, CandleDataError, KeyError, OSError) as exc:
        raise UsageError(plain_message(exc)) from None

    async def search() -> Any:
        return await Walker.optimize(
            args.symbol,
            get_signal=get_signal,
            space=space,
            **passed_on(args, _SEARCH_OPTIONS),
        )

    found = anyio.run(search)
    study = found.study
    finished = [t for t in study.trials if t.state.name == "COMPLETE"]
    if not args.quiet:
        print(
            f"optimize {args.name}: study {study.study_name!r}: {len(finished)} trials complete, "
            f"{len(found.results.strategy_results)} configurations run by this process",
            flush=True,
        )
        if finished:
            best = study.best_trial
            print(
                f"best: trial {best.number} {best.user_attrs.get('strategy')} "
                f"{args.metric}={best.value}",
                flush=True,
            )
    if args.report is not None:
        path = Path(args.report)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(found.report(), encoding="utf-8")
        if not args.quiet:
            print(f"Markdown report: {path}", flush=True)
    return 0
