"""Coefficients with standard errors and confidence intervals (Gwet 2014), Conger's kappa."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .alpha import explain_undefined
from .encoding import NAN, REASON_NO_VARIATION, REASON_ONE_CATEGORY, _encode, _unit_counts
from .kappa import _n_categories


@dataclass(frozen=True)
class CoefficientEstimate:
    """A chance-corrected coefficient with Gwet's (2014) standard error and interval."""

    statistic: str  # "fleiss", "ac1", "brennan_prediger", "conger", "cohen"
    value: float
    se: float
    low: float
    high: float
    p_a: float
    p_e: float
    n_units: int  # units with at least one rating
    confidence: float = 0.95
    reason: str | None = None

    @property
    def method_text(self) -> str:
        return (
            f"{self.confidence:.0%} interval: estimate ± t(n−1) × standard error, Gwet's (2014) linearisation "
            "variance over the units (as irrCAC computes it); upper bound capped at 1"
        )


STATISTICS_WITH_SE = ("fleiss", "ac1", "brennan_prediger", "conger", "cohen")


def coefficient_estimate(
    data: Any, statistic: str = "fleiss", confidence: float = 0.95, n_categories: int | None = None
) -> CoefficientEstimate:
    """Fleiss' kappa, Gwet's AC1, Brennan-Prediger, Conger's or Cohen's kappa with a standard error.

    Gwet (2014, *Handbook of Inter-Rater Reliability*, 4th ed., ch. 5) writes each
    coefficient as a mean of per-unit terms; its variance is
    ``Σ_i (κ*_i − κ)² / (n(n−1))`` over the ``n`` rated units, where ``κ*_i`` corrects
    the unit's term for the chance agreement it contributes (``2(1−κ)(p_e,i − p_e)/(1−p_e)``;
    no correction for Brennan-Prediger, whose chance agreement is fixed).  The
    interval is ``κ ± t_{n−1} · se`` with the upper bound capped at 1, as irrCAC does
    (no finite-population correction).  ``"cohen"`` is Conger's kappa for two coders,
    which is Cohen's kappa on complete data; Conger's generalises Cohen's chance
    agreement to 3+ coders (each coder's own category shares).

    Published example (Gwet 2014, p. 120; irrCAC ``cac.raw4raters``): Fleiss 0.7612
    (se 0.1530), AC1 0.7754 (se 0.1429), Brennan-Prediger 0.7727 (se 0.1447),
    Conger 0.7628 (se 0.1492).

    >>> nan = None
    >>> gwet4 = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...          [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, nan],
    ...          [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    ...          [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> [(round(e.value, 4), round(e.se, 4)) for e in
    ...  (coefficient_estimate(gwet4, s) for s in ("fleiss", "ac1", "brennan_prediger", "conger"))]
    [(0.7612, 0.153), (0.7754, 0.1429), (0.7727, 0.1447), (0.7628, 0.1492)]
    >>> round(coefficient_estimate(gwet4, "fleiss").low, 4)
    0.4244
    """
    from scipy.stats import t as student_t

    if statistic not in STATISTICS_WITH_SE:
        raise ValueError(f"unknown statistic {statistic!r}; use one of {', '.join(STATISTICS_WITH_SE)}")
    enc = _encode(data)
    codes = enc.codes[:, (enc.codes >= 0).any(axis=0)]  # units nobody rated are not units
    if statistic == "conger":
        codes = codes[(codes >= 0).any(axis=1)]  # a coder who rated nothing has no category shares
    if statistic == "cohen" and codes.shape[0] != 2:
        raise ValueError(f"Cohen's kappa is for two coders, got {codes.shape[0]}; use statistic='conger'")
    q = _n_categories(len(enc.categories), n_categories)
    reason = explain_undefined(
        data,
        "ac1" if statistic == "ac1" else ("brennan_prediger" if statistic == "brennan_prediger" else "fleiss"),
        n_categories=n_categories,
    )
    n = codes.shape[1]
    if reason is None and q < 2:
        reason = REASON_ONE_CATEGORY
    if reason is not None:
        return CoefficientEstimate(statistic, NAN, NAN, NAN, NAN, NAN, NAN, n, confidence, reason)
    counts = _unit_counts(codes, q)  # [units, q]
    r = counts.sum(axis=1)
    two = r >= 2
    n2 = int(two.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        pa_i = np.where(two, (counts * (counts - 1)).sum(axis=1) / (r * (r - 1)), 0.0)
    p_a = float(pa_i.sum() / n2)
    pi = (counts / r[:, None]).mean(axis=0)
    if statistic == "fleiss":
        p_e = float((pi**2).sum())
        pe_i = counts @ pi / r
    elif statistic == "ac1":
        p_e = float((pi * (1 - pi)).sum() / (q - 1))
        pe_i = counts @ (1 - pi) / (r * (q - 1))
    elif statistic == "brennan_prediger":
        p_e = 1.0 / q
        pe_i = np.full(n, p_e)
    else:
        p_e, pe_i = _conger_chance(codes, q)
    if not p_e < 1.0 - 1e-15:
        reason = REASON_NO_VARIATION.format(value="the same")
        return CoefficientEstimate(statistic, NAN, NAN, NAN, NAN, p_a, p_e, n, confidence, reason)
    value = (p_a - p_e) / (1 - p_e)
    term = (n / n2) * (pa_i - p_e * two) / (1 - p_e)
    if statistic != "brennan_prediger":
        term = term - 2 * (1 - value) * (pe_i - p_e) / (1 - p_e)
    se = math.sqrt(float(((term - value) ** 2).sum()) / (n * (n - 1))) if n > 1 else NAN
    half = float(student_t.ppf(0.5 + confidence / 2, n - 1)) * se if n > 1 else NAN
    return CoefficientEstimate(
        statistic, float(value), se, float(value - half), float(min(1.0, value + half)), p_a, p_e, n, confidence
    )


def _conger_chance(codes: np.ndarray, q: int) -> tuple[float, np.ndarray]:
    """Conger's (1980) chance agreement and its per-unit terms (Gwet 2014, §5.3)."""
    n_coders, n = codes.shape
    rated = codes >= 0  # [coders, units]
    onehot = (codes[:, :, None] == np.arange(q)[None, None, :]) & rated[:, :, None]  # [coders, units, q]
    n_g = rated.sum(axis=1).astype(float)  # units each coder rated
    p_gk = onehot.sum(axis=1) / n_g[:, None]  # [coders, q]
    p_mean = p_gk.mean(axis=0)
    s2 = ((p_gk - p_mean) ** 2).sum(axis=0) / (n_coders - 1)
    p_e = float((p_mean**2 - s2 / n_coders).sum())
    # λ_ig = Σ_k (n/n_g)(δ_igk − (ε_ig − n_g/n) p_gk) (Σ_h p_hk − p_gk)
    centred = onehot - (rated[:, :, None] - (n_g / n)[:, None, None]) * p_gk[:, None, :]
    weight = (p_gk.sum(axis=0)[None, :] - p_gk)[:, None, :]  # [coders, 1, q]
    lam = ((n / n_g)[:, None, None] * centred * weight).sum(axis=2)  # [coders, units]
    return p_e, lam.sum(axis=0) / (n_coders * (n_coders - 1))


def conger_kappa(data: Any) -> float:
    """Conger's (1980) kappa: Fleiss' agreement, Cohen-style chance agreement for 3+ coders.

    ``p_a`` as in :func:`fleiss_kappa`; ``p_e`` averages the pairwise Cohen chance
    agreements, computed as ``Σ_k (p̄_k² − s²_k / r)`` from each coder's category shares
    ``p_gk`` (``p̄_k`` their mean, ``s²_k`` their variance over the ``r`` coders; Gwet
    2014, §2.4).  For two coders and complete data it equals Cohen's kappa.

    Published example (Gwet 2014, p. 120): 0.7628 (irrCAC ``conger.kappa.raw``).

    >>> nan = None
    >>> gwet4 = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...          [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, nan],
    ...          [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    ...          [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(conger_kappa(gwet4), 4)
    0.7628
    """
    return coefficient_estimate(data, "conger").value
