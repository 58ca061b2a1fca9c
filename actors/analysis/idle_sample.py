"""Which "no signal" instants of the baseline the bias analyzer asks again.

A strategy that peeks at the future only to skip trades (drop an entry the next candles show
losing) never changes a signal it opened: it answers None where, without the future, it would
open one. So the analyzer also asks get_signal again at instants where the baseline answered
None: a seeded uniform sample of them (default 2 000), plus every such instant within one
strategy interval before each opened signal (where a skipped entry most often sits: the
strategy wanted in one step earlier). A changed "None -> signal" answer is reported like a
changed signal. These instants are asked with the first history length only (by default the
whole history): a peek at the future shows in any cut, and the shorter warm-ups, which probe
look-backs, are asked at every opened signal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_IDLE_SAMPLE", "DEFAULT_IDLE_SEED", "idle_instants"]

DEFAULT_IDLE_SAMPLE = 2000
DEFAULT_IDLE_SEED = 0


def idle_instants(
    idle: npt.NDArray[np.int64],
    opened: Sequence[int],
    interval_ms: int,
    *,
    sample: int = DEFAULT_IDLE_SAMPLE,
    seed: int = DEFAULT_IDLE_SEED,
) -> npt.NDArray[np.int64]:
    """Ascending unique times from `idle` (ascending): `sample` drawn without replacement
    (all when fewer) with `numpy.random.default_rng(seed)`, and every one in
    `[t - interval_ms, t)` for each opened time `t`."""
    if idle.size == 0:
        return idle
    picked = (
        idle
        if sample >= idle.size
        else np.random.default_rng(seed).choice(idle, size=sample, replace=False)
    )
    starts = np.asarray(opened, dtype=np.int64)
    lo = np.searchsorted(idle, starts - interval_ms, side="left")
    hi = np.searchsorted(idle, starts, side="left")
    near = [idle[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True) if b > a]
    return np.unique(np.concatenate([picked, *near]))
