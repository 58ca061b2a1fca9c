"""The arguments of `backtestkit optimize` (the command itself is in `optimize`)."""

from __future__ import annotations

from typing import Any

from .arg_types import positive_int, symbol_name

__all__ = ["add_optimize_parser"]


def add_optimize_parser(commands: Any) -> None:
    """`optimize SCRIPT.py --symbol S --name N --get-signal FN --space FN --trials N ...`."""
    search = commands.add_parser(
        "optimize", help="an optuna search over a strategy's parameters, shareable by processes"
    )
    search.add_argument("script", metavar="SCRIPT.py", help="Python file that registers schemas")
    search.add_argument(
        "--symbol", required=True, type=symbol_name, metavar="S", help="symbol, e.g. BTCUSD"
    )
    search.add_argument("--name", required=True, metavar="NAME", help="name of the search")
    search.add_argument(
        "--get-signal",
        required=True,
        metavar="FUNCTION",
        help="the script's function get_signal(symbol, when, **params)",
    )
    search.add_argument(
        "--space",
        required=True,
        metavar="FUNCTION",
        help="the script's function space(trial) -> dict of parameters (trial.suggest_*)",
    )
    search.add_argument(
        "--trials", required=True, type=positive_int, metavar="N", help="trials of the search"
    )
    search.add_argument("--exchange", required=True, metavar="NAME")
    search.add_argument("--frame", required=True, metavar="NAME")
    search.add_argument("--interval", required=True, metavar="INTERVAL", help="e.g. 5m")
    search.add_argument("--metric", default="sharpe_ratio", metavar="METRIC")
    search.add_argument(
        "--batch", type=positive_int, default=1, metavar="N", help="trials run as one walker"
    )
    executors = search.add_mutually_exclusive_group()
    executors.add_argument(
        "--workers", type=positive_int, default=1, metavar="N", help="run in N local processes"
    )
    executors.add_argument("--dask", metavar="ADDRESS", help="run on a Dask scheduler")
    search.add_argument(
        "--storage",
        metavar="URL_OR_FILE",
        help="optuna storage shared by every process of the search: an RDB URL "
        "(sqlite:///search.db) or a journal file; a stopped search resumes from it",
    )
    search.add_argument(
        "--study-name", metavar="NAME", help="the study in the storage (default: --name)"
    )
    search.add_argument(
        "--report", metavar="FILE.md", help="write the walker report with the overfitting check"
    )
    search.add_argument("--quiet", action="store_true", help="no summary, warnings only in logs")
