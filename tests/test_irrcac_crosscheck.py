"""Cross-checks against irrCAC (Gwet's own package): values, standard errors and intervals of
Fleiss' kappa, AC1, Brennan-Prediger and Conger's kappa on Gwet's four-rater example and 150
seeded random data sets with missing ratings.

irrCAC 0.4.4 pins scipy==1.12 and pandas<3 (and under pandas 3 it returns a wrong AC1 on
Gwet's own example), so it cannot be a dev dependency here: its outputs were produced in a
separate environment by ``tests/data/irrcac/generate.py`` (which also made the data) and are
stored in ``irrcac_reference.json``.  Regenerate them with the commands in that script."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from qualcode import agreement as ag

REFERENCE = json.loads((Path(__file__).parent / "data" / "irrcac" / "irrcac_reference.json").read_text())
CASES = REFERENCE["cases"]
STATISTICS = ("fleiss", "ac1", "brennan_prediger", "conger")


def test_reference_was_made_by_irrcac():
    assert REFERENCE["generated_with"]["irrCAC"] == "0.4.4" and len(CASES) == 151
    assert CASES[0]["name"].startswith("Gwet 2014")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_irrcac(case):
    for statistic in STATISTICS:
        theirs = case["irrcac"][statistic]
        ours = ag.coefficient_estimate(case["data"], statistic)
        if statistic == "conger" and any(all(v is None for v in row) for row in case["data"]):
            # irrCAC returns NaN when a coder rated nothing; qualcode leaves that coder out
            assert math.isnan(theirs["coefficient_value"]) and math.isfinite(ours.value)
            continue
        if math.isnan(ours.value):
            # undefined here (no variation among pairable values), irrCAC reports a number
            assert ours.reason, statistic
            continue
        assert ours.value == pytest.approx(theirs["coefficient_value"], abs=1e-12), statistic
        assert (ours.p_a, ours.p_e) == pytest.approx((theirs["pa"], theirs["pe"]), abs=1e-12), statistic
        if theirs["se"] > 1e-12:
            assert ours.se == pytest.approx(theirs["se"], abs=1e-12), statistic
            # scipy's t quantile for small degrees of freedom changed after 1.12 (irrCAC's pin) in the
            # 9th digit (relative 2e-9 at 6 df); the standard error itself agrees to 1e-12 above
            assert (ours.low, ours.high) == pytest.approx(theirs["confidence_interval"], abs=1e-8), statistic


def test_scalar_functions_use_gwets_form_by_default():
    gwet = CASES[0]
    for statistic, fn in (("fleiss", ag.fleiss_kappa), ("ac1", ag.gwet_ac1), ("conger", ag.conger_kappa)):
        assert fn(gwet["data"]) == pytest.approx(gwet["irrcac"][statistic]["coefficient_value"], abs=1e-12)
    assert ag.brennan_prediger(gwet["data"]) == pytest.approx(
        gwet["irrcac"]["brennan_prediger"]["coefficient_value"], abs=1e-12
    )
    # the batched 0/1 version agrees with the scalar one on missing data
    p = np.array([[[1, 0, np.nan, 1, 0], [1, 1, 0, np.nan, 0], [np.nan, 1, 0, np.nan, 1]]], dtype=float)
    assert ag.fleiss_kappa_many(p)[0] == pytest.approx(ag.fleiss_kappa(p[0]), abs=1e-13)


def test_ac1_categories_rule_and_undefined_cases():
    data = [[1, 2, 2, 1], [1, 2, 1, 1]]
    # q = categories used (irrCAC's rule); n_categories adds unused ones: p_e = Σπ(1−π)/(q−1)
    pi = np.array([5 / 8, 3 / 8])
    p_a = 3 / 4
    for q in (2, 4):
        p_e = float((pi * (1 - pi)).sum() / (q - 1))
        want = (p_a - p_e) / (1 - p_e)
        got = ag.gwet_ac1(data, n_categories=q if q != 2 else None)
        assert got == pytest.approx(want, abs=1e-13)
    with pytest.raises(ValueError, match="n_categories"):
        ag.gwet_ac1(data, n_categories=1)
    flat = [[1, 1, 2], [1, 1, None]]  # formerly 1.0: every pairable value alike
    assert math.isnan(ag.gwet_ac1(flat)) and ag.explain_undefined(flat, "ac1") is not None
    assert math.isnan(ag.gwet_ac1([[1, 1], [1, 1]]))  # one category: chance agreement 1
    assert ag.explain_undefined([[1, 2], [1, 2]], "ac1") is None
    est = ag.coefficient_estimate(flat, "ac1")
    assert math.isnan(est.value) and est.reason


def test_cohen_with_its_standard_error_is_conger_for_two_complete_coders():
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = rng.integers(1, 4, 30).tolist()
        b = [x if rng.random() < 0.7 else int(rng.integers(1, 4)) for x in a]
        est = ag.coefficient_estimate([a, b], "cohen")
        assert est.value == pytest.approx(ag.cohen_kappa(a, b), abs=1e-12)
        assert est.se == pytest.approx(ag.coefficient_estimate([a, b], "conger").se, abs=1e-15)
        assert est.low < est.value < est.high
