"""The one place the look-back window's bounds are defined (SPEC 7.1, Q8 and the safe profile).

ExchangeActor.lookback's per-candle path over a cached table inlines the same two lines for
speed; tests/unit/test_lookahead_profile.py checks it serves what this function's bounds do."""

from __future__ import annotations

__all__ = ["lookback_window"]


def lookback_window(when: int, step_ms: int, limit: int, safe: bool) -> tuple[int, int]:
    """(since, until): the stamps of the oldest and newest of `limit` candles seen at `when`.

    Reference (Q8): the newest is the candle opening at `when`, still forming. Safe: the newest
    is the last candle closed by `when` (timestamp + step <= when), for any interval.
    """
    until = when - step_ms if safe else when
    return until - step_ms * (limit - 1), until
