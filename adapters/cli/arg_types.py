"""Argument types shared by the subcommands' parsers."""

from __future__ import annotations

import argparse

__all__ = ["positive_int", "symbol_name"]


def positive_int(text: str) -> int:
    """An integer >= 1 (worker counts, warm-up lengths)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def symbol_name(text: str) -> str:
    """A market symbol: not empty, no surrounding spaces (a file source names its symbol)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must be a symbol such as BTCUSD, got {text!r}")
    if text != text.strip():
        raise argparse.ArgumentTypeError(f"has surrounding spaces: {text!r}")
    return text
