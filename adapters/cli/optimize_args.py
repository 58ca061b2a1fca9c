"""The arguments of `backtestkit optimize` (the command itself is in `optimize`)."""

from __future__ import annotations

from .arg_groups import (
    Subcommands,
    add_exchange,
    add_executors,
    add_quiet,
    add_script,
    add_symbol,
)
from .arg_types import positive_int

__all__ = ["add_optimize_parser"]


def add_optimize_parser(commands: Subcommands) -> None:
    """`optimize SCRIPT.py --symbol S --name N --get-signal FN --space FN --trials N ...`."""
    search = commands.add_parser(
        "optimize", help="an optuna search over a strategy's parameters, shareable by processes"
    )
    add_script(search)
    add_symbol(search, "symbol, e.g. BTCUSD")
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
    add_exchange(search, frame=True)
    search.add_argument("--interval", required=True, metavar="INTERVAL", help="e.g. 5m")
    search.add_argument("--metric", default="sharpe_ratio", metavar="METRIC")
    search.add_argument(
        "--batch", type=positive_int, default=1, metavar="N", help="trials run as one walker"
    )
    add_executors(search)
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
    add_quiet(search, "no summary, warnings only in logs")
