"""Krippendorff's alpha for unitizing: agreement on *where* coded spans are and *what* they are.

Span coding (a coder marks passages of a continuum — the characters of a transcript — and
gives each a value, here a code) has no predefined units, so the coefficients of
:mod:`qualcode.agreement` do not apply directly.  Krippendorff's unitizing family does.

The 2016/2019 family (Krippendorff, Mathet, Bouvry & Widlöcher 2016, *Quality & Quantity*
50, 2347-2364; Krippendorff 2019, *Content Analysis*, 4th ed., §12.6), on one continuum
``[begin, end)`` of length ``L`` coded by ``m`` coders, each coder's spans and the gaps
between them (value ∅) forming a partition of the continuum:

* observed length coincidences ``ℓ_ck = Σ_{i≠j} |coder i's c-sections ∩ coder j's
  k-sections| / (m−1)`` (values c, k including ∅);
* expected coincidences ``ε_ck = (ℓ_c. ℓ_.k − [c=k]·s_c) / (ℓ.. − s / ℓ..)`` where ``s_c``
  sums, over every coder's sections of value c, ``ℓ²`` for a span and ``ℓ`` for a gap (a
  span is one unit and cannot pair with itself; a gap is no unit and could be cut
  anywhere), ``s = Σ_c s_c``;
* ``uα = 1 − (ℓ.. − Σ_c ℓ_cc) / (ε.. − Σ_c ε_cc)`` (nominal values and ∅);
* ``|uα``: the same after collapsing every value to "coded" against ∅ — agreement on
  unitizing alone;
* ``cuα``: only the coincidences between coded sections (∅ dropped), self-terms
  ``(pairable length)²`` where a span's pairable length is the part that some other coder
  also coded — agreement on the values *given* the unitizing, within one semantic domain
  of mutually exclusive values;
* ``(k)uα`` per value k: ``1 − (ε*_.k / ℓ*_.k) · (ℓ*_.k − ℓ*_kk) / (ε*_.k − ε*_kk)`` on the
  coded coincidences;
* ``Cuα`` over several semantic domains: ``1 − Σ_d D_o(d) / Σ_d D_e(d)`` of their cuα
  disagreements.

Several continua (documents) are concatenated as the 2016 paper describes: coincidences
and self-terms are sums over continua, so each document contributes its own sums; the
bootstrap interval resamples documents (:func:`unitized_bootstrap`).

**Verification.**  We found no published worked example of the 2016/2019 family whose
numbers we could read (the book and the paper were not available here), so these
coefficients are cross-checked in ``tests/test_unitized.py`` against an independent
character-by-character brute-force implementation, and on limiting cases (perfect
agreement, identical predefined units).  Krippendorff's earlier (1995/2004) unitizing
alpha, whose worked examples DKPro Statistics' tests carry, is implemented as
:func:`unitized_alpha_2004` and reproduces them (Krippendorff 2004, p. 254: 0.7286 for
value c, 1 for k, 0.8591 over both).

Spans of one coder that overlap are resolved before counting (a coder's partition has one
value per character): overlapping spans of the same value are merged; where two values
overlap, the characters go to the span that starts first (the longer one on a tie) and the
overlap is listed in ``.conflicts`` — within a semantic domain the values are meant to be
mutually exclusive, so every conflict is worth a look.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NAN = float("nan")
GAP = "∅"


@dataclass(frozen=True)
class Conflict:
    """Two values of one coder on the same characters (the second loses them)."""

    coder: Hashable
    start: int
    end: int
    kept: Hashable
    dropped: Hashable


@dataclass
class UnitizedParts:
    """The additive sufficient statistics of one or more continua (values in ``values`` order;
    index 0 is the gap ∅)."""

    values: list[Hashable]
    ell: np.ndarray  # [V, V] observed length coincidences (incl. gap)
    self_terms: np.ndarray  # [V] Σ ℓ² (spans) / ℓ (gaps) per value
    ell_coded: np.ndarray  # [V-1, V-1] coincidences between coded sections
    self_coded: np.ndarray  # [V-1] Σ (pairable length)² per value
    n_coders: int
    length: int
    conflicts: list[Conflict] = field(default_factory=list)

    def __add__(self, other: UnitizedParts) -> UnitizedParts:
        if self.values != other.values or self.n_coders != other.n_coders:
            raise ValueError("continua must share values and coders to be concatenated")
        return UnitizedParts(
            self.values,
            self.ell + other.ell,
            self.self_terms + other.self_terms,
            self.ell_coded + other.ell_coded,
            self.self_coded + other.self_coded,
            self.n_coders,
            self.length + other.length,
            self.conflicts + other.conflicts,
        )


@dataclass
class UnitizedAlpha:
    """The unitizing family on one continuum or several concatenated ones."""

    alpha: float  # uα
    binary: float  # |uα
    cu: float  # cuα
    by_category: dict[Hashable, float]  # (k)uα
    observed: float  # uα's D_o (length units)
    expected: float  # uα's D_e
    observed_cu: float
    expected_cu: float
    observed_binary: float
    expected_binary: float
    n_coders: int
    length: int
    values: list[Hashable]
    conflicts: list[Conflict]
    coincidences: np.ndarray = field(repr=False)
    reason: str | None = None


# --------------------------------------------------------------------------- partitions
def _partition(
    spans: list[tuple[int, int, int]], begin: int, end: int, coder: Hashable, names: Sequence[Hashable]
) -> tuple[list[tuple[int, int, int]], list[Conflict]]:
    """One coder's spans (start, end, value index ≥ 1) → sorted non-overlapping sections with gaps (value 0)."""
    clipped = sorted(
        ((max(s, begin), min(e, end), v) for s, e, v in spans if min(e, end) > max(s, begin)),
        key=lambda t: (t[0], -(t[1] - t[0]), t[2]),
    )
    merged: list[list[int]] = []
    conflicts: list[Conflict] = []
    for s, e, v in clipped:
        if merged and s < merged[-1][1]:
            last = merged[-1]
            if v == last[2]:
                last[1] = max(last[1], e)
                continue
            conflicts.append(Conflict(coder, s, min(e, last[1]), names[last[2]], names[v]))
            if e <= last[1]:
                continue
            s = last[1]
        merged.append([s, e, v])
    sections: list[tuple[int, int, int]] = []
    pos = begin
    for s, e, v in merged:
        if s > pos:
            sections.append((pos, s, 0))
        sections.append((s, e, v))
        pos = e
    if pos < end:
        sections.append((pos, end, 0))
    return sections, conflicts


