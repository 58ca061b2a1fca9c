"""The `backtestkit` command line: `backtest`, `walk` and `live` on a script that registers
schemas (API.md "Command line"). `python -m backtestkit.adapters.cli` runs it too."""

from .main import main
from .parser import UsageError, build_parser

__all__ = ["UsageError", "build_parser", "main"]
