"""Tests of qualcode.agreement: published values, cross-checks, properties, batched = scalar."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from qualcode import agreement as ag

NA = None

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C:
# 4 observers × 12 units with missing values.  Gwet (2014, p. 120) reuses it.
KRIPP_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
    [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
]

# Fleiss (1971), Table 1: 30 patients (rows here) × 6 psychiatrists, 5 diagnoses.
FLEISS_1971_PATIENTS = [
    [4, 4, 4, 4, 4, 4],
    [2, 2, 2, 5, 5, 5],
    [2, 3, 3, 3, 3, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3],
    [3, 3, 3, 3, 5, 5],
    [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4],
    [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4],
    [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3],
    [1, 4, 4, 4, 4, 4],
    [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5],
    [1, 1, 1, 1, 1, 2],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 4, 4, 4, 4, 4],
    [2, 2, 4, 5, 5, 5],
    [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4],
    [1, 1, 1, 1, 5, 5],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3],
    [5, 5, 5, 5, 5, 5],
]
FLEISS_1971 = np.array(FLEISS_1971_PATIENTS).T  # coders × units

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects × 14 raters, counts per category.
WIKI_FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def counts_to_ratings(counts: list[list[int]]) -> np.ndarray:
    """Subject × category counts → coders × units (coder order is arbitrary for Fleiss)."""
    return np.array([[c for c, n in enumerate(row) for _ in range(n)] for row in counts]).T


def table_to_pairs(table: list[list[int]]) -> list[list[int]]:
    """A two-coder contingency table (rows coder A) → [labels A, labels B]."""
    a = [i for i, row in enumerate(table) for j, n in enumerate(row) for _ in range(n)]
    b = [j for i, row in enumerate(table) for j, n in enumerate(row) for _ in range(n)]
    return [a, b]


# Wikipedia, "Cohen's kappa", worked example: 50 proposals, 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
WIKI_COHEN = table_to_pairs([[20, 5], [10, 15]])
# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed.: 100 pregnant women × 2 abstractors
# (Ectopic, AIU, NIU), the ectopic-pregnancy table used throughout ch. 2-4.
GWET_ECTOPIC = table_to_pairs([[13, 0, 0], [0, 20, 7], [0, 4, 56]])

PUBLISHED = [
    # (statistic, data, kwargs, value as published, source)
    ("alpha", KRIPP_2011, {"level": "nominal"}, 0.743, "Krippendorff 2011, example C, p. 3"),
    ("alpha", KRIPP_2011, {"level": "ordinal"}, 0.815, "Krippendorff 2011, example C, p. 5"),
    ("alpha", KRIPP_2011, {"level": "interval"}, 0.849, "Krippendorff 2011, example C, p. 5"),
    ("alpha", KRIPP_2011, {"level": "ratio"}, 0.797, "Krippendorff 2011, example C, p. 6"),
    ("fleiss", FLEISS_1971, {}, 0.430, "Fleiss 1971, Table 1 / p. 381"),
    ("fleiss", counts_to_ratings(WIKI_FLEISS_COUNTS), {}, 0.210, "Wikipedia 'Fleiss' kappa' worked example"),
    ("fleiss", KRIPP_2011, {"single_rated": "prevalence"}, 0.761, "Gwet 2014, Handbook 4th ed., p. 120"),
    ("ac1", KRIPP_2011, {"single_rated": "prevalence"}, 0.775, "Gwet 2014, Handbook 4th ed., p. 120"),
    ("brennan_prediger", KRIPP_2011, {}, 0.773, "Gwet 2014, Handbook 4th ed., p. 120"),
    ("percent", KRIPP_2011, {}, 0.818, "Gwet 2014, Handbook 4th ed., p. 120 (p_a)"),
    ("cohen", WIKI_COHEN, {}, 0.400, "Wikipedia 'Cohen's kappa' worked example (50 proposals)"),
    ("cohen", GWET_ECTOPIC, {}, 0.796, "Gwet 2014, Handbook 4th ed., ectopic-pregnancy table"),
    ("cohen", GWET_ECTOPIC, {"weights": "linear"}, 0.843, "Gwet 2014, ectopic-pregnancy table, linear weights"),
    ("cohen", GWET_ECTOPIC, {"weights": "quadratic"}, 0.892, "Gwet 2014, ectopic-pregnancy table, quadratic"),
    ("scott", GWET_ECTOPIC, {}, 0.796, "Gwet 2014, Handbook 4th ed., ectopic-pregnancy table"),
    ("ac1", GWET_ECTOPIC, {}, 0.849, "Gwet 2014, Handbook 4th ed., ectopic-pregnancy table"),
    ("brennan_prediger", GWET_ECTOPIC, {}, 0.835, "Gwet 2014, Handbook 4th ed., ectopic-pregnancy table"),
]


def compute(statistic: str, data, **kwargs) -> float:
    if statistic == "alpha":
        return ag.krippendorff_alpha(data, **kwargs)
    if statistic == "fleiss":
        return ag.fleiss_kappa(data, **kwargs)
    if statistic == "ac1":
        return ag.gwet_ac1(data, **kwargs)
    if statistic == "brennan_prediger":
        return ag.brennan_prediger(data, **kwargs)
    if statistic == "percent":
        return ag.percent_agreement(data)
    if statistic == "cohen":
        return ag.cohen_kappa(data[0], data[1], **kwargs)
    if statistic == "scott":
        return ag.scott_pi(data)
    raise AssertionError(statistic)


@pytest.mark.parametrize(
    "statistic, data, kwargs, published, source", PUBLISHED, ids=[f"{p[0]}-{p[4]}-{p[2]}" for p in PUBLISHED]
)
def test_published_values(statistic, data, kwargs, published, source):
    assert round(compute(statistic, data, **kwargs), 3) == pytest.approx(published, abs=1e-9), source


def test_bootstrap_point_estimate_and_interval_are_sane():
    est = ag.bootstrap_alpha(KRIPP_2011, n_boot=2000, seed=3)
    assert round(est.alpha, 3) == 0.743
    assert -1.0 <= est.low < est.alpha < est.high <= 1.0
    assert est.n_values == 40 and est.n_units == 11
    # q falls as the bar falls
    qs = [est.q[a] for a in sorted(est.q, reverse=True)]
    assert qs == sorted(qs, reverse=True)
    assert est.prob_below(0.8) == pytest.approx(est.q[0.8])
    again = ag.bootstrap_alpha(KRIPP_2011, n_boot=2000, seed=3)
    assert (again.low, again.high) == (est.low, est.high)


def test_kalpha_bootstrap_caps_pairs_and_the_units_bootstrap_is_narrower():
    """Two coders who each err independently on 400 units: KALPHA's algorithm draws 25·q
    pairs (capped) or all pairs; the default units bootstrap is narrower than the capped one
    and agrees with the batched version."""
    rng = np.random.default_rng(7)
    truth = rng.random(400) < 0.3
    coders = np.array([np.where(rng.random(400) < 0.1, ~truth, truth) for _ in range(2)]).astype(float)
    capped = ag.bootstrap_alpha(coders, n_boot=1000, seed=0, method="kalpha")
    full = ag.bootstrap_alpha(coders, n_boot=1000, seed=0, method="kalpha", cap_draws=False)
    units = ag.bootstrap_alpha(coders, n_boot=2000, seed=0)
    assert capped.n_pairs == 25 * 4 and full.n_pairs == 400 and units.n_pairs == 0
    assert (capped.method, units.method) == ("kalpha", "units")
    for est in (capped, full, units):
        assert est.low < est.alpha < est.high
    assert full.high - full.low < capped.high - capped.low
    assert units.high - units.low < capped.high - capped.low
    assert "units drawn with replacement" in units.method_text and "KALPHA" in capped.method_text
    # the batched versions give nearly the same intervals
    alpha, low, high = ag.binary_bootstrap_alpha_many(
        coders[None], n_boot=4000, seed=1, cap_draws=False, method="kalpha"
    )
    assert alpha[0] == pytest.approx(full.alpha, abs=1e-12)
    assert low[0] == pytest.approx(full.low, abs=0.03)
    assert high[0] == pytest.approx(full.high, abs=0.03)
    alpha, low, high = ag.binary_bootstrap_alpha_many(coders[None], n_boot=4000, seed=1)
    assert low[0] == pytest.approx(units.low, abs=0.02)
    assert high[0] == pytest.approx(units.high, abs=0.02)


# --------------------------------------------------------------------------- cross-checks
reliability_values = st.one_of(st.none(), st.integers(min_value=1, max_value=4))


@st.composite
def reliability_data(draw, max_coders=5, max_units=25):
    n_coders = draw(st.integers(2, max_coders))
    n_units = draw(st.integers(1, max_units))
    return [[draw(reliability_values) for _ in range(n_units)] for _ in range(n_coders)]


@settings(max_examples=150, deadline=None)
@given(data=reliability_data(), level=st.sampled_from(ag.LEVELS))
def test_alpha_matches_krippendorff_package(data, level):
    ours = ag.krippendorff_alpha(data, level)
    if math.isnan(ours):
        assert ag.explain_undefined(data, "alpha", level) is not None
        return
    arr = np.array([[np.nan if v is None else v for v in row] for row in data], dtype=float)
    theirs = krippendorff.alpha(arr, level_of_measurement=level)
    assert abs(ours - theirs) <= 1e-9


@settings(max_examples=100, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd")), min_size=2, max_size=40),
    weights=st.sampled_from([None, "linear", "quadratic"]),
)
def test_cohen_matches_sklearn(pairs, weights):
    a, b = zip(*pairs)
    ours = ag.cohen_kappa(a, b, weights=weights)
    if math.isnan(ours):
        assert len(set(a) | set(b)) == 1
        return
    theirs = cohen_kappa_score(a, b, weights=weights)
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_cohen_drops_pairs_with_a_missing_value():
    a = ["x", "y", None, "x", "y", "x"]
    b = ["x", "y", "y", None, "x", "x"]
    assert ag.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(["x", "y", "y", "x"], ["x", "y", "x", "x"]))


def test_scott_pi_equals_fleiss_for_two_coders_and_rejects_three():
    assert ag.scott_pi(GWET_ECTOPIC) == pytest.approx(ag.fleiss_kappa(GWET_ECTOPIC))
    with pytest.raises(ValueError, match="two coders"):
        ag.scott_pi(KRIPP_2011)


def test_fleiss_drop_ignores_singly_rated_units_entirely():
    with_single = [[1, 2, 1, 3], [1, 2, 2, None]]
    without = [[1, 2, 1], [1, 2, 2]]
    assert ag.fleiss_kappa(with_single, "drop") == pytest.approx(ag.fleiss_kappa(without))
    # Gwet's form (the default) keeps the singly rated unit in the category shares
    assert ag.fleiss_kappa(with_single) != pytest.approx(ag.fleiss_kappa(without))


def test_holsti_counts_shared_decisions():
    a = [("s1", "cost"), ("s2", "trust"), ("s3", "cost")]
    b = [("s1", "cost"), ("s3", "cost"), ("s4", "trust"), ("s5", "cost")]
    assert ag.holsti(a, b) == pytest.approx(2 * 2 / 7)
    assert math.isnan(ag.holsti([], []))


def test_labels_of_any_hashable_type():
    data = [["a", ("t", 1), None, "a"], ["a", ("t", 1), "b", "b"]]
    assert ag.krippendorff_alpha(data) == pytest.approx(ag.krippendorff_alpha([[0, 1, None, 0], [0, 1, 2, 2]]))
    mixed = [[1, "x", 1], [1, "x", "x"]]  # unorderable mix still works for nominal data
    assert ag.krippendorff_alpha(mixed) == pytest.approx(ag.krippendorff_alpha([[1, 2, 1], [1, 2, 2]]))
    with pytest.raises(ValueError, match="explicit order"):
        ag.krippendorff_alpha(mixed, "ordinal")


# --------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(data=reliability_data(), seed=st.integers(0, 2**16))
def test_permuting_units_and_coders_changes_nothing(data, seed):
    rng = np.random.default_rng(seed)
    arr = np.array(data, dtype=object)
    shuffled = arr[rng.permutation(arr.shape[0])][:, rng.permutation(arr.shape[1])]
    for fn in (ag.krippendorff_alpha, ag.fleiss_kappa, ag.percent_agreement, ag.gwet_ac1, ag.brennan_prediger):
        x, y = fn(arr), fn(shuffled)
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-12), fn.__name__


@pytest.mark.parametrize(
    "fn", [ag.krippendorff_alpha, ag.fleiss_kappa, ag.gwet_ac1, ag.brennan_prediger, ag.percent_agreement, ag.scott_pi]
)
def test_perfect_agreement_is_one(fn):
    assert fn([["a", "b", "c", "a", None], ["a", "b", "c", "a", "b"]]) == pytest.approx(1.0)


@pytest.mark.parametrize("fn", [ag.krippendorff_alpha, ag.fleiss_kappa, ag.gwet_ac1, ag.scott_pi, ag.brennan_prediger])
def test_no_variation_is_nan_with_reason(fn):
    data = [["yes", "yes", "yes"], ["yes", "yes", "yes"]]
    assert math.isnan(fn(data))
    assert "no variation" in ag.explain_undefined(data)
    assert math.isnan(ag.cohen_kappa(*data))


@pytest.mark.parametrize("fn", [ag.krippendorff_alpha, ag.fleiss_kappa, ag.percent_agreement, ag.gwet_ac1])
def test_nothing_pairable_is_nan_with_reason(fn):
    data = [[1, None, None], [None, 2, None]]
    assert math.isnan(fn(data))
    assert ag.explain_undefined(data, "percent") == ag.REASON_NO_PAIRS
    assert math.isnan(ag.bootstrap_alpha(data).alpha)
    assert ag.bootstrap_alpha(data).reason == ag.REASON_NO_PAIRS


def test_brennan_prediger_with_known_categories_is_defined_without_variation():
    # with q given, BP has a chance term even when only one category occurs
    assert ag.brennan_prediger([[0, 0, 0], [0, 0, 0]], n_categories=2) == pytest.approx(1.0)
    assert math.isnan(ag.brennan_prediger([[0, 0, 0], [0, 0, 0]]))


def test_input_errors_are_explicit():
    with pytest.raises(ValueError, match="level"):
        ag.krippendorff_alpha([[1, 2], [1, 2]], "cardinal")
    with pytest.raises(ValueError, match="same number of units"):
        ag.krippendorff_alpha([[1, 2], [1]])
    with pytest.raises(ValueError, match=r"order=\[\.\.\.\]"):
        ag.krippendorff_alpha([["a", "b"], ["a", "a"]], "interval")
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        ag.binary_alpha_many(np.array([[[0.0, 2.0], [1.0, 0.0]]]))


# --------------------------------------------------------------------------- batched = scalar
@st.composite
def presence_arrays(draw):
    n_codes = draw(st.integers(1, 6))
    n_coders = draw(st.integers(2, 4))
    n_units = draw(st.integers(1, 30))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    p = (rng.random((n_codes, n_coders, n_units)) < draw(st.floats(0.0, 1.0))).astype(float)
    p[rng.random(p.shape) < draw(st.sampled_from([0.0, 0.1, 0.4]))] = np.nan
    return p


def _same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-9


@settings(max_examples=120, deadline=None)
@given(p=presence_arrays())
def test_batched_functions_equal_scalar_ones(p):
    alpha = ag.binary_alpha_many(p)
    pa = ag.percent_agreement_many(p)
    fk = ag.fleiss_kappa_many(p)
    fk_prev = ag.fleiss_kappa_many(p, single_rated="prevalence")
    reasons = ag.binary_reasons_many(p)
    for c in range(p.shape[0]):
        assert _same(alpha[c], ag.krippendorff_alpha(p[c]))
        assert _same(pa[c], ag.percent_agreement(p[c]))
        assert _same(fk[c], ag.fleiss_kappa(p[c]))
        assert _same(fk_prev[c], ag.fleiss_kappa(p[c], single_rated="prevalence"))
        assert (reasons[c] is None) == (not math.isnan(alpha[c]))
    two = p[:, :2]
    ck = ag.cohen_kappa_many(two)
    for c in range(two.shape[0]):
        assert _same(ck[c], ag.cohen_kappa(two[c, 0], two[c, 1]))
    combined = ag.binary_agreement_many(p)
    assert np.array_equal(combined["alpha"], alpha, equal_nan=True)
    assert np.array_equal(combined["percent_agreement"], pa, equal_nan=True)


def test_batched_alpha_matches_package_on_larger_data():
    rng = np.random.default_rng(11)
    p = (rng.random((40, 3, 500)) < 0.15).astype(float)
    p[rng.random(p.shape) < 0.05] = np.nan
    ours = ag.binary_alpha_many(p)
    theirs = np.array([krippendorff.alpha(p[c], level_of_measurement="nominal") for c in range(40)])
    assert np.nanmax(np.abs(ours - theirs)) <= 1e-9


def test_boolean_presence_is_accepted():
    rng = np.random.default_rng(2)
    p = rng.random((5, 3, 50)) < 0.3
    assert np.allclose(ag.binary_alpha_many(p), ag.binary_alpha_many(p.astype(float)), equal_nan=True)


def test_batched_bootstrap_is_nan_where_alpha_is_undefined():
    p = np.zeros((2, 3, 10))
    p[1, :, :4] = 1
    p[1, 0, 5] = 1
    alpha, low, high = ag.binary_bootstrap_alpha_many(p, n_boot=200)
    assert math.isnan(alpha[0]) and math.isnan(low[0]) and math.isnan(high[0])
    assert low[1] <= alpha[1] <= high[1]


# --------------------------------------------------------------------------- order of text labels
WORDS = {1: "none", 2: "little", 3: "some", 4: "much", 5: "all"}
ORDER = ["none", "little", "some", "much", "all"]


def _labelled(data):
    return [[None if v is None else WORDS[v] for v in row] for row in data]


@pytest.mark.parametrize("level, published", [("ordinal", 0.815), ("interval", 0.849), ("nominal", 0.743)])
def test_text_labels_with_an_explicit_order_reproduce_krippendorff_2011_example_c(level, published):
    """Krippendorff (2011) example C with the values replaced by words: with their order the
    published values come back (interval: the ranks 1..5 are the values 1..5 here)."""
    assert round(ag.krippendorff_alpha(_labelled(KRIPP_2011), level, order=ORDER), 3) == published
    est = ag.bootstrap_alpha(_labelled(KRIPP_2011), level, n_boot=200, order=ORDER)
    assert round(est.alpha, 3) == published


def test_text_labels_without_an_order_are_refused_not_sorted():
    with pytest.raises(ValueError, match="order=") as info:
        ag.krippendorff_alpha(_labelled(KRIPP_2011), "ordinal")
    assert "alphabetically" in str(info.value)
    with pytest.raises(ValueError, match="not in order"):
        ag.krippendorff_alpha(_labelled(KRIPP_2011), "ordinal", order=ORDER[:4])
    with pytest.raises(ValueError, match="twice"):
        ag.krippendorff_alpha(_labelled(KRIPP_2011), "ordinal", order=ORDER + ["none"])
    # an order on numbers re-ranks them: reversed order gives the same ordinal alpha
    assert ag.krippendorff_alpha(KRIPP_2011, "ordinal", order=[5, 4, 3, 2, 1]) == pytest.approx(
        ag.krippendorff_alpha(KRIPP_2011, "ordinal"), abs=1e-13
    )