def unitized_parts(
    spans: Iterable[tuple[Hashable, int, int, Hashable]],
    begin: int,
    end: int,
    coders: Sequence[Hashable] | None = None,
    values: Sequence[Hashable] | None = None,
) -> UnitizedParts:
    """The sufficient statistics of one continuum ``[begin, end)`` (vectorised over its
    elementary pieces: the stretches between any two consecutive boundaries)."""
    rows = [(c, int(s), int(e), v) for c, s, e, v in spans]
    if end <= begin:
        raise ValueError(f"the continuum [begin, end) must not be empty, got [{begin}, {end})")
    coder_list = list(coders) if coders is not None else list(dict.fromkeys(r[0] for r in rows))
    if len(coder_list) < 2:
        raise ValueError(f"unitized alpha needs at least two coders, got {len(coder_list)}")
    unknown = {r[0] for r in rows} - set(coder_list)
    if unknown:
        raise ValueError(f"spans of coders {sorted(map(str, unknown))} not in coders={coder_list!r}")
    value_list = list(values) if values is not None else list(dict.fromkeys(r[3] for r in rows))
    names: list[Hashable] = [GAP, *value_list]
    index = {v: i + 1 for i, v in enumerate(value_list)}
    missing_values = {r[3] for r in rows} - set(index)
    if missing_values:
        raise ValueError(f"values {sorted(map(str, missing_values))} not in values={value_list!r}")
    m, n_values = len(coder_list), len(names)
    all_sections: list[np.ndarray] = []
    conflicts: list[Conflict] = []
    for coder in coder_list:
        own = [(s, e, index[v]) for c, s, e, v in rows if c == coder]
        sections, found = _partition(own, begin, end, coder, names)
        conflicts += found
        all_sections.append(np.array(sections, dtype=np.int64).reshape(-1, 3))
    cuts = np.unique(np.concatenate([sec[:, :2].ravel() for sec in all_sections]))
    piece_len = np.diff(cuts).astype(float)
    # value of each coder on each elementary piece: [coders, pieces]
    value_at = np.empty((m, len(piece_len)), dtype=np.int64)
    for i, sec in enumerate(all_sections):
        owner = np.searchsorted(sec[:, 0], cuts[:-1], side="right") - 1
        value_at[i] = sec[owner, 2]
    counts = np.zeros((len(piece_len), n_values))
    np.add.at(counts, (np.broadcast_to(np.arange(len(piece_len)), value_at.shape), value_at), 1.0)
    weighted = counts * piece_len[:, None]
    ell = (weighted.T @ counts - np.diag(weighted.sum(axis=0))) / (m - 1)
    self_terms = np.zeros(n_values)
    self_coded = np.zeros(n_values - 1)
    coded_count = (counts[:, 1:]).sum(axis=1)  # coders coding each piece
    for i, sec in enumerate(all_sections):
        lengths = (sec[:, 1] - sec[:, 0]).astype(float)
        np.add.at(self_terms, sec[:, 2], np.where(sec[:, 2] == 0, lengths, lengths**2))
        # pairable length of each of coder i's spans: pieces some other coder also coded
        others = coded_count - (value_at[i] > 0)
        piece_pairable = piece_len * (others > 0)
        cum = np.concatenate([[0.0], np.cumsum(piece_pairable)])
        lo = np.searchsorted(cuts, sec[:, 0])
        hi = np.searchsorted(cuts, sec[:, 1])
        pairable = cum[hi] - cum[lo]
        spans_only = sec[:, 2] > 0
        np.add.at(self_coded, sec[spans_only, 2] - 1, pairable[spans_only] ** 2)
    return UnitizedParts(names, ell, self_terms, ell[1:, 1:].copy(), self_coded, m, end - begin, conflicts)


