"""The argparse parser of `backtestkit backtest | walk | live | analyze` (API.md "Command line")."""

from __future__ import annotations

import argparse
from importlib import metadata
from typing import NoReturn

from .analyze_args import add_analyze_parser
from .arg_groups import add_exchange, add_executors, add_quiet, add_reports, add_script
from .arg_types import symbol_name
from .exchange_sim_args import add_exchange_sim_parser
from .live_args import add_broker_arguments, add_replay_arguments
from .optimize_args import add_optimize_parser
from .parity_args import add_parity_parser

__all__ = ["UsageError", "build_parser"]

PROG = "backtestkit"


class UsageError(Exception):
    """A usage or configuration error: exit code 2, its message as the one line on stderr."""


class _Parser(argparse.ArgumentParser):
    """Reports a usage error as one line (the caller prints it) instead of usage + exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _common(sub: argparse.ArgumentParser, *, many: bool = False) -> None:
    add_script(sub)
    help_text = (
        "symbol to trade, e.g. BTCUSD; a candle file declared for another symbol "
        "(CsvCandles(path, symbol=...)) refuses it"
    )
    if many:
        sub.add_argument(
            "--symbol",
            required=True,
            type=symbol_name,
            metavar="S",
            action="append",
            help=help_text + "; repeat it for a portfolio on one clock",
        )
        return
    sub.add_argument("--symbol", required=True, type=symbol_name, metavar="S", help=help_text)


def _outputs(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--jsonl",
        metavar="FILE",
        help="write each result's to_dict() as one JSON line, flushed as it goes ('-': stdout)",
    )
    add_reports(
        sub,
        report_help="write the Markdown report",
        html_help="write the HTML report (interactive charts with extra 'plot', else tables)",
    )
    add_quiet(sub, "no progress bar, no summary, warnings only in logs")


def _version() -> str:
    try:
        return metadata.version("backtestkit")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Backtest, compare (walk) or run live the strategies a script registers.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    backtest = commands.add_parser("backtest", help="replay a frame of history for one strategy")
    _common(backtest, many=True)
    backtest.add_argument(
        "--capital",
        type=float,
        metavar="MONEY",
        help="starting capital in the quote currency: a portfolio with one cash account",
    )
    backtest.add_argument("--strategy", required=True, metavar="NAME")
    add_exchange(backtest, frame=True)
    backtest.add_argument(
        "--allow-rejected",
        action="store_true",
        help="exit 0 even when the run rejected signals and closed none (default: exit 3)",
    )
    _outputs(backtest)

    walk = commands.add_parser("walk", help="backtest a walker's strategies and rank them")
    _common(walk)
    walk.add_argument("--walker", required=True, metavar="NAME")
    add_executors(walk)
    walk.add_argument(
        "--resume", metavar="DIR", help="keep finished strategies' results; a re-run skips them"
    )
    _outputs(walk)

    live = commands.add_parser(
        "live",
        help="trade in real time, one tick a minute, until Ctrl-C; or paper-trade a replay",
        description="Run a strategy live: one tick every 60 001 ms on the wall clock until "
        "Ctrl-C (or until the feed served no new candle for CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES "
        "minutes, default 15: exit 1), or with --replay-from a paper session on a virtual "
        "clock over the exchange's own candles that ends by itself (then check it with "
        "'backtestkit parity STATE_DIR --script SCRIPT.py').",
    )
    _common(live)
    live.add_argument("--strategy", required=True, metavar="NAME")
    add_exchange(live, frame=False)
    live.add_argument(
        "--state-dir", metavar="DIR", help="where live state is persisted (default ./dump/data)"
    )
    add_replay_arguments(live)
    add_broker_arguments(live)
    live.add_argument("--jsonl", metavar="FILE", help="also write each result as one JSON line")
    live.add_argument(
        "--report",
        metavar="FILE.md",
        help="when the run ends: the Markdown report (default for a replay: "
        "./dump/live/<strategy>.md)",
    )
    add_quiet(live, "do not print each result")
    live.add_argument(
        "--adopt",
        action="store_true",
        help="take over persisted signals saved under another exchange, strategy or symbol name",
    )
    add_parity_parser(commands)
    add_analyze_parser(commands)
    add_optimize_parser(commands)
    add_exchange_sim_parser(commands)
    return parser
