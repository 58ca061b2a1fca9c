"""The arguments of `backtestkit analyze bias` (the command itself is in `analyze`)."""

from __future__ import annotations

from .arg_groups import Subcommands, add_exchange, add_quiet, add_script, add_symbol
from .arg_types import non_negative_int, positive_int

__all__ = ["add_analyze_parser"]


def add_analyze_parser(commands: Subcommands) -> None:
    """`analyze bias SCRIPT.py --symbol S --strategy NAME [--strategy NAME ...] ...`."""
    analyze = commands.add_parser("analyze", help="check strategies for look-ahead bias")
    kinds = analyze.add_subparsers(dest="analysis", metavar="ANALYSIS", parser_class=type(analyze))
    kinds.required = True
    bias = kinds.add_parser(
        "bias",
        help="ask each opened signal's get_signal again on history cut at its time",
    )
    add_script(bias)
    add_symbol(bias, "symbol, e.g. BTCUSD")
    bias.add_argument(
        "--strategy", required=True, action="append", metavar="NAME", help="repeat for several"
    )
    add_exchange(bias, frame=True)
    bias.add_argument(
        "--warmup",
        type=positive_int,
        action="append",
        metavar="MINUTES",
        help="also re-run with only this much history (repeatable; default 1440); the full "
        "history is always checked",
    )
    bias.add_argument(
        "--profile",
        choices=("safe", "reference"),
        default="safe",
        help="look-ahead profile of the check (default safe)",
    )
    bias.add_argument(
        "--workers", type=positive_int, default=2, metavar="N", help="worker processes"
    )
    bias.add_argument(
        "--idle-sample",
        type=non_negative_int,
        default=2000,
        metavar="N",
        help="also re-ask N instants where the backtest got no signal (seeded; default 2000), "
        "besides those within one interval before each opened signal",
    )
    bias.add_argument(
        "--seed", type=non_negative_int, default=0, metavar="N", help="seed of that sample"
    )
    bias.add_argument("--jsonl", metavar="FILE", help="one JSON line per strategy ('-': stdout)")
    bias.add_argument(
        "--fail-on-bias", action="store_true", help="exit 1 when any strategy's signals change"
    )
    add_quiet(bias, "warnings only in the logs")
