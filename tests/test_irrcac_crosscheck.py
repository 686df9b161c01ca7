"""Cross-checks against irrCAC (Gwet's own package, Python port): values, standard errors and
intervals of Fleiss' kappa, AC1, Brennan-Prediger and Conger's kappa on random data with
missing ratings, and Gwet's four-rater example."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode import agreement as ag

irrcac_raw = pytest.importorskip("irrCAC.raw")

METHOD = {"fleiss": "fleiss", "ac1": "gwet", "brennan_prediger": "bp", "conger": "conger"}
GWET4 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, None],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def irrcac(data, statistic, categories=None):
    frame = pd.DataFrame(np.array([[np.nan if v is None else v for v in row] for row in data], dtype=float).T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cac = irrcac_raw.CAC(frame, categories=categories, digits=15)
        return getattr(cac, METHOD[statistic])()["est"]


@pytest.mark.parametrize("statistic", list(METHOD))
def test_gwet_four_rater_example_matches_irrcac(statistic):
    ours = ag.coefficient_estimate(GWET4, statistic)
    theirs = irrcac(GWET4, statistic)
    assert ours.value == pytest.approx(theirs["coefficient_value"], abs=1e-12)
    assert ours.se == pytest.approx(theirs["se"], abs=1e-12)
    assert (ours.low, ours.high) == pytest.approx(theirs["confidence_interval"], abs=1e-12)
    assert (ours.p_a, ours.p_e) == pytest.approx((theirs["pa"], theirs["pe"]), abs=1e-12)


def test_scalar_functions_use_gwets_form_by_default():
    assert ag.fleiss_kappa(GWET4) == pytest.approx(irrcac(GWET4, "fleiss")["coefficient_value"], abs=1e-12)
    assert ag.gwet_ac1(GWET4) == pytest.approx(irrcac(GWET4, "ac1")["coefficient_value"], abs=1e-12)
    assert ag.conger_kappa(GWET4) == pytest.approx(irrcac(GWET4, "conger")["coefficient_value"], abs=1e-12)
    # the batched 0/1 version agrees with the scalar one on missing data
    p = np.array([[[1, 0, np.nan, 1, 0], [1, 1, 0, np.nan, 0], [np.nan, 1, 0, np.nan, 1]]], dtype=float)
    assert ag.fleiss_kappa_many(p)[0] == pytest.approx(ag.fleiss_kappa(p[0]), abs=1e-13)


def test_ac1_categories_rule_and_undefined_cases():
    data = [[1, 2, 2, 1], [1, 2, 1, 1]]
    # irrCAC's rule: q = categories used; n_categories adds unused ones
    assert ag.gwet_ac1(data) == pytest.approx(irrcac(data, "ac1")["coefficient_value"], abs=1e-12)
    assert ag.gwet_ac1(data, n_categories=4) == pytest.approx(
        irrcac(data, "ac1", categories=[1, 2, 3, 4])["coefficient_value"], abs=1e-12
    )
    with pytest.raises(ValueError, match="n_categories"):
        ag.gwet_ac1(data, n_categories=1)
    # formerly 1.0: every pairable value alike
    flat = [[1, 1, 2], [1, 1, None]]
    assert math.isnan(ag.gwet_ac1(flat)) and ag.explain_undefined(flat, "ac1") is not None
    assert math.isnan(ag.gwet_ac1([[1, 1], [1, 1]]))  # one category: chance agreement 1
    assert ag.explain_undefined([[1, 2], [1, 2]], "ac1") is None
    est = ag.coefficient_estimate(flat, "ac1")
    assert math.isnan(est.value) and est.reason


values = st.one_of(st.none(), st.integers(min_value=1, max_value=3))


@st.composite
def ratings(draw):
    n_coders = draw(st.integers(2, 5))
    n_units = draw(st.integers(3, 20))
    return [[draw(values) for _ in range(n_units)] for _ in range(n_coders)]


@settings(max_examples=80, deadline=None)
@given(data=ratings(), statistic=st.sampled_from(list(METHOD)))
def test_random_data_match_irrcac(data, statistic):
    ours = ag.coefficient_estimate(data, statistic)
    if math.isnan(ours.value):
        assert ours.reason
        return
    rated = sum(any(row[u] is not None for row in data) for u in range(len(data[0])))
    if rated < 2:
        return
    theirs = irrcac(data, statistic)
    assert ours.value == pytest.approx(theirs["coefficient_value"], abs=1e-9)
    if theirs["se"] > 1e-12:
        assert ours.se == pytest.approx(theirs["se"], abs=1e-9)
        assert (ours.low, ours.high) == pytest.approx(theirs["confidence_interval"], abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(1, 3), st.integers(1, 3)), min_size=3, max_size=30))
def test_cohen_is_conger_for_two_complete_coders(pairs):
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    kappa = ag.cohen_kappa(a, b)
    est = ag.coefficient_estimate([a, b], "cohen")
    if math.isnan(kappa):
        return
    assert est.value == pytest.approx(kappa, abs=1e-12)
    theirs = irrcac([a, b], "conger")
    assert est.se == pytest.approx(theirs["se"], abs=1e-9) or theirs["se"] < 1e-12
