"""The arguments of `backtestkit parity` (the command itself is in parity.py)."""

from __future__ import annotations

import argparse

from .arg_types import symbol_name

__all__ = ["add_parity_parser"]


def add_parity_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser(
        "parity", help="replay a live recording as a backtest and diff every signal"
    )
    sub.add_argument("state_dir", metavar="STATE_DIR", help="the live run's --state-dir")
    sub.add_argument(
        "--script",
        required=True,
        metavar="SCRIPT.py",
        help="the Python file that registered the live strategy",
    )
    sub.add_argument(
        "--symbol",
        type=symbol_name,
        metavar="S",
        help="with --strategy: which recording to check",
    )
    sub.add_argument("--strategy", metavar="NAME")
    sub.add_argument(
        "--timeline",
        choices=("recorded", "regular"),
        default="recorded",
        help="tick the recorded instants (default) or the nominal 60 001 ms schedule",
    )
    sub.add_argument(
        "--report",
        metavar="FILE.md",
        help="Markdown report (default ./dump/parity/<symbol>_<strategy>.md)",
    )
    sub.add_argument(
        "--html", metavar="FILE.html", help="HTML report (default next to the Markdown one)"
    )
    sub.add_argument("--quiet", action="store_true", help="print nothing; the exit code tells")
