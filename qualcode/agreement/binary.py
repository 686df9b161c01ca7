"""Batched presence/absence (0/1) statistics, vectorised over codes: every coefficient is a
function of the table ``H[code, m, k]`` (:func:`presence_histogram`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .encoding import REASON_NO_PAIRS, SingleRated


def presence_histogram(presence: np.ndarray) -> np.ndarray:
    """``H[code, m, k]``: units rated by ``m`` coders, ``k`` of them marking presence.

    ``presence[codes, coders, units]`` holds 1 (present), 0 (absent), NaN (missing).

    >>> presence_histogram(np.array([[[1, 0, np.nan], [1, 0, 1]]]))[0].tolist()
    [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """
    p = np.asarray(presence)
    if p.ndim != 3:
        raise ValueError(f"presence must be [codes, coders, units], got shape {p.shape}")
    n_codes, n_coders, _ = p.shape
    side = n_coders + 1
    cells = side * side
    out = np.empty((n_codes, cells), dtype=np.int64)
    for lo, hi in _code_chunks(p.shape):
        block = p[lo:hi]
        if block.dtype == bool:
            missing, present = np.zeros(block.shape, dtype=bool), block
            n_valid = block.size
        else:
            missing, present = np.isnan(block), block == 1
            n_valid = int(np.count_nonzero(missing) + np.count_nonzero(present) + np.count_nonzero(block == 0))
        if n_valid != block.size:
            bad = np.unique(block[~(missing | present | (block == 0))])[:5].tolist()
            raise ValueError(f"presence values must be 0, 1 or NaN, got {bad}")
        key = (n_coders - missing.sum(axis=1, dtype=np.intp)) * side
        key += present.sum(axis=1, dtype=np.intp)
        key += (np.arange(hi - lo, dtype=np.intp) * cells)[:, None]
        out[lo:hi] = np.bincount(key.ravel(), minlength=(hi - lo) * cells).reshape(hi - lo, cells)
    return out.reshape(n_codes, side, side).astype(float)


def _code_chunks(shape: tuple[int, ...], target: int = 1 << 16) -> Iterable[tuple[int, int]]:
    """Slices of codes holding about ``target`` values each.

    Working block by block keeps every temporary small enough to stay in cache and
    to be recycled by the allocator: whole-array temporaries (tens of MB for
    hundreds of codes × 100k units) cost more in page faults than in arithmetic.
    """
    per_code = max(int(np.prod(shape[1:])), 1)
    step = max(1, target // per_code)
    for lo in range(0, shape[0], step):
        yield lo, min(lo + step, shape[0])


@dataclass(frozen=True)
class BinaryStats:
    """Sufficient statistics of binary reliability data, one entry per code."""

    n_units: np.ndarray  # pairable units (m ≥ 2)
    n_values: np.ndarray  # pairable values n..
    n_present: np.ndarray  # pairable values that are 1
    o01: np.ndarray  # off-diagonal coincidence o_01 (= o_10)
    p_a: np.ndarray  # percent agreement (pairwise, unit-averaged)
    pi_drop: np.ndarray  # prevalence of 1 over pairable units
    pi_all: np.ndarray  # prevalence of 1 over units with ≥ 1 rating
    n_pairs: np.ndarray  # Σ m(m−1)/2 over pairable units
    n_coders: int


def binary_stats(hist: np.ndarray) -> BinaryStats:
    """Reduce ``H[code, m, k]`` (see :func:`presence_histogram`) to :class:`BinaryStats`."""
    h = np.asarray(hist, dtype=float)
    side = h.shape[1]
    m = np.arange(side, dtype=float)[:, None]
    k = np.arange(side, dtype=float)[None, :]
    pairable = np.broadcast_to(m >= 2, (side, side))
    valid = k <= m
    w = h * (pairable & valid)
    with np.errstate(divide="ignore", invalid="ignore"):
        agree = np.where(pairable & valid, (k * (k - 1) + (m - k) * (m - k - 1)) / (m * (m - 1)), 0.0)
        disagree = np.where(pairable & valid, k * (m - k) / (m - 1), 0.0)
        share = np.where((m >= 1) & valid, k / np.where(m == 0, 1, m), 0.0)
    n_units = w.sum(axis=(1, 2))
    rated = h * ((m >= 1) & valid)
    n_rated = rated.sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_a = (w * agree).sum(axis=(1, 2)) / n_units
        pi_drop = (w * share).sum(axis=(1, 2)) / n_units
        pi_all = (rated * share).sum(axis=(1, 2)) / n_rated
    return BinaryStats(
        n_units=n_units,
        n_values=(w * m).sum(axis=(1, 2)),
        n_present=(w * k).sum(axis=(1, 2)),
        o01=(w * disagree).sum(axis=(1, 2)),
        p_a=p_a,
        pi_drop=pi_drop,
        pi_all=pi_all,
        n_pairs=(w * (m * (m - 1) / 2)).sum(axis=(1, 2)),
        n_coders=side - 1,
    )


def _stats(presence_or_stats: Any) -> BinaryStats:
    if isinstance(presence_or_stats, BinaryStats):
        return presence_or_stats
    return binary_stats(presence_histogram(presence_or_stats))


def alpha_from_binary_stats(s: BinaryStats) -> np.ndarray:
    """Nominal alpha per code: ``1 − (n−1)·o_01 / (n_0·n_1)`` (Krippendorff 2011)."""
    n, n1 = s.n_values, s.n_present
    n0 = n - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * s.o01 / (n0 * n1)
    return np.where((n >= 2) & (n0 > 0) & (n1 > 0), alpha, np.nan)


def binary_alpha_many(presence: np.ndarray) -> np.ndarray:
    """Nominal Krippendorff's alpha for each code of ``presence[codes, coders, units]``.

    Equal to ``[krippendorff_alpha(presence[c]) for c in codes]`` (NaN where undefined)
    but computed for all codes at once from the ``H[code, m, k]`` table.

    >>> nan = np.nan
    >>> p = np.array([[[1, 0, 0, 1], [1, 0, 1, 1]], [[0, 0, 0, 0], [0, 0, 0, 0]]], dtype=float)
    >>> [round(float(a), 3) for a in binary_alpha_many(p)][0], bool(np.isnan(binary_alpha_many(p)[1]))
    (0.533, True)
    """
    return alpha_from_binary_stats(_stats(presence))


def percent_agreement_many(presence: np.ndarray) -> np.ndarray:
    """:func:`percent_agreement` for each code of ``presence[codes, coders, units]``."""
    return _stats(presence).p_a


def _fleiss_from_pi(p_a: np.ndarray, pi: np.ndarray) -> np.ndarray:
    p_e = pi**2 + (1.0 - pi) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (p_a - p_e) / (1.0 - p_e)
    return np.where(np.isfinite(p_a) & (p_e < 1.0 - 1e-15), kappa, np.nan)


def fleiss_kappa_many(presence: np.ndarray, single_rated: SingleRated = "prevalence") -> np.ndarray:
    """:func:`fleiss_kappa` for each code of ``presence[codes, coders, units]``."""
    s = _stats(presence)
    return _fleiss_from_pi(s.p_a, s.pi_drop if single_rated == "drop" else s.pi_all)


def brennan_prediger_many(presence: np.ndarray) -> np.ndarray:
    """:func:`brennan_prediger` with ``q = 2`` (present/absent) for each code."""
    s = _stats(presence)
    return 2.0 * s.p_a - 1.0


def cohen_from_counts(n11: np.ndarray, n10: np.ndarray, n01: np.ndarray, n00: np.ndarray) -> np.ndarray:
    """Cohen's kappa from 2×2 tables given as arrays (coder A first: n10 = A only)."""
    n11, n10, n01, n00 = (np.asarray(x, dtype=float) for x in (n11, n10, n01, n00))
    total = n11 + n10 + n01 + n00
    with np.errstate(divide="ignore", invalid="ignore"):
        p_o = (n11 + n00) / total
        pa1 = (n11 + n10) / total
        pb1 = (n11 + n01) / total
        p_e = pa1 * pb1 + (1 - pa1) * (1 - pb1)
        kappa = (p_o - p_e) / (1 - p_e)
    return np.where((total > 0) & (p_e < 1.0 - 1e-15), kappa, np.nan)


def cohen_kappa_many(presence: np.ndarray) -> np.ndarray:
    """Unweighted :func:`cohen_kappa` for each code of ``presence[codes, 2, units]``."""
    p = np.asarray(presence)
    if p.dtype == bool:
        p = p.astype(float)
    if p.ndim != 3 or p.shape[1] != 2:
        raise ValueError(f"cohen_kappa_many needs presence[codes, 2, units], got shape {p.shape}")
    n11, n10, n01, n00 = (np.empty(p.shape[0]) for _ in range(4))
    for lo, hi in _code_chunks(p.shape):
        a, b = p[lo:hi, 0], p[lo:hi, 1]
        both = ~(np.isnan(a) | np.isnan(b))
        a1, b1 = (a == 1) & both, (b == 1) & both
        n11[lo:hi] = np.count_nonzero(a1 & b1, axis=1)
        n10[lo:hi] = np.count_nonzero(a1, axis=1) - n11[lo:hi]
        n01[lo:hi] = np.count_nonzero(b1, axis=1) - n11[lo:hi]
        n00[lo:hi] = np.count_nonzero(both, axis=1) - n11[lo:hi] - n10[lo:hi] - n01[lo:hi]
    return cohen_from_counts(n11, n10, n01, n00)


def binary_reasons_many(presence_or_stats: Any) -> list[str | None]:
    """Why alpha/kappa are NaN for each code (None where defined)."""
    s = _stats(presence_or_stats)
    reasons: list[str | None] = []
    for units, n, n1 in zip(s.n_units, s.n_values, s.n_present):
        if units == 0:
            reasons.append(REASON_NO_PAIRS)
        elif n1 == 0:
            reasons.append(
                "no variation: no coder marked this code present in any pairable unit, "
                "so chance-corrected agreement is 0/0 (undefined)"
            )
        elif n1 == n:
            reasons.append(
                "no variation: every coder marked this code present in every pairable unit, "
                "so chance-corrected agreement is 0/0 (undefined)"
            )
        else:
            reasons.append(None)
    return reasons
