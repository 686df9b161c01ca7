"""All batched binary statistics at once (:func:`binary_agreement_many`) and alpha's
bootstrap interval per code."""

from __future__ import annotations

from typing import Any

import numpy as np

from .binary import (
    BinaryStats,
    _fleiss_from_pi,
    _stats,
    alpha_from_binary_stats,
    binary_reasons_many,
    binary_stats,
    cohen_from_counts,
    cohen_kappa_many,
    presence_histogram,
)
from .bootstrap import BootMethod, _bc_interval, _boot_chunks, _check_boot_method, _hayes_interval, _kalpha_corrections


def binary_agreement_many(
    presence_or_stats: Any,
    n_boot: int = 0,
    seed: int = 0,
    cap_draws: bool = True,
    cohen: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    method: BootMethod = "units",
    hist: np.ndarray | None = None,
) -> dict[str, Any]:
    """Every per-code statistic of the report in one pass over ``presence``.

    Returns arrays keyed "percent_agreement", "kappa" (Cohen's for two coders, Fleiss'
    for more), "kappa_kind", "alpha", "alpha_low", "alpha_high" (NaN unless
    ``n_boot`` > 0), "brennan_prediger", "n_units" and "reason".  With two coders
    Cohen's kappa needs who-said-what, which the ``H`` table lacks: pass
    ``presence`` itself, or the 2×2 counts ``cohen=(n11, n10, n01, n00)`` when
    passing :class:`BinaryStats`; the units bootstrap (``method="units"``) likewise
    needs ``presence`` or its ``H`` table (``hist=``).
    """
    if hist is None and not isinstance(presence_or_stats, BinaryStats):
        hist = presence_histogram(presence_or_stats)
    s = binary_stats(hist) if hist is not None else _stats(presence_or_stats)
    if s.n_coders == 2:
        if cohen is None:
            if isinstance(presence_or_stats, BinaryStats):
                raise ValueError("pass cohen=(n11, n10, n01, n00) with BinaryStats for two coders")
            kappa = cohen_kappa_many(presence_or_stats)
        else:
            kappa = cohen_from_counts(*cohen)
        kind = "cohen"
    else:
        kappa, kind = _fleiss_from_pi(s.p_a, s.pi_drop), "fleiss"
    if n_boot > 0:
        alpha, low, high = binary_bootstrap_alpha_many(
            s, n_boot=n_boot, seed=seed, cap_draws=cap_draws, method=method, hist=hist
        )
    else:
        alpha = alpha_from_binary_stats(s)
        low = high = np.full(alpha.shape, np.nan)
    return {
        "percent_agreement": s.p_a,
        "kappa": kappa,
        "kappa_kind": kind,
        "alpha": alpha,
        "alpha_low": low,
        "alpha_high": high,
        "brennan_prediger": 2.0 * s.p_a - 1.0,
        "n_units": s.n_units,
        "reason": binary_reasons_many(s),
    }


