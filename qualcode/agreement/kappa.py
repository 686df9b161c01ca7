"""The kappa family and plain agreement: Cohen, Fleiss, Scott, Gwet's AC1, Brennan & Prediger,
percent agreement, Holsti."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from .alpha import explain_undefined
from .encoding import NAN, SingleRated, Weights, _encode, _Encoded, _unit_counts


def _two_coders(a: Iterable[Any], b: Iterable[Any]) -> tuple[np.ndarray, np.ndarray, list[Any], bool]:
    """Encode two label sequences jointly; pairs with a missing value are dropped."""
    a_list, b_list = list(a), list(b)
    if len(a_list) != len(b_list):
        raise ValueError(f"the two coders rated different numbers of units ({len(a_list)} vs {len(b_list)})")
    enc = _encode([a_list, b_list]) if a_list else _Encoded(np.empty((2, 0), dtype=np.int64), [], True)
    keep = (enc.codes >= 0).all(axis=0)
    return enc.codes[0, keep], enc.codes[1, keep], enc.categories, enc.ordered


def cohen_kappa(
    a: Iterable[Any], b: Iterable[Any], weights: Weights = None, categories: Sequence[Any] | None = None
) -> float:
    """Cohen's kappa for two coders (optionally weighted, Cohen 1968).

    ``a`` and ``b`` are the two coders' labels for the same units; a unit with a
    missing value from either coder is dropped.  ``weights`` "linear" or "quadratic"
    treat the categories as ordered (sorted, or as given in ``categories``):
    disagreement weight ``|i−j|/(K−1)`` or ``(i−j)²/(K−1)²``.  NaN when no unit is
    pairable or both coders used the same single category.

    Published examples:

    * Wikipedia, "Cohen's kappa", worked example (50 grant proposals: 20 yes/yes,
      5 yes/no, 10 no/yes, 15 no/no): kappa = 0.4.
    * Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.),
      ectopic-pregnancy table (100 women × 2 abstractors, 3 categories): kappa 0.796,
      linear 0.843, quadratic 0.892.

    >>> a = ["yes"] * 25 + ["no"] * 25
    >>> b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    >>> round(cohen_kappa(a, b), 3)
    0.4
    >>> table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]  # Gwet (2014): rows abstractor 1
    >>> a = [i for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> b = [j for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> [round(cohen_kappa(a, b, w), 3) for w in (None, "linear", "quadratic")]
    [0.796, 0.843, 0.892]
    """
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"unknown weights {weights!r}; use None, 'linear' or 'quadratic'")
    x, y, cats, ordered = _two_coders(a, b)
    if categories is not None:
        order = {c: i for i, c in enumerate(categories)}
        unknown = [c for c in cats if c not in order]
        if unknown:
            raise ValueError(f"values {unknown!r} are not in categories {list(categories)!r}")
        remap = np.array([order[c] for c in cats], dtype=np.int64)
        x, y, k = remap[x], remap[y], len(categories)
    else:
        if weights is not None and not ordered:
            raise ValueError("weighted kappa needs ordered categories; pass categories=[...]")
        k = len(cats)
    if x.size == 0:
        return NAN
    table = np.bincount(x * k + y, minlength=k * k).reshape(k, k).astype(float)
    return _kappa_from_table(table, weights)


def _kappa_from_table(table: np.ndarray, weights: Weights = None) -> float:
    k = table.shape[0]
    total = table.sum()
    if total == 0:
        return NAN
    p = table / total
    expected = np.outer(p.sum(axis=1), p.sum(axis=0))
    i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    if weights is None:
        w = (i != j).astype(float)
    else:
        span = max(k - 1, 1)
        w = np.abs(i - j) / span if weights == "linear" else ((i - j) / span) ** 2
    d_e = float((w * expected).sum())
    if d_e <= 0:
        return NAN
    return 1.0 - float((w * p).sum()) / d_e


def _rating_counts(data: Any) -> tuple[np.ndarray, list[Any]]:
    enc = _encode(data)
    return _unit_counts(enc.codes, len(enc.categories)), enc.categories


def _multi_rater_parts(counts: np.ndarray, single_rated: SingleRated) -> tuple[float, np.ndarray, int]:
    """(p_a, π_k, pairable units) for Fleiss/Gwet/BP-style coefficients (Gwet 2014, ch. 2)."""
    if single_rated not in ("drop", "prevalence"):
        raise ValueError(f"unknown single_rated {single_rated!r}; use 'drop' or 'prevalence'")
    r = counts.sum(axis=1)
    pairable = r >= 2
    n_pairable = int(pairable.sum())
    if n_pairable == 0:
        return NAN, np.full(counts.shape[1], NAN), 0
    c2, r2 = counts[pairable], r[pairable]
    p_a = float(((c2 * (c2 - 1)).sum(axis=1) / (r2 * (r2 - 1))).mean())
    base = pairable if single_rated == "drop" else r >= 1
    pi = (counts[base] / r[base][:, None]).mean(axis=0)
    return p_a, pi, n_pairable


def fleiss_kappa(data: Any, single_rated: SingleRated = "prevalence") -> float:
    """Fleiss' kappa for any number of coders, varying coders per unit.

    Gwet's generalised form (Gwet 2014, *Handbook of Inter-Rater Reliability*, 4th ed.,
    ch. 2; irrCAC ``fleiss.kappa.raw``): ``p_a`` is the mean over units with ``r_i ≥ 2``
    ratings of the share of agreeing coder pairs ``Σ_k r_ik(r_ik−1) / (r_i(r_i−1))``;
    ``π_k`` is the mean of ``r_ik / r_i`` over **every unit with at least one rating**
    (``single_rated="prevalence"``, the default); ``p_e = Σ_k π_k²``.  The variant
    ``single_rated="drop"`` leaves units with fewer than two ratings out of ``π_k`` as
    well (qualcode's earlier default, kept for comparison; it differs in
    the third decimal on Gwet's example below: 0.762).  With complete data both equal
    Fleiss (1971).

    Published examples:

    * Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
      *Psychological Bulletin* 76(5), 378-382, Table 1 (30 patients × 6
      psychiatrists, 5 diagnoses): kappa = 0.430.
    * Gwet (2014), p. 120, 4 raters × 12 units with missing ratings (irrCAC's
      ``cac.raw4raters``): kappa = 0.761.

    >>> dx = [[4,4,4,4,4,4],[2,2,2,5,5,5],[2,3,3,3,3,5],[5,5,5,5,5,5],[2,2,2,4,4,4],
    ...       [1,1,3,3,3,3],[3,3,3,3,5,5],[1,1,3,3,3,4],[1,1,4,4,4,4],[5,5,5,5,5,5],
    ...       [1,4,4,4,4,4],[1,2,4,4,4,4],[2,2,2,3,3,3],[1,4,4,4,4,4],[2,2,4,4,4,5],
    ...       [3,3,3,3,3,5],[1,1,1,4,5,5],[1,1,1,1,1,2],[2,2,4,4,4,4],[1,3,3,5,5,5],
    ...       [5,5,5,5,5,5],[2,4,4,4,4,4],[2,2,4,5,5,5],[1,1,4,4,4,4],[1,4,4,4,4,5],
    ...       [2,2,2,2,2,4],[1,1,1,1,5,5],[2,2,4,4,4,4],[1,3,3,3,3,3],[5,5,5,5,5,5]]
    >>> round(fleiss_kappa(np.array(dx).T), 3)  # transpose: rows must be coders
    0.43
    >>> nan = None
    >>> gwet4 = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...          [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, nan],
    ...          [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    ...          [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(fleiss_kappa(gwet4), 3), round(fleiss_kappa(gwet4, single_rated="drop"), 3)
    (0.761, 0.762)
    """
    counts, _ = _rating_counts(data)
    p_a, pi, n = _multi_rater_parts(counts, single_rated)
    if n == 0:
        return NAN
    p_e = float((pi**2).sum())
    if p_e >= 1.0 - 1e-15:
        return NAN
    return (p_a - p_e) / (1.0 - p_e)


def scott_pi(data: Any) -> float:
    """Scott's pi for two coders (Scott 1955); units missing either rating are dropped.

    ``p_e = Σ_k ((n_Ak + n_Bk) / 2N)²`` — the coders' pooled category distribution.
    Fleiss' kappa generalises it to more coders; use :func:`fleiss_kappa` for those.

    Published example: Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed.,
    ectopic-pregnancy table (100 women × 2 abstractors): Scott's pi = 0.796.

    >>> table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    >>> a = [i for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> b = [j for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> round(scott_pi([a, b]), 3)
    0.796
    """
    enc = _encode(data)
    if enc.codes.shape[0] != 2:
        raise ValueError(f"Scott's pi is for two coders, got {enc.codes.shape[0]}; use fleiss_kappa()")
    keep = (enc.codes >= 0).all(axis=0)
    counts = _unit_counts(enc.codes[:, keep], len(enc.categories))
    p_a, pi, n = _multi_rater_parts(counts, "drop")
    if n == 0:
        return NAN
    p_e = float((pi**2).sum())
    return NAN if p_e >= 1.0 - 1e-15 else (p_a - p_e) / (1.0 - p_e)


def gwet_ac1(data: Any, single_rated: SingleRated = "prevalence", n_categories: int | None = None) -> float:
    """Gwet's AC1 for any number of coders and missing ratings (Gwet 2008, 2014).

    ``p_a`` and ``π_k`` as in :func:`fleiss_kappa` (Gwet's form: ``π_k`` over every
    rated unit); ``p_e = Σ_k π_k(1−π_k) / (q−1)``.  ``q`` is ``n_categories`` when
    given (categories nobody used still count, as irrCAC's ``categories=``), else the
    number of categories used anywhere in the data — irrCAC's rule.  NaN, with the
    reason from :func:`explain_undefined`, when nothing is pairable, fewer than two
    categories are possible, or every pairable value is the same (irrCAC returns 1.0
    there; with no variation nothing shows that the coders can tell categories apart).

    Source: Gwet, K. L. (2008). Computing inter-rater reliability and its variance
    in the presence of high agreement. *Br. J. Math. Stat. Psychol.* 61, 29-48.
    Published examples (Gwet 2014, *Handbook*, 4th ed.): ectopic-pregnancy table
    AC1 = 0.849; 4 raters × 12 units (p. 120) AC1 = 0.775.

    >>> table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    >>> a = [i for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> b = [j for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> round(gwet_ac1([a, b]), 3)
    0.849
    >>> nan = None
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, nan],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(gwet_ac1(data), 3)
    0.775
    >>> gwet_ac1([[1, 1, 2], [1, 1, None]])  # pairable values show no variation
    nan
    """
    counts, cats = _rating_counts(data)
    q = _n_categories(len(cats), n_categories)
    if explain_undefined(data, "ac1", n_categories=n_categories) is not None:
        return NAN
    p_a, pi, n = _multi_rater_parts(counts, single_rated)
    p_e = float((pi * (1.0 - pi)).sum() / (q - 1))
    return (p_a - p_e) / (1.0 - p_e)


def _n_categories(used: int, given: int | None) -> int:
    if given is None:
        return used
    if given < used:
        raise ValueError(f"n_categories={given} but {used} categories were used")
    return int(given)


def brennan_prediger(data: Any, n_categories: int | None = None) -> float:
    """Brennan & Prediger's (1981) kappa: chance agreement ``1/q``.

    ``p_a`` as in :func:`percent_agreement` (pairable units, any number of coders,
    Gwet 2014 multi-rater form); ``q = n_categories`` or, if None, the number of
    categories used.  Also known as Bennett's S / free-marginal kappa; MAXQDA
    reports it.  NaN with fewer than two categories.

    Source: Brennan, R. L., & Prediger, D. J. (1981). Coefficient kappa: some uses,
    misuses, and alternatives. *Educ. Psychol. Meas.* 41, 687-699.  Published
    examples (Gwet 2014, *Handbook*): ectopic-pregnancy table 0.835; 4 raters × 12
    units (p. 120) 0.773.

    >>> table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    >>> a = [i for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> b = [j for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> round(brennan_prediger([a, b]), 3)
    0.835
    """
    counts, cats = _rating_counts(data)
    q = _n_categories(len(cats), n_categories)
    p_a, _, n = _multi_rater_parts(counts, "drop")
    if n == 0 or q < 2:
        return NAN
    return (p_a - 1.0 / q) / (1.0 - 1.0 / q)


def percent_agreement(data: Any) -> float:
    """Share of agreeing coder pairs, averaged over pairable units (0…1).

    For each unit with ``r ≥ 2`` ratings: agreeing pairs / all ``r(r−1)/2`` pairs;
    then the mean over those units (Fleiss' P̄, Gwet's p_a).  With two coders this
    is simply the share of units on which they agree.  NaN if no unit is pairable.

    Published example: Gwet (2014), p. 120, 4 raters × 12 units: p_a = 0.818.

    >>> nan = None
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(percent_agreement(data), 3)
    0.818
    """
    counts, _ = _rating_counts(data)
    p_a, _, n = _multi_rater_parts(counts, "drop")
    return NAN if n == 0 else p_a


def holsti(a: Iterable[Hashable], b: Iterable[Hashable]) -> float:
    """Holsti's (1969) coefficient of reliability ``CR = 2M / (N1 + N2)``.

    ``a`` and ``b`` are the two coders' *coding decisions*: each an iterable of
    hashable items such as ``(unit, code)`` tuples (repeats count, as a multiset).
    ``N1``, ``N2`` are the numbers of decisions, ``M`` the number they share.  Unlike
    the other coefficients it needs no common list of units, but it ignores chance
    agreement.  NaN when neither coder made a decision.

    Source: Holsti, O. R. (1969). *Content Analysis for the Social Sciences and
    Humanities*, p. 140.  Formula check (not a published data set): 80 shared
    decisions out of 95 and 105 give 2·80/200 = 0.8.

    >>> a = [("u%d" % i, "c") for i in range(95)]
    >>> b = [("u%d" % i, "c") for i in range(15, 120)]
    >>> holsti(a, b)
    0.8
    """
    from collections import Counter

    ca, cb = Counter(a), Counter(b)
    total = sum(ca.values()) + sum(cb.values())
    if total == 0:
        return NAN
    shared = sum((ca & cb).values())
    return 2.0 * shared / total