# --------------------------------------------------------------------------- coefficients
def _expected(ell: np.ndarray, self_terms: np.ndarray) -> np.ndarray:
    total = ell.sum()
    if total <= 0:
        return np.zeros_like(ell)
    denom = total - self_terms.sum() / total
    return (np.outer(ell.sum(axis=1), ell.sum(axis=0)) - np.diag(self_terms)) / denom


def _alpha(d_o: float, d_e: float) -> float:
    return 1.0 - d_o / d_e if d_e > 1e-12 else NAN


def _off(matrix: np.ndarray) -> float:
    return float(matrix.sum() - np.trace(matrix))


def alpha_from_parts(parts: UnitizedParts) -> UnitizedAlpha:
    """The family's coefficients from (possibly concatenated) :class:`UnitizedParts`."""
    ell, eps = parts.ell, _expected(parts.ell, parts.self_terms)
    d_o, d_e = _off(ell), _off(eps)
    # |uα: gap against every value
    collapse = np.zeros((len(parts.values), 2))
    collapse[0, 0] = 1.0
    collapse[1:, 1] = 1.0
    ell2, eps2 = collapse.T @ ell @ collapse, collapse.T @ eps @ collapse
    d_o2, d_e2 = _off(ell2), _off(eps2)
    star, eps_star = parts.ell_coded, _expected(parts.ell_coded, parts.self_coded)
    d_o_cu, d_e_cu = _off(star), _off(eps_star)
    by_category: dict[Hashable, float] = {}
    col_l, col_e = star.sum(axis=0), eps_star.sum(axis=0)
    for k, name in enumerate(parts.values[1:]):
        do_k, de_k = col_l[k] - star[k, k], col_e[k] - eps_star[k, k]
        if col_l[k] <= 0 or de_k <= 1e-12:
            by_category[name] = NAN
        else:
            by_category[name] = float(1.0 - (col_e[k] / col_l[k]) * do_k / de_k)
    reason = None
    if ell[1:, :].sum() == 0:
        reason = "no coder coded anything on this continuum, so there is nothing to compare"
    elif d_e <= 1e-12:
        reason = "no variation: the continuum is coded (or left uncoded) alike throughout, so alpha is 0/0"
    return UnitizedAlpha(
        alpha=_alpha(d_o, d_e),
        binary=_alpha(d_o2, d_e2),
        cu=_alpha(d_o_cu, d_e_cu),
        by_category=by_category,
        observed=d_o,
        expected=d_e,
        observed_cu=d_o_cu,
        expected_cu=d_e_cu,
        observed_binary=d_o2,
        expected_binary=d_e2,
        n_coders=parts.n_coders,
        length=parts.length,
        values=list(parts.values[1:]),
        conflicts=list(parts.conflicts),
        coincidences=ell,
        reason=reason,
    )


