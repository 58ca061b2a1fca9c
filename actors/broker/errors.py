"""Typed order errors: what a broker raises and how the broker actor treats each."""

from __future__ import annotations

__all__ = ["BrokerError", "OrderRejected", "PositionMismatch", "TransientOrderError"]


class BrokerError(Exception):
    """Any broker failure; published on the bus's error topic."""


class TransientOrderError(BrokerError):
    """Network, timeout, HTTP 5xx or rate limit: retried with backoff, then reported.
    `retry_after` (seconds) is the exchange's Retry-After when it sent one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OrderRejected(BrokerError):
    """The exchange (or the pre-send checks) refused the order: insufficient balance, below
    the minimum amount or cost, unknown symbol. Never retried; the signal is closed with it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PositionMismatch(BrokerError):
    """The exchange's position differs from what the engine persisted; entries are blocked."""
