"""Is the best of many configurations noise? Deflated Sharpe ratio and PBO (CSCV).

Deflated Sharpe ratio (Bailey & Lopez de Prado, "The Deflated Sharpe Ratio", 2014). With `SR`
the per-period Sharpe ratio of the chosen strategy (mean / sample std, ddof=1) over `T` returns
of skewness `g3` and kurtosis `g4` (population moments, normal = 3), `N` configurations tried
and `V` the variance of their Sharpe ratios:

    SR0 = sqrt(V) x ((1 - e) x Z^-1(1 - 1/N) + e x Z^-1(1 - 1/(N x E)))
    DSR = Z((SR - SR0) x sqrt(T - 1) / sqrt(1 - g3 x SR + (g4 - 1) / 4 x SR^2))

`Z` the standard normal CDF, `e` the Euler-Mascheroni constant, `E` Euler's number. `SR0` is
the expected maximum Sharpe ratio of `N` skill-less trials; DSR is the probability that the true
Sharpe ratio exceeds it (above 0.95: the edge survives the search).

Probability of backtest overfitting (Bailey, Borwein, Lopez de Prado & Zhu, 2015),
combinatorially symmetric cross-validation: the `T x N` matrix of per-period returns of `N`
configurations is cut into `S` (even) consecutive blocks of rows; for each of the C(S, S/2)
choices of half the blocks as in-sample (the rest out-of-sample), the configuration with the
best in-sample Sharpe ratio is ranked among all N out-of-sample (`w` = rank / (N + 1), rank 1
the worst, ties averaged) and `logit = ln(w / (1 - w))`. PBO is the share of choices with
`logit <= 0`: the in-sample winner did no better than the median out of sample.

Ties for the in-sample best (strategies that never traded all have Sharpe 0) would make the
winner depend on the column order. Each of the `k` tied configurations is the winner with
weight 1/k instead: a split adds the share of them whose logit is <= 0 to the PBO count, and
its reported logit is that of their mean `w`. PBO is then the same for any column order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations, pairwise
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

__all__ = [
    "EULER_MASCHERONI",
    "Overfitting",
    "SharpeMoments",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "probability_of_backtest_overfitting",
    "sharpe_moments",
]

EULER_MASCHERONI = 0.5772156649015329
_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True)
class SharpeMoments:
    """Per-period Sharpe ratio of a return series and the moments DSR needs."""

    sharpe: float
    observations: int
    skewness: float
    kurtosis: float


def sharpe_moments(returns: npt.ArrayLike) -> SharpeMoments:
    """Sharpe (ddof=1), skewness and kurtosis (population moments) of at least 2 returns."""
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 1 or r.size < 2:
        raise ValueError(f"returns: need a 1-d series of at least 2 values, got shape {r.shape}")
    centred = r - r.mean()
    m2 = float(np.mean(centred**2))
    if m2 == 0:
        raise ValueError("returns: constant series, the Sharpe ratio is undefined")
    return SharpeMoments(
        sharpe=float(r.mean() / r.std(ddof=1)),
        observations=int(r.size),
        skewness=float(np.mean(centred**3)) / m2**1.5,
        kurtosis=float(np.mean(centred**4)) / m2**2,
    )


def expected_max_sharpe(trials: int, sharpe_variance: float) -> float:
    """SR0: the expected maximum Sharpe ratio of `trials` skill-less configurations."""
    if trials < 2:
        raise ValueError(f"trials must be >= 2, got {trials}")
    if sharpe_variance < 0:
        raise ValueError(f"sharpe_variance must be >= 0, got {sharpe_variance}")
    first = _NORMAL.inv_cdf(1 - 1 / trials)
    second = _NORMAL.inv_cdf(1 - 1 / (trials * math.e))
    return math.sqrt(sharpe_variance) * ((1 - EULER_MASCHERONI) * first + EULER_MASCHERONI * second)


def deflated_sharpe_ratio(
    sharpe: float,
    *,
    observations: int,
    trials: int,
    sharpe_variance: float,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """DSR of a per-period Sharpe ratio chosen as the best of `trials` configurations."""
    if observations < 2:
        raise ValueError(f"observations must be >= 2, got {observations}")
    benchmark = expected_max_sharpe(trials, sharpe_variance)
    spread = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if spread <= 0:
        raise ValueError(f"skewness/kurtosis give a non-positive variance term ({spread})")
    z = (sharpe - benchmark) * math.sqrt(observations - 1) / math.sqrt(spread)
    return _NORMAL.cdf(z)


@dataclass(frozen=True, slots=True)
class Overfitting:
    """PBO and its parts: one logit per in-sample / out-of-sample split."""

    pbo: float
    logits: tuple[float, ...]
    splits: int


def _block_sharpes(
    sums: npt.NDArray[np.float64], squares: npt.NDArray[np.float64], rows: int
) -> npt.NDArray[np.float64]:
    mean = sums / rows
    variance = (squares - rows * mean**2) / (rows - 1)
    std = np.sqrt(np.maximum(variance, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        flat = np.where(mean == 0, 0.0, np.sign(mean) * np.inf)  # no spread: 0 or +/-inf
        return np.where(std > 0, mean / std, flat)


def _rank(values: npt.NDArray[np.float64], chosen: int) -> float:
    """1-based rank of values[chosen] (1 = lowest), ties averaged."""
    lower = int(np.sum(values < values[chosen]))
    equal = int(np.sum(values == values[chosen]))
    return lower + (equal + 1) / 2


def probability_of_backtest_overfitting(returns: npt.ArrayLike, blocks: int = 16) -> Overfitting:
    """PBO by CSCV of a `T x N` matrix of per-period returns (rows: periods, columns: trials)."""
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ValueError(f"returns: need a T x N matrix with N >= 2 trials, got shape {m.shape}")
    if blocks < 2 or blocks % 2:
        raise ValueError(f"blocks must be an even number >= 2, got {blocks}")
    if m.shape[0] < 2 * blocks:
        raise ValueError(f"returns: {m.shape[0]} rows are too few for {blocks} blocks of >= 2")
    if not np.all(np.isfinite(m)):
        raise ValueError("returns: NaN or infinite values")
    edges = np.linspace(0, m.shape[0], blocks + 1).astype(int)
    parts = [m[a:b] for a, b in pairwise(edges)]
    sums = np.array([p.sum(axis=0) for p in parts])
    squares = np.array([(p**2).sum(axis=0) for p in parts])
    counts = np.array([len(p) for p in parts])
    chosen = np.array(list(combinations(range(blocks), blocks // 2)))
    mask = np.zeros((len(chosen), blocks))
    np.put_along_axis(mask, chosen, 1.0, axis=1)
    outside = 1.0 - mask
    n = m.shape[1]
    logits = []
    overfit = 0.0
    for inside_row, outside_row in zip(mask, outside, strict=True):
        is_sharpe = _block_sharpes(
            inside_row @ sums, inside_row @ squares, int(inside_row @ counts)
        )
        oos_sharpe = _block_sharpes(
            outside_row @ sums, outside_row @ squares, int(outside_row @ counts)
        )
        winners = np.flatnonzero(is_sharpe == is_sharpe.max())
        ranks = [_rank(oos_sharpe, int(k)) / (n + 1) for k in winners]
        overfit += sum(1 for w in ranks if w <= 0.5) / len(ranks)
        w = sum(ranks) / len(ranks)
        logits.append(math.log(w / (1 - w)))
    return Overfitting(pbo=overfit / len(logits), logits=tuple(logits), splits=len(logits))
