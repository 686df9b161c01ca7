"""Krippendorff's unitizing alpha: the 2004 worked examples (as carried by DKPro Statistics'
tests), a hand-worked example of the 2016/2019 family, and an independent character-by-
character brute-force implementation of the 2016/2019 family on random span codings."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.agreement import unitized_alpha
from qualcode.unitized import GAP, alpha_from_parts, cu_over_domains, unitized_alpha_2004, unitized_parts


# --------------------------------------------------------------------------- Krippendorff 1995 / 2004
def _example_1995(stretch: int = 1):
    """Krippendorff (1995, p. 57) as in DKPro Statistics' Krippendorff1995Test: (coder, begin, length, value)."""
    rows = [
        (0, 2, 8, "A"), (0, 14, 6, "A"), (1, 4, 4, "A"), (1, 15, 2, "A"),
        (0, 0, 18, "B"), (1, 0, 2, "B"), (1, 2, 1, "B"), (1, 3, 1, "B"), (1, 4, 1, "B"), (1, 5, 1, "B"),
        (1, 6, 3, "B"), (1, 9, 1, "B"),
        (0, 2, 6, "C"), (0, 10, 2, "C"), (0, 14, 4, "C"), (0, 20, 2, "C"), (1, 0, 2, "C"), (1, 4, 4, "C"),
        (1, 10, 4, "C"), (1, 16, 2, "C"), (1, 20, 2, "C"),
        (0, 0, 2, "D"), (0, 2, 8, "D"), (0, 10, 4, "D"), (0, 14, 6, "D"), (0, 20, 4, "D"), (1, 0, 4, "D"),
        (1, 4, 4, "D"), (1, 8, 7, "D"), (1, 15, 2, "D"), (1, 17, 7, "D"),
    ]  # fmt: skip
    return [(c, b * stretch, (b + n) * stretch, v) for c, b, n, v in rows], 0, 24 * stretch


def test_krippendorff_1995_observed_disagreements():
    spans, begin, end = _example_1995()
    _, _, parts = unitized_alpha_2004(spans, begin, end)
    observed = {v: parts[v][0] for v in "ABCD"}
    assert observed == pytest.approx({"A": 0.03125, "B": 2.26736, "C": 0.02777, "D": 0.38715}, abs=1e-5)


def test_krippendorff_1995_alphas_on_a_fine_continuum():
    """DKPro's values at stretch 50,000 (tolerance 0.02 as there: D_e converges with the stretch)."""
    spans, begin, end = _example_1995(50_000)
    _, alphas, parts = unitized_alpha_2004(spans, begin, end)
    assert {v: alphas[v] for v in "ABCD"} == pytest.approx({"A": 0.553, "B": -0.926, "C": 0.679, "D": 0.066}, abs=0.02)
    assert parts["C"][1] == pytest.approx(0.08642, abs=0.005)


def test_krippendorff_2004_example():
    spans = [
        (0, 225, 295, "c"), (0, 370, 400, "c"), (1, 220, 300, "c"), (1, 355, 375, "c"), (1, 400, 420, "c"),
        (0, 180, 240, "k"), (0, 300, 350, "k"), (1, 180, 240, "k"), (1, 300, 350, "k"),
    ]  # fmt: skip
    overall, alphas, parts = unitized_alpha_2004(spans, 150, 450)
    assert alphas["c"] == pytest.approx(0.7286, abs=1e-4) and alphas["k"] == 1.0
    assert parts["c"] == pytest.approx((0.0144, 0.0532), abs=1e-4)
    assert overall == pytest.approx(0.8591, abs=0.0005)  # DKPro's tolerance


# --------------------------------------------------------------------------- 2016/2019 family
def test_hand_worked_example():
    """[0, 50): a codes x on [10,20) and y on [30,40); b codes y on both.
    ℓ: ∅∅ 60, xy = yx = 10, yy 20 (ℓ.. = m·L = 100).  Self-terms: gaps 6 × 10 = 60, x 10² = 100,
    y 3 × 10² = 300, s = 460, so ε's denominator is 100 − 460/100 = 95.4 and Σ_c ε_cc =
    (60² − 60 + 10² − 100 + 30² − 300)/95.4 = 4140/95.4.  uα = 1 − 20/(100 − 4140/95.4)."""
    r = unitized_alpha([("a", 10, 20, "x"), ("b", 10, 20, "y"), ("a", 30, 40, "y"), ("b", 30, 40, "y")], 0, 50)
    assert r.observed == pytest.approx(20.0) and r.expected == pytest.approx(100 - 4140 / 95.4)
    assert r.alpha == pytest.approx(1 - 20 / (100 - 4140 / 95.4), abs=1e-13)
    assert r.binary == 1.0 and r.cu == pytest.approx(0.0, abs=1e-13)
    assert r.coincidences.tolist() == [[60, 0, 0], [0, 0, 10], [0, 10, 20]]


