"""Turning exceptions into the CLI's one-line messages and exit codes."""

from __future__ import annotations

import traceback
from pathlib import Path

from backtestkit.actors.market import CandleDataError

__all__ = ["DATA_ERRORS", "one_line", "plain_message", "script_location", "unwrap"]

# Bad or missing candle data is the user's configuration, even when found during the run.
DATA_ERRORS: tuple[type[BaseException], ...] = (CandleDataError, FileNotFoundError)
_PLAIN = (ValueError, CandleDataError, FileNotFoundError, KeyError)


def one_line(text: str) -> str:
    """Collapse a (possibly multi-line) message into one line."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def unwrap(exc: BaseException) -> BaseException:
    """The single exception inside (nested) one-exception groups, else `exc` itself."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def plain_message(exc: BaseException) -> str:
    """The message alone for the errors whose text says it all, else `Type: message`."""
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    elif isinstance(exc, FileNotFoundError) and exc.filename and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}"
    else:
        text = str(exc)
    if isinstance(exc, _PLAIN) and text:
        return one_line(text)
    return one_line(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def script_location(exc: BaseException, script: Path, shown: str) -> str:
    """`shown:LINE` for the deepest frame of `exc` that ran inside the script, else `shown`."""
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        return f"{shown}:{exc.lineno}"
    target = script.resolve()
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            if Path(frame.filename).resolve() == target:
                line = frame.lineno
        except OSError:
            continue
    return shown if line is None else f"{shown}:{line}"
