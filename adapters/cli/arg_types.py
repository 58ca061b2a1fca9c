"""Argument types shared by the subcommands' parsers."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

__all__ = ["iso_instant", "non_negative_int", "positive_int", "symbol_name"]


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1 (worker counts, warm-up lengths)."""
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    """An integer >= 0 (sample sizes, seeds)."""
    return _int_at_least(text, 0)


def symbol_name(text: str) -> str:
    """A market symbol: not empty, no surrounding spaces (a file source names its symbol)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must be a symbol such as BTCUSD, got {text!r}")
    if text != text.strip():
        raise argparse.ArgumentTypeError(f"has surrounding spaces: {text!r}")
    return text


def iso_instant(text: str) -> int:
    """An ISO 8601 date or date-time (UTC unless it names an offset), as ms since the epoch."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an ISO 8601 date or date-time such as 2026-08-17T01:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
