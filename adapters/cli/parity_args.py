"""The arguments of `backtestkit parity` (the command itself is in parity.py)."""

from __future__ import annotations

from .arg_groups import Subcommands, add_quiet, add_reports, add_symbol

__all__ = ["add_parity_parser"]


def add_parity_parser(commands: Subcommands) -> None:
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
    add_symbol(sub, "with --strategy: which recording to check", required=False)
    sub.add_argument("--strategy", metavar="NAME")
    sub.add_argument(
        "--timeline",
        choices=("recorded", "regular"),
        default="recorded",
        help="tick the recorded instants (default) or the nominal 60 001 ms schedule",
    )
    add_reports(
        sub,
        report_help="Markdown report (default ./dump/parity/<symbol>_<strategy>.md)",
        html_help="HTML report (default next to the Markdown one)",
    )
    add_quiet(sub, "print nothing; the exit code tells")