def test_limiting_cases_and_errors():
    # a coder who coded nothing: all unitizing disagreement, nothing to say about values
    r = unitized_alpha([("a", 10, 20, "x")], 0, 50, coders=["a", "b"])
    assert r.binary < 0.5 and math.isnan(r.cu)
    nobody = unitized_alpha([], 0, 50, coders=["a", "b"])
    assert math.isnan(nobody.alpha) and nobody.reason
    with pytest.raises(ValueError, match="at least two coders"):
        unitized_alpha([("a", 1, 2, "x")], 0, 5)
    with pytest.raises(ValueError, match="empty"):
        unitized_alpha([("a", 1, 2, "x"), ("b", 1, 2, "x")], 5, 5)


def test_overlapping_values_of_one_coder_are_resolved_and_reported():
    spans = [("a", 0, 10, "x"), ("a", 5, 15, "y"), ("a", 2, 4, "x"), ("b", 0, 10, "x"), ("b", 10, 15, "y")]
    r = unitized_alpha(spans, 0, 20)
    assert [(c.coder, c.start, c.end, c.kept, c.dropped) for c in r.conflicts] == [("a", 5, 10, "x", "y")]
    assert r.alpha == pytest.approx(1.0)  # after resolution both coders have x [0,10), y [10,15)


def test_concatenated_continua_add_up():
    one = unitized_parts([("a", 0, 5, "x"), ("b", 1, 5, "x")], 0, 10, coders=["a", "b"], values=["x"])
    two = unitized_parts([("a", 2, 8, "x"), ("b", 2, 9, "x")], 0, 10, coders=["a", "b"], values=["x"])
    both = unitized_parts(
        [("a", 0, 5, "x"), ("b", 1, 5, "x"), ("a", 12, 18, "x"), ("b", 12, 19, "x")], 0, 20, ["a", "b"], ["x"]
    )
    joined = alpha_from_parts(one + two)
    assert joined.alpha == pytest.approx(alpha_from_parts(both).alpha, abs=1e-13)
    assert cu_over_domains([joined]) == pytest.approx(joined.cu, nan_ok=True)


def brute_force(spans, begin, end, coders, values):
    """Character by character: every character of every ordered coder pair adds to ℓ."""
    names = [GAP, *values]
    m, length = len(coders), end - begin
    v = np.zeros((m, length), dtype=int)
    for c, s, e, val in spans:
        v[coders.index(c), s - begin : e - begin] = names.index(val)
    ell = np.zeros((len(names), len(names)))
    for i in range(m):
        for j in range(m):
            if i != j:
                for t in range(length):
                    ell[v[i, t], v[j, t]] += 1.0 / (m - 1)
    self_t = np.zeros(len(names))
    self_c = np.zeros(len(names))
    for i in range(m):
        for c, s, e, val in spans:  # spans (no overlaps within a coder in these data)
            if coders.index(c) == i:
                self_t[names.index(val)] += (e - s) ** 2
                others = [t for t in range(s - begin, e - begin) if any(v[j, t] > 0 for j in range(m) if j != i)]
                self_c[names.index(val)] += len(others) ** 2
        t = 0
        while t < length:  # gap runs
            if v[i, t] == 0:
                u = t
                while u < length and v[i, u] == 0:
                    u += 1
                self_t[0] += u - t
                t = u
            else:
                t += 1

    def alpha(obs, self_terms):
        tot = obs.sum()
        if tot == 0:
            return math.nan
        exp = np.zeros_like(obs)
        denom = tot - self_terms.sum() / tot
        for a in range(len(obs)):
            for b in range(len(obs)):
                exp[a, b] = (obs[a].sum() * obs[:, b].sum() - (self_terms[a] if a == b else 0)) / denom
        d_o = sum(obs[a, b] for a in range(len(obs)) for b in range(len(obs)) if a != b)
        d_e = sum(exp[a, b] for a in range(len(obs)) for b in range(len(obs)) if a != b)
        return 1 - d_o / d_e if d_e > 1e-12 else math.nan

    binary = np.array([[ell[0, 0], ell[0, 1:].sum()], [ell[1:, 0].sum(), ell[1:, 1:].sum()]])
    return {
        "alpha": alpha(ell, self_t),
        "binary": alpha(binary, np.array([self_t[0], self_t[1:].sum()])),
        "cu": alpha(ell[1:, 1:], self_c[1:]),
    }


@st.composite
def codings(draw):
    m = draw(st.integers(2, 4))
    coders = [f"c{i}" for i in range(m)]
    spans = []
    for c in coders:
        pos = 0
        while pos < 30:
            gap = draw(st.integers(0, 6))
            n = draw(st.integers(1, 8))
            if pos + gap + n > 30:
                break
            spans.append((c, pos + gap, pos + gap + n, draw(st.sampled_from("xyz"))))
            pos += gap + n
    return spans, coders


