"""Arguments several subcommands share, each added by one function."""

from __future__ import annotations

import argparse
from typing import Any, Protocol

from .arg_types import positive_int, symbol_name

__all__ = [
    "Subcommands",
    "add_exchange",
    "add_executors",
    "add_quiet",
    "add_reports",
    "add_script",
    "add_symbol",
    "passed_on",
]


def passed_on(args: argparse.Namespace, names: str) -> dict[str, Any]:
    """The parsed values of the space-separated `names`, keyed by the same names: the keyword
    arguments a command hands on to the engine as given."""
    return {name: getattr(args, name) for name in names.split()}


class Subcommands(Protocol):
    """What `ArgumentParser.add_subparsers()` returns, whatever its parser class."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def add_script(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("script", metavar="SCRIPT.py", help="Python file that registers schemas")


def add_symbol(sub: argparse.ArgumentParser, help_text: str, *, required: bool = True) -> None:
    sub.add_argument("--symbol", required=required, type=symbol_name, metavar="S", help=help_text)


def add_exchange(sub: argparse.ArgumentParser, *, frame: bool) -> None:
    """`--exchange NAME [--frame NAME]`, required: registered schema names."""
    sub.add_argument("--exchange", required=True, metavar="NAME")
    if frame:
        sub.add_argument("--frame", required=True, metavar="NAME")


def add_executors(sub: argparse.ArgumentParser) -> None:
    """`--workers N` or `--dask ADDRESS`: where a walker's strategies run."""
    executors = sub.add_mutually_exclusive_group()
    executors.add_argument(
        "--workers", type=positive_int, default=1, metavar="N", help="run in N local processes"
    )
    executors.add_argument("--dask", metavar="ADDRESS", help="run on a Dask scheduler")


def add_reports(sub: argparse.ArgumentParser, *, report_help: str, html_help: str) -> None:
    sub.add_argument("--report", metavar="FILE.md", help=report_help)
    sub.add_argument("--html", metavar="FILE.html", help=html_help)


def add_quiet(sub: argparse.ArgumentParser, help_text: str) -> None:
    sub.add_argument("--quiet", action="store_true", help=help_text)