def unitized_alpha(
    spans: Iterable[tuple[Hashable, int, int, Hashable]],
    begin: int,
    end: int,
    coders: Sequence[Hashable] | None = None,
    values: Sequence[Hashable] | None = None,
) -> UnitizedAlpha:
    """Krippendorff's unitizing family on one continuum ``[begin, end)`` (see the module docstring).

    ``spans``: ``(coder, start, end, value)`` with ``start < end``; ``coders``: every coder
    (one who marked nothing still counts as having left the whole continuum uncoded);
    ``values``: the semantic domain's values (default: those used).

    Limiting cases (no published worked example was available to us; see the module
    docstring): two coders marking identical spans agree perfectly; one coder marking a
    span the other left uncoded is disagreement on unitizing (|uα < 1) but, with nothing
    coded in common, says nothing about the values (cuα undefined).

    >>> same = [("a", 10, 20, "x"), ("b", 10, 20, "x"), ("a", 30, 40, "y"), ("b", 30, 40, "y")]
    >>> r = unitized_alpha(same, 0, 50)
    >>> r.alpha, r.binary, r.cu, r.by_category
    (1.0, 1.0, 1.0, {'x': 1.0, 'y': 1.0})

    Worked by hand (``tests/test_unitized.py`` spells the sums out): the same spans, but
    coder b calls the first one y.  The unitizing is identical (|uα = 1); on [10, 20) the
    values differ, ℓ_xy = ℓ_yx = 10 of ℓ.. = 100, and D_o = 20, D_e = 100 − 4140/95.4, so
    uα = 0.647; among the coded sections D_o = D_e = 20, so cuα = 0.

    >>> r = unitized_alpha([("a", 10, 20, "x"), ("b", 10, 20, "y"), ("a", 30, 40, "y"), ("b", 30, 40, "y")], 0, 50)
    >>> r.binary, round(r.alpha, 3), round(r.cu, 3)
    (1.0, 0.647, 0.0)
    """
    return alpha_from_parts(unitized_parts(spans, begin, end, coders, values))


def cu_over_domains(results: Iterable[UnitizedAlpha]) -> float:
    """``Cuα``: coding given unitizing over several semantic domains, ``1 − ΣD_o / ΣD_e`` of
    their cuα disagreements (domains that are undefined contribute nothing)."""
    d_o = d_e = 0.0
    for r in results:
        if np.isfinite(r.observed_cu) and np.isfinite(r.expected_cu):
            d_o += r.observed_cu
            d_e += r.expected_cu
    return _alpha(d_o, d_e)


