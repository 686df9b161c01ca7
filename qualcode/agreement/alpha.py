"""Krippendorff's alpha: coincidences, the difference functions of the four levels, and why a
coefficient is undefined (:func:`explain_undefined`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .encoding import (
    LEVELS,
    NAN,
    REASON_NO_PAIRS,
    REASON_NO_VARIATION,
    REASON_ONE_CATEGORY,
    Level,
    _describe_value,
    _encode,
    _Encoded,
    _numeric,
    _unit_counts,
)


def coincidence_matrix(data: Any) -> tuple[np.ndarray, list[Any]]:
    """Krippendorff's coincidence matrix ``o[c, k]`` and its category values.

    ``o[c, k] = Σ_u (number of c-k pairs in unit u) / (m_u − 1)`` over units with
    ``m_u ≥ 2`` pairable values (Krippendorff 2011, p. 2).

    >>> o, cats = coincidence_matrix([[1, 1, 2], [1, 2, 2]])
    >>> cats, o.tolist()
    ([1, 2], [[2.0, 1.0], [1.0, 2.0]])
    """
    enc = _encode(data)
    o = _coincidences(enc.codes, len(enc.categories))
    return o, enc.categories


def _coincidences(codes: np.ndarray, n_categories: int) -> np.ndarray:
    if n_categories == 0:
        return np.zeros((0, 0))
    counts = _unit_counts(codes, n_categories)
    m = counts.sum(axis=1)
    keep = m >= 2
    counts, m = counts[keep], m[keep]
    scaled = counts / (m - 1)[:, None]
    return scaled.T @ counts - np.diag(scaled.sum(axis=0))


def _delta2(level: str, values: Sequence[Any], marginals: np.ndarray) -> np.ndarray:
    """Squared difference function δ²(c, k) of Krippendorff (2011, pp. 4-6)."""
    k = len(values)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        # δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)², categories in rank order
        cum = np.concatenate([[0.0], np.cumsum(marginals)])
        i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        between = cum[hi + 1] - cum[lo]
        return (between - (marginals[i] + marginals[j]) / 2.0) ** 2
    try:
        v = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{level} alpha needs numeric values, got {list(values)[:5]!r}") from exc
    diff = v[:, None] - v[None, :]
    if level == "interval":
        return diff**2
    if level == "ratio":
        total = v[:, None] + v[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(total == 0, 0.0, (diff / np.where(total == 0, 1.0, total)) ** 2)
        return out
    raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")


def _alpha_parts(
    data: Any, level: str, order: Sequence[Any] | None = None
) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray, _Encoded]:
    """(D_o, D_e, o, δ², n_c, encoded) — disagreements per pairable value."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    enc = _encode(data, order)
    if level != "nominal" and order is None and not _numeric(enc.categories):
        shown = ", ".join(repr(c) for c in enc.categories[:6])
        raise ValueError(
            f"{level} alpha needs numbers or an explicit order of the labels ({shown}): "
            f"pass order=[...] from lowest to highest, e.g. krippendorff_alpha(data, level={level!r}, "
            f"order={list(enc.categories[:3])!r}); labels are not sorted alphabetically"
        )
    o = _coincidences(enc.codes, len(enc.categories))
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n < 2:
        return NAN, NAN, o, np.zeros_like(o), n_c, enc
    # with an explicit order, interval/ratio distances are the ranks 1..K (equally spaced)
    values = list(range(1, len(enc.categories) + 1)) if order is not None else enc.categories
    d2 = _delta2(level, values, n_c)
    d_o = float((o * d2).sum() / n)
    d_e = float((np.outer(n_c, n_c) * d2).sum() / (n * (n - 1)))
    return d_o, d_e, o, d2, n_c, enc


