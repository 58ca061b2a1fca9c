"""Deflated Sharpe ratio and PBO (CSCV) against hand formulas and the papers' numbers."""

from __future__ import annotations

import itertools
import math
import statistics
from itertools import combinations

import numpy as np
import pytest

from backtestkit.actors.reports.overfitting import (
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probability_of_backtest_overfitting,
    sharpe_moments,
)

PHI = statistics.NormalDist()

RETURNS = [0.012, -0.004, 0.007, 0.021, -0.015, 0.003, 0.009, -0.002, 0.016, -0.008]


def test_paper_example_numbers() -> None:
    """Bailey & Lopez de Prado (2014), numerical example: annual SR 2.5 over 1250 days, 100
    trials with annual Sharpe variance 1/2, skew -3, kurtosis 10: SR0 = 0.1132, DSR = 0.9004."""
    sr0 = expected_max_sharpe(100, 0.5 / 250)
    assert round(sr0, 4) == 0.1132
    dsr = deflated_sharpe_ratio(
        2.5 / math.sqrt(250),
        observations=1250,
        trials=100,
        sharpe_variance=0.5 / 250,
        skewness=-3,
        kurtosis=10,
    )
    assert round(dsr, 4) == 0.9004


def test_moments_and_dsr_match_the_hand_formula() -> None:
    n = len(RETURNS)
    mean = sum(RETURNS) / n
    sd_sample = math.sqrt(sum((r - mean) ** 2 for r in RETURNS) / (n - 1))
    m2 = sum((r - mean) ** 2 for r in RETURNS) / n
    m3 = sum((r - mean) ** 3 for r in RETURNS) / n
    m4 = sum((r - mean) ** 4 for r in RETURNS) / n
    sr, skew, kurt = mean / sd_sample, m3 / m2**1.5, m4 / m2**2
    # mean = 0.039 / 10 by hand.
    assert mean == pytest.approx(0.0039, abs=1e-15)

    moments = sharpe_moments(RETURNS)
    assert moments.observations == 10
    assert abs(moments.sharpe - sr) <= 1e-9
    assert abs(moments.skewness - skew) <= 1e-9
    assert abs(moments.kurtosis - kurt) <= 1e-9

    trials, variance = 25, 0.04
    gamma = 0.5772156649015329
    sr0 = math.sqrt(variance) * (
        (1 - gamma) * PHI.inv_cdf(1 - 1 / trials) + gamma * PHI.inv_cdf(1 - 1 / (trials * math.e))
    )
    hand = PHI.cdf(
        (sr - sr0) * math.sqrt(n - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    )
    ours = deflated_sharpe_ratio(
        moments.sharpe,
        observations=n,
        trials=trials,
        sharpe_variance=variance,
        skewness=moments.skewness,
        kurtosis=moments.kurtosis,
    )
    assert abs(ours - hand) <= 1e-9
    assert abs(expected_max_sharpe(trials, variance) - sr0) <= 1e-9
    # Normal returns, no trials' spread: DSR is the plain probabilistic SR against 0.
    assert deflated_sharpe_ratio(0.0, observations=50, trials=10, sharpe_variance=0.0) == 0.5


def _hand_pbo(matrix: list[list[float]], blocks: int) -> tuple[float, list[float]]:
    """CSCV written out with lists and the statistics module."""
    rows = len(matrix)
    size = rows // blocks
    parts = [list(range(b * size, (b + 1) * size)) for b in range(blocks)]
    strategies = len(matrix[0])
    logits = []
    for inside in combinations(range(blocks), blocks // 2):
        is_rows = [r for b in inside for r in parts[b]]
        oos_rows = [r for b in range(blocks) if b not in inside for r in parts[b]]

        def sharpe(rows_: list[int], k: int) -> float:
            column = [matrix[r][k] for r in rows_]
            return statistics.fmean(column) / statistics.stdev(column)

        is_sr = [sharpe(is_rows, k) for k in range(strategies)]
        oos_sr = [sharpe(oos_rows, k) for k in range(strategies)]
        best = is_sr.index(max(is_sr))
        rank = 1 + sum(1 for v in oos_sr if v < oos_sr[best])
        w = rank / (strategies + 1)
        logits.append(math.log(w / (1 - w)))
    return sum(1 for v in logits if v <= 0) / len(logits), logits


MATRIX = [
    [0.014, -0.013, 0.005],
    [-0.001, -0.001, 0.001],
    [-0.010, 0.001, -0.003],
    [0.022, 0.003, 0.000],
    [0.000, -0.002, -0.004],
    [0.000, 0.005, 0.001],
    [0.008, 0.001, 0.002],
    [0.011, 0.005, -0.001],
]


def test_pbo_matches_the_hand_cscv() -> None:
    hand_pbo, hand_logits = _hand_pbo(MATRIX, 4)
    ours = probability_of_backtest_overfitting(MATRIX, blocks=4)
    assert ours.splits == 6  # C(4, 2)
    assert len(ours.logits) == 6
    for mine, theirs in zip(ours.logits, hand_logits, strict=True):
        assert abs(mine - theirs) <= 1e-9
    assert abs(ours.pbo - hand_pbo) <= 1e-9
    # The in-sample winner ranks 3rd, 2nd, 2nd, 1st, 1st, 3rd of 3 out of sample: 4 of the 6
    # splits have logit <= 0.
    assert ours.pbo == pytest.approx(4 / 6, abs=1e-12)
    assert [round(v, 9) for v in ours.logits] == [
        round(math.log(x), 9) for x in (3, 1, 1, 1 / 3, 1 / 3, 3)
    ]
    # Every logit is one of ln(1/3), 0, ln(3) (ranks 1, 2, 3 of 3 over N + 1 = 4).
    assert all(
        min(abs(v - x) for x in (math.log(1 / 3), 0.0, math.log(3))) < 1e-12 for v in ours.logits
    )


def test_pbo_of_random_walks_is_high_and_a_planted_edge_is_low() -> None:
    rng = np.random.default_rng(20140601)
    noise = rng.normal(0.0, 0.01, size=(1000, 200))
    assert probability_of_backtest_overfitting(noise).pbo >= 0.4
    planted = noise.copy()
    planted[:, 123] += 0.0015  # a per-period Sharpe of 0.15 in one of 200 configurations
    assert probability_of_backtest_overfitting(planted).pbo <= 0.1


def test_bad_inputs_name_the_problem() -> None:
    with pytest.raises(ValueError, match="blocks must be an even number"):
        probability_of_backtest_overfitting(MATRIX, blocks=3)
    with pytest.raises(ValueError, match="8 rows are too few for 16 blocks"):
        probability_of_backtest_overfitting(MATRIX)
    with pytest.raises(ValueError, match="N >= 2 trials"):
        probability_of_backtest_overfitting([[1.0], [2.0]])
    with pytest.raises(ValueError, match="trials must be >= 2"):
        expected_max_sharpe(1, 0.1)
    with pytest.raises(ValueError, match="constant series"):
        sharpe_moments([0.01, 0.01, 0.01])


# Two blocks of two rows. A and B share block 1 (they tie for the in-sample best there); out of
# sample A is the best and B the worst. C: block Sharpes 0 and 0.707.
TIED = np.array(
    [
        [0.01, 0.01, -0.01],
        [0.03, 0.03, 0.01],
        [0.02, -0.04, 0.00],
        [0.04, -0.02, 0.01],
    ]
)


def test_tied_in_sample_winners_share_the_split() -> None:
    """Split 1 (in: block 1): A and B tie at Sharpe 0.02/0.01414; out of sample A ranks 3 of 3
    (w = 3/4) and B 1 of 3 (w = 1/4): half a split overfit, logit of the mean w (1/2) is 0.
    Split 2 (in: block 2): A wins (2.12 > 0.707 > -2.12); out of sample A ties B at 1.414
    above C at 0: rank 2.5, w = 2.5/4, logit ln(5/3). PBO = (1/2 + 0) / 2."""
    result = probability_of_backtest_overfitting(TIED, blocks=2)
    assert result.splits == 2
    assert result.pbo == 0.25
    assert result.logits[0] == pytest.approx(0.0, abs=1e-12)
    assert result.logits[1] == pytest.approx(math.log(5 / 3), rel=1e-12)


def test_pbo_is_the_same_under_every_column_order() -> None:
    for order in itertools.permutations(range(3)):
        assert probability_of_backtest_overfitting(TIED[:, order], blocks=2).pbo == 0.25
    rng = np.random.default_rng(11)
    matrix = rng.normal(0.0, 0.01, size=(64, 6))
    matrix[:, 1] = 0.0  # two strategies that never traded: Sharpe 0 in every half
    matrix[:, 4] = 0.0
    matrix[:, 2] = -np.abs(matrix[:, 2])  # always losing: the zeros win in sample
    expected = probability_of_backtest_overfitting(matrix, blocks=8).pbo
    orders = list(itertools.permutations(range(6)))
    for index in rng.choice(len(orders), size=40, replace=False):
        order = list(orders[index])
        assert probability_of_backtest_overfitting(matrix[:, order], blocks=8).pbo == expected
