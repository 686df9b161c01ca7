"""Tests of qualcode.reliability on small hand-made projects with answers worked out by hand,
and on a simulated project whose coders err with known probabilities."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qualcode import agreement as ag
from qualcode.errors import QualcodeError
from qualcode.frames import make_analysis_data
from qualcode.model import Code, Codebook, Coding, CrossCut, ParsedDocument, Participant, Segment, Theme
from qualcode.reliability import adjudicate, describe, disagreements, intercoder_agreement

# "One. Two. Three. Four." — sentences s1 [0,4) s2 [5,9) s3 [10,16) s4 [17,22)
TEXT = "One. Two. Three. Four."
SENTENCES = [(0, 4), (5, 9), (10, 16), (17, 22)]


@pytest.fixture
def small():
    """Two coders, codes X and Y under theme T, unused code Z, an uncoded second document.

    Presence per sentence:  X  ann1 1100  ann2 1010      Y  ann1 0001  ann2 0001
    """
    cb = Codebook(
        themes={"T": Theme("T", "Theme T"), "U": Theme("U", "Theme U")},
        codes={"X": Code("X", "Ex", theme="T"), "Y": Code("Y", "Why", theme="T"), "Z": Code("Z", "Zed", theme="U")},
        cross_cutting={"XZ": CrossCut("XZ", "X or Z", codes=("X", "Z"))},
    )
    segs = [Segment("sentence", s, e) for s, e in SENTENCES] + [Segment("paragraph", 0, 22)]
    docs = [
        ParsedDocument("d1", TEXT, Participant("P1", "Expert 1"), segments=segs),
        ParsedDocument(
            "d2", "Nobody coded this.", Participant("P2", "Expert 2"), segments=[Segment("sentence", 0, 18)]
        ),
    ]
    codings = [
        Coding("d1", 0, 9, "X", "ann1"),
        Coding("d1", 18, 20, "Y", "ann1"),
        Coding("d1", 1, 3, "X", "ann2"),
        Coding("d1", 10, 16, "X", "ann2"),
        Coding("d1", 17, 22, "Y", "ann2"),
    ]
    return make_analysis_data(cb, docs, codings)


def row(df: pd.DataFrame, level: str, id_: str, **where) -> pd.Series:
    sel = (df["level"] == level) & (df["id"] == id_)
    for k, v in where.items():
        sel &= df[k] == v
    assert sel.sum() == 1, (level, id_, where)
    return df.loc[sel].iloc[0]


# --------------------------------------------------------------------------- units of analysis
def test_sentence_unit_hand_computed(small):
    df = intercoder_agreement(small, unit="sentence", by="both", bootstrap=0)
    x = row(df, "code", "X")
    # 2 of 4 sentences agree; p_e = .5·.5 + .5·.5 → kappa 0; alpha = 1 − 7·2/(4·4)
    assert x["n_units"] == 4 and x["n_coders"] == 2 and x["n_coded_units"] == 3
    assert x["percent_agreement"] == pytest.approx(0.5)
    assert x["kappa"] == pytest.approx(0.0) and x["kappa_kind"] == "cohen"
    assert x["alpha"] == pytest.approx(0.125)
    y = row(df, "code", "Y")
    assert (y["percent_agreement"], y["kappa"], y["alpha"]) == pytest.approx((1.0, 1.0, 1.0))
    t = row(df, "theme", "T")  # present when X or Y is: ann1 1101, ann2 1011
    assert t["percent_agreement"] == pytest.approx(0.5)
    assert t["kappa"] == pytest.approx(-1 / 3)
    assert t["alpha"] == pytest.approx(1 - 7 * 2 / (2 * 6))
    xz = row(df, "theme", "XZ")  # cross-cutting theme = X here
    assert xz["alpha"] == pytest.approx(x["alpha"])


def test_unused_code_is_nan_with_reason(small):
    df = intercoder_agreement(small, bootstrap=200)
    z = row(df, "code", "Z")
    assert z["percent_agreement"] == pytest.approx(1.0)  # both left every unit uncoded
    assert math.isnan(z["kappa"]) and math.isnan(z["alpha"]) and math.isnan(z["alpha_low"])
    assert "no variation" in z["note"]
    assert row(df, "code", "X")["note"] == ""


def test_results_match_the_scalar_statistics(small):
    presence = {"X": [[1, 1, 0, 0], [1, 0, 1, 0]], "Y": [[0, 0, 0, 1], [0, 0, 0, 1]]}
    df = intercoder_agreement(small, bootstrap=0)
    for code, data in presence.items():
        r = row(df, "code", code)
        assert r["alpha"] == pytest.approx(ag.krippendorff_alpha(data))
        assert r["kappa"] == pytest.approx(ag.cohen_kappa(*data))
        assert r["percent_agreement"] == pytest.approx(ag.percent_agreement(data))


def test_min_overlap_requires_coverage_share(small):
    # ann1's Y coding covers 2 of sentence 4's 5 characters: present at min_overlap 0.4, absent at 0.5
    assert row(intercoder_agreement(small, bootstrap=0, min_overlap=0.4), "code", "Y")["percent_agreement"] == 1.0
    y = row(intercoder_agreement(small, bootstrap=0, min_overlap=0.5), "code", "Y")
    assert y["percent_agreement"] == pytest.approx(0.75)


def test_paragraph_unit_and_attrs(small):
    df = intercoder_agreement(small, unit="paragraph", by="code", bootstrap=0)
    assert set(df["level"]) == {"code"} and list(df["id"]) == ["X", "Y", "Z"]
    assert (df["n_units"] == 1).all()
    assert row(df, "code", "X")["percent_agreement"] == 1.0  # both coded X in the one paragraph
    for key in ("unit", "uncoded", "n_units", "annotators", "method"):
        assert key in df.attrs
    text = describe(df)
    assert "Unit: paragraph" in text and "ann1, ann2" in text and "absent" in text


def test_theme_only_listing_includes_cross_cutting(small):
    df = intercoder_agreement(small, by="theme", bootstrap=0)
    assert list(df["id"]) == ["T", "U", "XZ"] and set(df["level"]) == {"theme"}


def test_three_coders_use_fleiss(small):
    extra = list(small.codings.itertuples(index=False))
    codings = [Coding(r.document, r.start, r.end, r.code, r.annotator) for r in extra]
    codings += [Coding("d1", 5, 9, "X", "ann3"), Coding("d1", 0, 2, "X", "ann3")]
    data = make_analysis_data(
        small.codebook,
        [ParsedDocument("d1", TEXT, segments=[Segment("sentence", s, e) for s, e in SENTENCES])],
        codings,
    )
    df = intercoder_agreement(data, bootstrap=0)
    x = row(df, "code", "X")
    matrix = [[1, 1, 0, 0], [1, 0, 1, 0], [1, 1, 0, 0]]
    assert x["kappa_kind"] == "fleiss" and x["n_coders"] == 3
    assert x["kappa"] == pytest.approx(ag.fleiss_kappa(matrix))
    assert x["alpha"] == pytest.approx(ag.krippendorff_alpha(matrix))
    assert x["percent_agreement"] == pytest.approx(ag.percent_agreement(matrix))


def test_bad_requests_raise_located_errors(small):
    with pytest.raises(QualcodeError, match="Unknown unit 'sentense'.*sentence"):
        intercoder_agreement(small, unit="sentense")
    with pytest.raises(QualcodeError, match="ann9"):
        intercoder_agreement(small, annotators=["ann1", "ann9"])
    with pytest.raises(QualcodeError, match="at least two"):
        intercoder_agreement(small, annotators=["ann1"])
    with pytest.raises(QualcodeError, match="no 'turn' segments"):
        intercoder_agreement(small, unit="turn")


# --------------------------------------------------------------------------- character unit
def test_character_unit_hand_count(small):
    df = intercoder_agreement(small, unit="character", bootstrap=0)
    x = row(df, "code", "X", document="d1")
    # ann1 [0,9) = 9 chars, ann2 [1,3)+[10,16) = 8 chars; both 2, only1 7, only2 6, neither 7
    assert (x["chars_both"], x["chars_first_only"], x["chars_second_only"]) == (2, 7, 6)
    assert x["n_units"] == 22
    assert x["percent_agreement"] == pytest.approx(9 / 22)
    assert x["kappa"] == pytest.approx((198 - 254) / (484 - 254))
    y = row(df, "code", "Y", document="d1")
    assert y["percent_agreement"] == pytest.approx(19 / 22)
    assert y["kappa"] == pytest.approx(68 / 134)
    summary = row(df, "code", "Y", document="(all documents, size-weighted)")
    assert summary["kappa"] == pytest.approx(68 / 134)  # only d1 was coded by anyone
    assert df.attrs["unit"] == "character"


def test_character_unit_weights_documents_by_size():
    cb = Codebook(codes={"X": Code("X", "X")})
    docs = [ParsedDocument("a", "x" * 10), ParsedDocument("b", "y" * 30)]
    codings = [
        Coding("a", 0, 5, "X", "p"),
        Coding("a", 0, 5, "X", "q"),  # a: full agreement
        Coding("b", 0, 10, "X", "p"),
        Coding("b", 5, 15, "X", "q"),
    ]  # b: 5 both, 5+5 single
    df = intercoder_agreement(make_analysis_data(cb, docs, codings), unit="character")
    s = row(df, "code", "X", document="(all documents, size-weighted)")
    pa_b, k_b = 20 / 30, ag.cohen_kappa([1] * 10 + [0] * 20, [0] * 5 + [1] * 10 + [0] * 15)
    assert s["percent_agreement"] == pytest.approx((10 * 1.0 + 30 * pa_b) / 40)
    assert s["kappa"] == pytest.approx((10 * 1.0 + 30 * k_b) / 40)
    pooled = [[1] * 5 + [0] * 5 + [1] * 10 + [0] * 20, [1] * 5 + [0] * 5 + [0] * 5 + [1] * 10 + [0] * 15]
    assert s["alpha"] == pytest.approx(ag.krippendorff_alpha(pooled))


def test_character_and_match_need_exactly_two_coders(small):
    codings = [Coding(r.document, r.start, r.end, r.code, r.annotator) for r in small.codings.itertuples()]
    codings.append(Coding("d1", 0, 3, "X", "ann3"))
    data = make_analysis_data(small.codebook, [ParsedDocument("d1", TEXT)], codings)
    for unit in ("character", "match"):
        with pytest.raises(QualcodeError, match="exactly 2 coders"):
            intercoder_agreement(data, unit=unit)


# --------------------------------------------------------------------------- match unit
def test_match_unit_thresholds(small):
    strict = intercoder_agreement(small, unit="match")
    x = row(strict, "code", "X")
    # X: ann1 [0,9) vs ann2 [1,3): overlap 2 / union 9; [10,16) no overlap → nothing matches
    assert (x["segments_matched"], x["segments_first_only"], x["segments_second_only"]) == (0, 1, 2)
    assert x["percent_agreement"] == 0.0
    y = row(strict, "code", "Y")  # overlap 2 / union 5 = 0.4 < 0.9
    assert y["segments_matched"] == 0
    loose = intercoder_agreement(small, unit="match", match_threshold=0.4)
    y = row(loose, "code", "Y")
    assert y["segments_matched"] == 2 and y["percent_agreement"] == 1.0
    # Brennan-Prediger with chance = 1/3 (three codes compared)
    assert y["kappa"] == pytest.approx(1.0) and y["kappa_kind"] == "brennan_prediger"
    total = row(loose, "all", "*")
    assert total["percent_agreement"] == pytest.approx(2 / 5)
    assert total["kappa"] == pytest.approx((2 / 5 - 1 / 3) / (2 / 3))
    assert loose.attrs["match_threshold"] == 0.4


# --------------------------------------------------------------------------- disagreements & adjudication
def test_disagreements_lists_each_differing_unit(small):
    df = disagreements(small)
    assert list(df[["unit_start", "code", "coders_with", "coders_without"]].itertuples(index=False, name=None)) == [
        (5, "X", "ann1", "ann2"),
        (10, "X", "ann2", "ann1"),
    ]
    first = df.iloc[0]
    assert first["text"] == "Two." and first["participant"] == "P1" and first["code_label"] == "Ex"
    assert first["codes_ann1"] == "X" and first["codes_ann2"] == ""
    assert disagreements(small, codes=["Why"]).empty
    with pytest.raises(QualcodeError, match="per sentence, paragraph or turn"):
        disagreements(small, unit="character")


def test_adjudicate_builds_consensus_codings(small):
    decisions = disagreements(small)
    decisions["accept"] = ["yes", "no"]
    consensus = adjudicate(small, decisions)
    got = [(c.document, c.start, c.end, c.code, c.annotator, c.origin) for c in consensus]
    assert got == [
        ("d1", 0, 4, "X", "consensus", "adjudicated"),  # agreed by both
        ("d1", 5, 9, "X", "consensus", "adjudicated"),  # accepted
        ("d1", 17, 22, "Y", "consensus", "adjudicated"),
    ]  # agreed by both
    assert consensus[1].quote == "Two."
    only_decided = adjudicate(small, decisions, include_agreed=False)
    assert [(c.start, c.code) for c in only_decided] == [(5, "X")]


def test_adjudicate_reports_every_bad_row(small):
    decisions = pd.DataFrame(
        [
            {"document": "d1", "unit_start": 5, "unit_end": 9, "code": "Xx", "accept": True},
            {"document": "d9", "unit_start": 5, "unit_end": 9, "code": "X", "accept": True},
            {"document": "d1", "unit_start": 5, "unit_end": 99, "code": "X", "accept": True},
            {"document": "d1", "unit_start": 5, "unit_end": 9, "code": "X", "accept": "maybe"},
        ]
    )
    with pytest.raises(QualcodeError) as err:
        adjudicate(small, decisions)
    assert len(err.value.problems) == 4
    assert err.value.problems[0].row == 2


# --------------------------------------------------------------------------- simulated coders
def simulated_project(
    n_docs: int, n_sentences: int, prevalence: dict[str, float], flip: float, coders: tuple[str, ...], seed: int
):
    """Each code is truly present in a sentence with its prevalence; each coder reports the truth
    but flips it with probability ``flip``, coding a span inside the sentence."""
    rng = np.random.default_rng(seed)
    cb = Codebook(themes={"T": Theme("T", "T")}, codes={c: Code(c, c, theme="T") for c in prevalence})
    docs, codings = [], []
    sentence = "Lorem ipsum dolor."
    text = " ".join([sentence] * n_sentences)
    segs = [
        Segment("sentence", i * (len(sentence) + 1), i * (len(sentence) + 1) + len(sentence))
        for i in range(n_sentences)
    ]
    for d in range(n_docs):
        docs.append(ParsedDocument(f"doc{d}", text, segments=segs))
        for code, prev in prevalence.items():
            truth = rng.random(n_sentences) < prev
            for coder in coders:
                seen = truth ^ (rng.random(n_sentences) < flip)
                for i in np.flatnonzero(seen):
                    codings.append(Coding(f"doc{d}", segs[i].start + 1, segs[i].end - 2, code, coder))
    return make_analysis_data(cb, docs, codings)


def expected_alpha(prevalence: float, flip: float) -> float:
    """Large-sample alpha when coders flip the truth independently with probability ``flip``.

    A pair disagrees with probability 2f(1−f) whatever the truth; values are 1 with
    probability π' = π(1−f) + (1−π)f, so expected disagreement is 2π'(1−π'):
    alpha = 1 − f(1−f) / (π'(1−π')).
    """
    shown = prevalence * (1 - flip) + (1 - prevalence) * flip
    return 1.0 - flip * (1 - flip) / (shown * (1 - shown))


def test_simulated_coders_land_where_the_noise_says():
    prevalence = {"common": 0.3, "rare": 0.1}
    flip = 0.1
    data = simulated_project(30, 100, prevalence, flip, ("a", "b", "c"), seed=5)
    df = intercoder_agreement(data, bootstrap=500, seed=1)
    for code, prev in prevalence.items():
        r = row(df, "code", code)
        want = expected_alpha(prev, flip)
        # 3000 units: over 20 simulated projects alpha's standard deviation was 0.013 (common)
        # and 0.017 (rare); allow about four of them
        assert r["alpha"] == pytest.approx(want, abs=0.06), (code, want)
        assert r["alpha_low"] < want < r["alpha_high"], (code, want, r["alpha_low"], r["alpha_high"])
        assert r["percent_agreement"] == pytest.approx(1 - 2 * flip * (1 - flip), abs=0.02)
        assert r["kappa"] == pytest.approx(r["alpha"], abs=0.01)  # Fleiss ≈ alpha for large samples


def test_noise_free_coders_agree_perfectly():
    data = simulated_project(3, 40, {"c": 0.3}, 0.0, ("a", "b"), seed=2)
    r = row(intercoder_agreement(data, bootstrap=100), "code", "c")
    assert (r["percent_agreement"], r["kappa"], r["alpha"]) == pytest.approx((1.0, 1.0, 1.0))


def test_code_table_for_a_pair_of_codes(small):
    """Two codes at once: each coder's value per sentence is neither / X only / Y only / both."""
    from qualcode.reliability import code_table

    one = code_table(small, "X", unit="sentence")
    assert one.values.tolist() == [[1, 1], [1, 1]]  # ann1 1100, ann2 1010
    pair = code_table(small, "X", unit="sentence", other="Y")
    assert list(pair.index) == ["ann1: neither", "ann1: Ex only", "ann1: Why only", "ann1: both"]
    assert pair.values.tolist() == [[0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert pair.attrs["codes"] == ["X", "Y"]
    three = make_analysis_data(
        small.codebook,
        [
            ParsedDocument(
                "d1", TEXT, Participant("P1", "Expert 1"), segments=[Segment("sentence", s, e) for s, e in SENTENCES]
            )
        ],
        [
            Coding("d1", 0, 4, "X", "a"),
            Coding("d1", 0, 4, "X", "b"),
            Coding("d1", 0, 4, "Y", "c"),
            Coding("d1", 5, 9, "Y", "a"),
        ],
    )
    coinc = code_table(three, "X", other="Y")
    assert list(coinc.columns) == ["neither", "Ex only", "Why only", "both"]
    assert coinc.values.sum() == 12  # 4 sentences × 3 coders, every value pairable
    assert coinc.loc["Ex only", "Why only"] == pytest.approx(1.0)  # a and b vs c in sentence 1
    with pytest.raises(QualcodeError, match="Unknown code 'W'"):
        code_table(small, "X", other="W")


# --------------------------------------------------------------------------- presence, by brute force
def _brute_presence(text_len, sentences, codings, codes, coders, min_overlap):
    """presence[code][coder][unit] from the definition: the union of the coder's codings of
    the code covers at least one character of the unit (or min_overlap of its characters)."""
    units = sorted(sentences)
    out = {}
    for code in codes:
        out[code] = []
        for coder in coders:
            covered = np.zeros(text_len, dtype=bool)
            for s, e, k, a in codings:
                if k == code and a == coder:
                    covered[s:e] = True
            out[code].append([int(covered[s:e].sum() >= max(1.0, min_overlap * (e - s) - 1e-9)) for s, e in units])
    return out


@st.composite
def _coded_text(draw):
    """A text cut into sentences (listed in any order), and random codings by three coders."""
    cuts = sorted(set(draw(st.lists(st.integers(1, 59), max_size=8))))
    bounds = [0, *cuts, 60]
    gaps = draw(st.lists(st.booleans(), min_size=len(bounds), max_size=len(bounds)))
    sentences = [(s + int(g and e - s > 1), e) for s, e, g in zip(bounds, bounds[1:], gaps)]
    order = draw(st.permutations(sentences))
    spans = st.tuples(st.integers(0, 59), st.integers(1, 20)).map(lambda t: (t[0], min(60, t[0] + t[1])))
    coding = st.tuples(spans, st.sampled_from("AB"), st.sampled_from(["a1", "a2", "a3"]))
    codings = [(s, e, k, a) for (s, e), k, a in draw(st.lists(coding, min_size=1, max_size=25))]
    return list(order), codings


@settings(max_examples=150, deadline=None)
@given(case=_coded_text(), min_overlap=st.sampled_from([0.0, 0.5, 1.0]))
def test_presence_and_statistics_match_the_definition(case, min_overlap):
    """Presence per (code, coder, sentence), percent agreement, alpha and the codings that touch
    no sentence agree with a brute-force count over characters, whatever the order of the
    segments and however the codings overlap."""
    sentences, codings = case
    coders = sorted({a for *_, a in codings})
    assume(len(coders) >= 2)
    cb = Codebook(themes={"T": Theme("T", "T")}, codes={k: Code(k, k, theme="T") for k in "AB"})
    doc = ParsedDocument(
        "d", "x" * 60, Participant("P", "P"), segments=[Segment("sentence", s, e) for s, e in sentences]
    )
    data = make_analysis_data(cb, [doc], [Coding("d", s, e, k, a) for s, e, k, a in codings])
    df = intercoder_agreement(data, annotators=coders, bootstrap=0, min_overlap=min_overlap, scope="all")
    want = _brute_presence(60, sentences, codings, "AB", coders, min_overlap)
    for code in "AB":
        r = row(df, "code", code)
        assert r["percent_agreement"] == pytest.approx(ag.percent_agreement(want[code]))
        alpha = ag.krippendorff_alpha(want[code])
        assert (math.isnan(r["alpha"]) and math.isnan(alpha)) or r["alpha"] == pytest.approx(alpha)
        touching_none = sum(
            1 for s, e, k, _ in codings if k == code and not any(min(e, b) > max(s, a) for a, b in sentences)
        )
        assert r["codings_outside_units"] == touching_none