def unitized_bootstrap(
    parts: Sequence[UnitizedParts], n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of uα, |uα and cuα from resampling whole continua (documents).

    Continua are the independent units here (characters within a document are not), so
    the interval needs several documents; with one it is (NaN, NaN).  Each resample
    concatenates documents drawn with replacement (the statistics are sums over continua).
    """
    if len(parts) < 2 or n_boot <= 0:
        return {k: (NAN, NAN) for k in ("alpha", "binary", "cu")}
    rng = np.random.default_rng(seed)
    ell = np.stack([p.ell for p in parts])
    self_t = np.stack([p.self_terms for p in parts])
    ell_c = np.stack([p.ell_coded for p in parts])
    self_c = np.stack([p.self_coded for p in parts])
    weights = rng.multinomial(len(parts), np.full(len(parts), 1.0 / len(parts)), size=n_boot).astype(float)
    out: dict[str, list[float]] = {"alpha": [], "binary": [], "cu": []}
    for w in weights:
        sample = UnitizedParts(
            parts[0].values,
            np.tensordot(w, ell, axes=1),
            w @ self_t,
            np.tensordot(w, ell_c, axes=1),
            w @ self_c,
            parts[0].n_coders,
            0,
        )
        r = alpha_from_parts(sample)
        out["alpha"].append(r.alpha)
        out["binary"].append(r.binary)
        out["cu"].append(r.cu)
    tail = (1.0 - confidence) / 2.0
    result: dict[str, tuple[float, float]] = {}
    for key, samples in out.items():
        arr = np.array(samples)
        arr = arr[np.isfinite(arr)]
        result[key] = (float(np.quantile(arr, tail)), float(np.quantile(arr, 1 - tail))) if arr.size else (NAN, NAN)
    return result


# --------------------------------------------------------------------------- Krippendorff 2004
def unitized_alpha_2004(
    spans: Iterable[tuple[Hashable, int, int, Hashable]],
    begin: int,
    end: int,
    coders: Sequence[Hashable] | None = None,
) -> tuple[float, dict[Hashable, float], dict[Hashable, tuple[float, float]]]:
    """Krippendorff's (1995, 2004 ch. 11) unitizing alpha per value and over all values.

    Per value c, with each coder's c-spans and the gaps between them: the observed
    disagreement sums, over pairs of overlapping sections of two different coders, the
    squared differences of their boundaries for two spans, the squared span length for a
    span lying inside the other's gap, and 0 otherwise, divided by ``m(m−1)L²``; the
    expected disagreement follows Krippendorff (2004, p. 253).  Returns
    ``(alpha over all values = 1 − ΣD_o/ΣD_e, {value: alpha}, {value: (D_o, D_e)})``.
    The 2016 paper replaces this definition (it misbehaves with more than two coders);
    it is kept for comparison with DKPro Statistics and older reports.

    Published example (Krippendorff 2004, p. 254, as carried by DKPro Statistics' tests):
    two coders on [150, 450).

    >>> spans = [(0, 225, 295, "c"), (0, 370, 400, "c"), (1, 220, 300, "c"), (1, 355, 375, "c"),
    ...          (1, 400, 420, "c"), (0, 180, 240, "k"), (0, 300, 350, "k"), (1, 180, 240, "k"),
    ...          (1, 300, 350, "k")]
    >>> overall, per_value, parts = unitized_alpha_2004(spans, 150, 450)
    >>> round(overall, 4), round(per_value["c"], 4), per_value["k"]
    (0.8587, 0.7286, 1.0)
    >>> [round(x, 4) for x in parts["c"]], [round(x, 4) for x in parts["k"]]
    ([0.0144, 0.0532], [0.0, 0.049])
    """
    rows = [(c, int(s), int(e), v) for c, s, e, v in spans]
    coder_list = list(coders) if coders is not None else list(dict.fromkeys(r[0] for r in rows))
    m, length = len(coder_list), end - begin
    per_value: dict[Hashable, float] = {}
    parts: dict[Hashable, tuple[float, float]] = {}
    total_o = total_e = 0.0
    for value in dict.fromkeys(r[3] for r in rows):
        sections = []
        for coder in coder_list:
            own = [(s, e, 1) for c, s, e, v in rows if c == coder and v == value]
            sec, _ = _partition(own, begin, end, coder, [GAP, value])
            sections.append(np.array(sec, dtype=np.int64).reshape(-1, 3))
        d_o = 0.0
        for i in range(m):
            for j in range(m):
                if i != j:
                    d_o += _pair_distance_2004(sections[i], sections[j])
        d_o /= m * (m - 1) * length**2
        allsec = np.concatenate(sections)
        units = allsec[allsec[:, 2] == 1]
        gaps = allsec[allsec[:, 2] == 0]
        lu = (units[:, 1] - units[:, 0]).astype(float)
        lg = (gaps[:, 1] - gaps[:, 0]).astype(float)
        n_c = len(lu)
        inner = (n_c - 1) / 3.0 * (2 * lu**3 - 3 * lu**2 + lu)
        fits = lg[None, :] >= lu[:, None]
        inner += lu**2 * (np.where(fits, lg[None, :] - lu[:, None] + 1, 0.0)).sum(axis=1)
        denom = m * length * (m * length - 1) - float((lu * (lu - 1)).sum())
        d_e = (2.0 / length) * float(inner.sum()) / denom
        per_value[value] = 1.0 - d_o / d_e if d_e > 0 else NAN
        parts[value] = (d_o, d_e)
        total_o += d_o
        total_e += d_e
    return (1.0 - total_o / total_e if total_e > 0 else NAN), per_value, parts


def _pair_distance_2004(a: np.ndarray, b: np.ndarray) -> float:
    """Σ δ² over overlapping sections of two coders (Krippendorff 2004, p. 252)."""
    a_s, a_e, a_v = a[:, 0][:, None], a[:, 1][:, None], a[:, 2][:, None]
    b_s, b_e, b_v = b[:, 0][None, :], b[:, 1][None, :], b[:, 2][None, :]
    overlap = (np.minimum(a_e, b_e) - np.maximum(a_s, b_s)) > 0
    both = (a_v == 1) & (b_v == 1)
    d_both = (a_s - b_s) ** 2 + (a_e - b_e) ** 2
    a_in_gap = (a_v == 1) & (b_v == 0) & (a_s >= b_s) & (a_e <= b_e)
    b_in_gap = (a_v == 0) & (b_v == 1) & (b_s >= a_s) & (b_e <= a_e)
    d = np.where(both, d_both, 0) + np.where(a_in_gap, (a_e - a_s) ** 2, 0) + np.where(b_in_gap, (b_e - b_s) ** 2, 0)
    return float((d * overlap).sum())


def describe_unitized(values: Sequence[Any]) -> str:
    """The method line reports print for span agreement."""
    return (
        "Krippendorff's unitizing alpha family (Krippendorff, Mathet, Bouvry & Widlöcher 2016; Krippendorff "
        "2019 §12.6) on the characters of each document, documents concatenated: |uα = agreement on what is "
        "coded at all, uα = on spans and codes, cuα = on the codes where the coders' spans coincide, per theme "
        f"(its codes treated as mutually exclusive); Cuα pools the themes' cuα; {len(values)} value(s)"
    )


__all__ = [
    "GAP",
    "Conflict",
    "UnitizedParts",
    "UnitizedAlpha",
    "unitized_parts",
    "unitized_alpha",
    "alpha_from_parts",
    "cu_over_domains",
    "unitized_bootstrap",
    "unitized_alpha_2004",
]