def krippendorff_alpha(data: Any, level: Level = "nominal", order: Sequence[Any] | None = None) -> float:
    """Krippendorff's alpha for any number of coders, missing values and level.

    ``alpha = 1 − D_o / D_e`` computed on the coincidence matrix (bincount); units
    with fewer than two values are not pairable and drop out.  Undefined (NaN) when
    fewer than two pairable values exist or they show no variation.

    ``order``: the categories from lowest to highest, for ordinal (and interval/ratio,
    which then take the ranks 1…K as values) alpha on labels such as "low", "medium",
    "high".  Without it, non-nominal levels need numbers: text labels are refused, not
    sorted alphabetically.

    Published example: Krippendorff, K. (2011). *Computing Krippendorff's
    alpha-reliability*. Annenberg School for Communication, Departmental Papers 43,
    example C (4 observers × 12 units, missing data): nominal 0.743, ordinal 0.815,
    interval 0.849, ratio 0.797.

    >>> nan = None
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> [round(krippendorff_alpha(data, lvl), 3) for lvl in ("nominal", "ordinal", "interval", "ratio")]
    [0.743, 0.815, 0.849, 0.797]

    The same data with text labels (alphabetical order would be wrong: 0.702):

    >>> words = {1: "none", 2: "little", 3: "some", 4: "much", 5: "all"}
    >>> labelled = [[None if v is None else words[v] for v in row] for row in data]
    >>> round(krippendorff_alpha(labelled, "ordinal", order=["none", "little", "some", "much", "all"]), 3)
    0.815
    >>> krippendorff_alpha(labelled, "ordinal")
    Traceback (most recent call last):
    ...
    ValueError: ordinal alpha needs numbers or an explicit order of the labels (...): pass order=[...] ...
    """
    d_o, d_e, *_ = _alpha_parts(data, level, order)
    if not d_e > 0:  # NaN (nothing pairable) or 0 (no variation)
        return NAN
    return 1.0 - d_o / d_e


def explain_undefined(
    data: Any,
    statistic: str = "alpha",
    level: Level = "nominal",
    order: Sequence[Any] | None = None,
    n_categories: int | None = None,
) -> str | None:
    """Why a statistic is NaN for ``data`` (None when it is defined).

    ``statistic`` is one of "alpha", "fleiss", "scott", "ac1", "cohen", "percent",
    "brennan_prediger".  For "cohen" and "scott" ``data`` holds the two coders.

    >>> explain_undefined([[1, 1, 1], [1, 1, 1]])
    'no variation: every pairable value is 1, so chance-corrected agreement is 0/0 (undefined)'
    >>> explain_undefined([[1, None], [None, 2]])
    'no unit was rated by two or more coders, so there is nothing to compare'
    >>> explain_undefined([[1, 2], [1, 2]]) is None
    True
    """
    enc = _encode(data, order)
    codes = enc.codes
    if statistic in ("cohen", "scott"):
        codes = codes[:, (codes >= 0).all(axis=0)]
    pairable = (codes >= 0).sum(axis=0) >= 2
    if not pairable.any():
        return REASON_NO_PAIRS
    if statistic == "percent":
        return None
    used = np.unique(codes[:, pairable][codes[:, pairable] >= 0])
    if statistic == "cohen":
        # kappa is undefined only when both coders used one and the same category
        if len(used) == 1:
            return REASON_NO_VARIATION.format(value=_describe_value(enc.categories[used[0]]))
        return None
    q = len(enc.categories) if n_categories is None else max(n_categories, len(enc.categories))
    if statistic in ("brennan_prediger", "ac1") and q < 2:
        return REASON_ONE_CATEGORY
    if statistic == "brennan_prediger":
        return None
    if len(used) < 2:
        return REASON_NO_VARIATION.format(value=_describe_value(enc.categories[used[0]]))
    if statistic == "alpha" and level in ("interval", "ratio"):
        d_o, d_e, *_ = _alpha_parts(data, level, order)
        if not d_e > 0:
            return "no variation in the pairable values' differences, so alpha is 0/0 (undefined)"
    return None
