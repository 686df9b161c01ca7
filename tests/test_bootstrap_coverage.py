"""The default bootstrap interval of Krippendorff's alpha covers the true alpha about 95% of
the time and narrows as 1/√units (issue 14: KALPHA's 25·q cap kept it ~0.28 wide at any size).

Model ("knowledge or guess"): each unit is, with probability r, one every coder knows
(all give the unit's true value, 1 with probability π) and otherwise one every coder
guesses independently (1 with probability π).  Every pair then disagrees with
probability (1−r)·2π(1−π) and the expected disagreement is 2π(1−π), so the population
alpha is exactly r.  A unit's rating pattern is its cell (m, k) of the H table (m coders,
k of them saying 1), so a simulated data set is a multinomial draw of the H table; a
replicate data set is one "code" of the batched function, which bootstraps all at once.

Monte-Carlo error: with R replicates the coverage estimate has standard error
√(0.95·0.05/R) = 0.0049 for R = 2000, so the 93-97% band is ±4 standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from qualcode import agreement as ag

TRUE_ALPHA = 0.7
PREVALENCE = 0.3


def cell_probabilities(n_coders: int, r: float = TRUE_ALPHA, pi: float = PREVALENCE) -> np.ndarray:
    """P(a unit falls in cell (m = n_coders, k)) under the knowledge-or-guess model."""
    k = np.arange(n_coders + 1)
    guess = np.array([math.comb(n_coders, int(j)) for j in k]) * pi**k * (1 - pi) ** (n_coders - k)
    p = (1 - r) * guess
    p[n_coders] += r * pi
    p[0] += r * (1 - pi)
    return p


def simulated_tables(rng: np.random.Generator, replicates: int, n_units: int, n_coders: int) -> np.ndarray:
    """``replicates`` H tables (complete data: every unit rated by every coder)."""
    counts = rng.multinomial(n_units, cell_probabilities(n_coders), size=replicates)
    h = np.zeros((replicates, n_coders + 1, n_coders + 1))
    h[:, n_coders, :] = counts
    return h


def test_the_model_has_the_stated_alpha():
    """Sanity check of the simulation: a huge sample's alpha is r (the point estimate is unbiased)."""
    h = simulated_tables(np.random.default_rng(0), 1, 2_000_000, 3)
    assert ag.alpha_from_binary_stats(ag.binary_stats(h))[0] == pytest.approx(TRUE_ALPHA, abs=0.003)


@pytest.mark.parametrize(
    "n_units, n_coders, replicates",
    [(50, 2, 2000), (50, 5, 2000), (500, 3, 2000), (5000, 2, 2000), (50_000, 5, 2000)],
)
def test_default_interval_covers_the_true_alpha(n_units, n_coders, replicates):
    rng = np.random.default_rng(1000 + n_units + n_coders)
    h = simulated_tables(rng, replicates, n_units, n_coders)
    alpha, low, high = ag.binary_bootstrap_alpha_many(None, n_boot=1000, seed=n_units, hist=h)
    assert np.isfinite(low).all() and np.isfinite(high).all()
    covered = np.mean((low <= TRUE_ALPHA) & (TRUE_ALPHA <= high))
    assert 0.93 <= covered <= 0.97, (n_units, n_coders, covered)
    # neither tail misses much more often than the other's nominal 2.5%
    assert np.mean(low > TRUE_ALPHA) < 0.045 and np.mean(high < TRUE_ALPHA) < 0.045


def test_default_interval_narrows_as_one_over_root_n():
    rng = np.random.default_rng(5)
    widths = {}
    for n in (200, 2000, 20_000):
        h = simulated_tables(rng, 200, n, 2)
        _, low, high = ag.binary_bootstrap_alpha_many(None, n_boot=500, seed=1, hist=h)
        widths[n] = float(np.mean(high - low))
    # ten times the units: √10 ≈ 3.16 times narrower (between 2.8 and 3.5 allows for Monte-Carlo error)
    assert 2.8 < widths[200] / widths[2000] < 3.5
    assert 2.8 < widths[2000] / widths[20_000] < 3.5
    # the capped KALPHA interval does not narrow (the defect this default replaces)
    kalpha = []
    for n in (200, 20_000):
        h = simulated_tables(rng, 1, n, 2)
        _, lo, hi = ag.binary_bootstrap_alpha_many(None, n_boot=2000, seed=1, method="kalpha", hist=h)
        kalpha.append(float(hi[0] - lo[0]))
    assert kalpha[1] > 0.6 * kalpha[0]


def test_scalar_default_matches_the_batched_interval_and_covers():
    """bootstrap_alpha (any categories, any level) uses the same units bootstrap: on binary
    data it agrees with the batched one, and 300 replicates cover about 95% (MC error 0.013)."""
    rng = np.random.default_rng(11)
    hits = 0
    replicates = 300
    for i in range(replicates):
        know = rng.random(200) < TRUE_ALPHA
        z = rng.random(200) < PREVALENCE
        guess = rng.random((3, 200)) < PREVALENCE
        data = np.where(know, z, guess).astype(float)
        est = ag.bootstrap_alpha(data, n_boot=500, seed=i)
        hits += est.low <= TRUE_ALPHA <= est.high
        if i < 3:
            _, lo, hi = ag.binary_bootstrap_alpha_many(data[None], n_boot=4000, seed=i)
            big = ag.bootstrap_alpha(data, n_boot=4000, seed=i + 1)
            assert big.low == pytest.approx(lo[0], abs=0.02) and big.high == pytest.approx(hi[0], abs=0.02)
    assert 0.91 <= hits / replicates <= 0.98
