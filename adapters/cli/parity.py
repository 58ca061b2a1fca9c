"""`backtestkit parity STATE_DIR --script SCRIPT.py`: replay a live recording as a backtest of the
strategy the script registers and diff every signal. Exit 0 when parity holds, 1 when a signal
(or a restart) differs, as diff(1) does; 2 on a usage error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from backtestkit.actors import parity

from ..reports.parity_html import write_parity_html
from .errors import plain_message
from .parser import UsageError

__all__ = ["parity_command"]


def parity_command(args: argparse.Namespace) -> int:
    if (args.symbol is None) != (args.strategy is None):
        raise UsageError("parity: give --symbol and --strategy together (or neither)")
    if not Path(args.state_dir).is_dir():
        raise UsageError(f"state dir not found: {args.state_dir}")
    try:
        result = parity(
            args.state_dir, symbol=args.symbol, strategy=args.strategy, timeline=args.timeline
        )
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(plain_message(exc)) from None
    markdown = result.dump(args.report)
    html = write_parity_html(
        result, args.html if args.html is not None else markdown.with_suffix(".html")
    )
    if not args.quiet:
        print(result.first_divergence())
        print(f"Markdown report: {markdown}\nHTML report: {html}", file=sys.stdout)
    return 0 if result.ok else 1
