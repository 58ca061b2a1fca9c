"""`backtestkit` entry point: exit 0 on success, 2 on a usage or configuration error (one line
on stderr, no traceback), 1 on a failure while running, 3 when a backtest rejected signals and
closed none, 130 when interrupted."""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence

from backtestkit.actors import configure_logging

from .commands import COMMANDS
from .errors import DATA_ERRORS, plain_message, unwrap
from .parser import PROG, UsageError, build_parser
from .script import load_script

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _say(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


def _logging(quiet: bool) -> None:
    """Configured once (pretty on a terminal, JSON lines otherwise); --quiet keeps warnings
    and above unless BACKTESTKIT_LOG_LEVEL says otherwise."""
    if quiet and not os.environ.get("BACKTESTKIT_LOG_LEVEL"):
        configure_logging("warning", force=True)
    else:
        configure_logging()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM stops a command as Ctrl-C does
    try:
        args = build_parser().parse_args(argv)
        _logging(bool(getattr(args, "quiet", False)))
        if getattr(args, "script", None) is not None:  # exchange-sim runs no script
            args.script_namespace = load_script(args.script)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        _say(str(exc))
        return EXIT_USAGE
    except (Exception, KeyboardInterrupt, BaseExceptionGroup) as exc:
        return _failure(unwrap(exc))


def _failure(error: BaseException) -> int:
    if isinstance(error, KeyboardInterrupt):
        print(f"{PROG}: interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    if isinstance(error, DATA_ERRORS):
        _say(plain_message(error))
        return EXIT_USAGE
    if os.environ.get("BACKTESTKIT_LOG_LEVEL", "").lower() == "debug":
        traceback.print_exception(error)
    _say(f"run failed: {plain_message(error)}")
    return EXIT_FAILED
