"""Bounded retries of transient order errors with exponential backoff (or Retry-After)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from .errors import TransientOrderError

__all__ = ["retrying"]

T = TypeVar("T")


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    retries: int,
    delay_ms: int,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    before_retry: Callable[[], Awaitable[T | None]] | None = None,
) -> T:
    """`call()` until it does not raise TransientOrderError, at most `retries` more times.

    `before_retry` runs before each retry; what it returns (not None) is taken as the answer,
    so a create that may have reached the exchange is looked up instead of sent twice."""
    attempt = 0
    while True:
        try:
            if attempt and before_retry is not None:
                found = await before_retry()
                if found is not None:
                    return found
            return await call()
        except TransientOrderError as exc:
            if attempt >= retries:
                raise
            wait = exc.retry_after if exc.retry_after is not None else delay_ms * 2**attempt / 1000
            attempt += 1
            await sleep(wait)