@settings(max_examples=120, deadline=None)
@given(data=codings())
def test_family_matches_brute_force(data):
    spans, coders = data
    values = ["x", "y", "z"]
    ours = unitized_alpha(spans, 0, 30, coders=coders, values=values)
    theirs = brute_force(spans, 0, 30, coders, values)
    for key in ("alpha", "binary", "cu"):
        got = getattr(ours, key)
        assert (math.isnan(got) and math.isnan(theirs[key])) or got == pytest.approx(theirs[key], abs=1e-10), key


# --------------------------------------------------------------------------- project level
def _project():
    from qualcode.frames import make_analysis_data
    from qualcode.model import Code, Codebook, Coding, ParsedDocument, Participant, Theme

    cb = Codebook(
        themes={"T": Theme("T", "Causes"), "U": Theme("U", "Effects")},
        codes={
            "a": Code("a", "Poverty", theme="T"),
            "b": Code("b", "War", theme="T"),
            "e": Code("e", "Jobs", theme="U"),
        },
    )
    text = "x" * 100
    docs = [ParsedDocument(f"d{i}", text, Participant(f"P{i}", f"P {i}")) for i in (1, 2, 3)]
    codings = [
        Coding("d1", 0, 20, "a", "ann1"), Coding("d1", 0, 20, "a", "ann2"),
        Coding("d1", 30, 50, "b", "ann1"), Coding("d1", 30, 50, "a", "ann2"),
        Coding("d1", 40, 45, "a", "ann1"),  # ann1: two codes of theme T on the same text
        Coding("d2", 10, 40, "e", "ann1"), Coding("d2", 15, 40, "e", "ann2"),
        Coding("d3", 60, 90, "b", "ann1"), Coding("d3", 60, 90, "b", "ann2"),
    ]  # fmt: skip
    return make_analysis_data(cb, docs, codings)


def test_span_agreement_per_theme_equals_concatenated_continua():
    from qualcode.reliability import describe, intercoder_agreement

    data = _project()
    df = intercoder_agreement(data, unit="span", by="theme", bootstrap=200)
    t = df.loc[df["id"] == "T"].iloc[0]
    # the theme's codes on the three documents, concatenated as one continuum of 300 characters
    spans = [(c, s + 100 * (int(d[1]) - 1), e + 100 * (int(d[1]) - 1), code)
             for d, s, e, code, c in [("d1", 0, 20, "a", "ann1"), ("d1", 0, 20, "a", "ann2"),
                                      ("d1", 30, 50, "b", "ann1"), ("d1", 30, 50, "a", "ann2"),
                                      ("d1", 40, 45, "a", "ann1"), ("d3", 60, 90, "b", "ann1"),
                                      ("d3", 60, 90, "b", "ann2")]]  # fmt: skip
    direct = unitized_alpha(spans, 0, 300, coders=["ann1", "ann2"], values=["a", "b"])
    assert t["alpha"] == pytest.approx(direct.alpha, abs=1e-13)
    assert t["binary_alpha"] == pytest.approx(direct.binary, abs=1e-13)
    assert t["cu_alpha"] == pytest.approx(direct.cu, abs=1e-13)
    assert t["codes_exclusive"] == "a, b" and t["conflicts"] == 1 and "warning: 1 place(s)" in t["note"]
    assert t["alpha_low"] <= t["alpha"] <= t["alpha_high"]
    total = df.loc[df["level"] == "all"].iloc[0]
    assert math.isfinite(total["cu_alpha"])
    text = describe(df)
    assert "Causes: a, b" in text and "unitizing alpha" in text and "bootstrap samples of the documents" in text


def test_cli_reports_span_agreement_by_theme(tmp_path, capsys):
    from qualcode.cli import main

    root = tmp_path / "p"
    (root / "interviews").mkdir(parents=True)
    (root / "codebook.yaml").write_text(
        "themes:\n  - id: t\n    label: Causes\n    codes:\n      - id: poverty\n        label: Poverty\n"
        "      - id: war\n        label: War\n"
    )
    for i in (1, 2):
        (root / "interviews" / f"e{i}.md").write_text(
            f"---\nparticipant: E{i}\nlabel: Expert {i}\n---\nExpert: Poverty drove us. The war too.\n"
        )
    rows = ["participant,quote,code,annotator"]
    for i in (1, 2):
        rows += [f"E{i},Poverty drove us.,poverty,ann1", f"E{i},Poverty drove us.,poverty,ann2"]
        rows += [f"E{i},The war too.,war,ann1", f"E{i},The war too.,poverty,ann2"]
    (root / "interviews" / "codings.csv").write_text("\n".join(rows) + "\n")
    assert main(["--project", str(root), "import"]) == 0
    capsys.readouterr()
    assert main(["--project", str(root), "report", "agreement", "--unit", "span", "--by", "theme"]) == 0
    out = capsys.readouterr().out
    assert "Mutually exclusive codes (cuα): Causes: poverty, war" in out
    assert "Unit: span" in out and "All themes (Cuα)" in out