def binary_bootstrap_alpha_many(
    presence_or_stats: Any,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    cap_draws: bool = True,
    method: BootMethod = "units",
    hist: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(alpha, low, high) per code: :func:`bootstrap_alpha` for 0/1 data, all codes at once.

    ``method="units"`` (default) resamples the units: a unit of binary data is fully
    described by its cell ``(m, k)`` of the ``H[code, m, k]`` table (``m`` ratings, ``k``
    of them present), so a bootstrap sample of the units is a multinomial draw of the
    ``H`` counts, and alpha follows from the drawn table.  Give ``presence`` or its
    ``H`` table (``hist=``) for this method; :class:`BinaryStats` alone lacks it.

    ``method="kalpha"``: with two categories only the disagreeing cell matters: the
    number of disagreeing pairs among ``M`` drawn is Binomial(M, 2·o_01/n).  Same ``M``,
    interval and perfect-agreement corrections as :func:`bootstrap_alpha`; the
    streams differ, so intervals match in distribution, not draw by draw.
    """
    _check_boot_method(method)
    if method == "units":
        if hist is None:
            if isinstance(presence_or_stats, BinaryStats):
                raise ValueError("the units bootstrap needs presence or its H table (hist=...), not BinaryStats")
            hist = presence_histogram(presence_or_stats)
        return _binary_units_bootstrap(np.asarray(hist, dtype=float), n_boot, seed, confidence)
    s = binary_stats(np.asarray(hist, dtype=float)) if hist is not None else _stats(presence_or_stats)
    alpha = alpha_from_binary_stats(s)
    n, n1 = s.n_values, s.n_present
    n0 = n - n1
    ok = np.isfinite(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_e = np.where(ok, 2.0 * n0 * n1 / (n * (n - 1.0)), 1.0)
        o00 = np.where(ok, n0 - s.o01, 0.0)
        o11 = np.where(ok, n1 - s.o01, 0.0)
        p01 = np.where(ok, 2.0 * s.o01 / n, 0.0)
    cells = (o00 > 1e-12).astype(int) + (o11 > 1e-12).astype(int) + 2 * (s.o01 > 1e-12).astype(int)
    all_pairs = np.floor(np.where(ok, (s.n_coders - 1) * n / 2.0, 1.0))
    m_draw = np.maximum(np.minimum(25 * cells, all_pairs) if cap_draws else all_pairs, 1).astype(np.int64)
    rng = np.random.default_rng(seed)
    draws = rng.binomial(m_draw[:, None], np.clip(p01, 0.0, 1.0)[:, None], size=(len(alpha), n_boot))
    samples = 1.0 - draws / (m_draw[:, None] * d_e[:, None])
    n_zero_diag = (o00 > 1e-12).astype(int) + (o11 > 1e-12).astype(int)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        p_diag_all = np.where(
            ok, (np.where(ok, o00 / n, 0.0) ** s.n_pairs + np.where(ok, o11 / n, 0.0) ** s.n_pairs), 0.0
        )
    samples = _kalpha_corrections(samples, n_zero_diag, p_diag_all)
    low, high = _hayes_interval(samples, confidence)
    return alpha, np.where(ok, low, np.nan), np.where(ok, high, np.nan)


def _binary_units_bootstrap(
    hist: np.ndarray, n_boot: int, seed: int, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units bootstrap of binary alpha from ``H[code, m, k]`` (pairable cells only)."""
    n_codes, side, _ = hist.shape
    m = np.arange(side, dtype=float)[:, None]
    k = np.arange(side, dtype=float)[None, :]
    cell_ok = ((m >= 2) & (k <= m)).ravel()
    h = hist.reshape(n_codes, -1)[:, cell_ok]  # [codes, cells]
    mm = np.broadcast_to(m, (side, side)).ravel()[cell_ok]
    kk = np.broadcast_to(k, (side, side)).ravel()[cell_ok]
    disagree = kk * (mm - kk) / (mm - 1.0)  # o_01 contributed by one unit of the cell
    alpha = alpha_from_binary_stats(binary_stats(hist))
    ok = np.isfinite(alpha)
    n_units = h.sum(axis=1)
    low = np.full(n_codes, np.nan)
    high = np.full(n_codes, np.nan)
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(ok)
    if len(rows) == 0:
        return alpha, low, high
    samples = np.empty((len(rows), n_boot))
    p = h[rows] / n_units[rows, None]
    n_u = n_units[rows].astype(np.int64)
    for lo, hi in _boot_chunks(n_boot, len(rows) * h.shape[1]):
        draws = rng.multinomial(n_u[None, :], p[None], size=(hi - lo, len(rows))).astype(float)  # [B, codes, cells]
        n = draws @ mm
        n1 = draws @ kk
        o01 = draws @ disagree
        n0 = n - n1
        with np.errstate(divide="ignore", invalid="ignore"):
            a = 1.0 - (n - 1.0) * o01 / (n0 * n1)
        samples[:, lo:hi] = np.where((n0 > 0) & (n1 > 0), a, np.nan).T
    lo_q, hi_q = _bc_interval(samples, alpha[rows], confidence)
    low[rows], high[rows] = lo_q, hi_q
    return alpha, low, high
