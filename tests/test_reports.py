"""Reports on a small hand-made corpus; every expected number was counted by hand.

Corpus (sentences s1..s4 per document; "+" joins spans of two sentences):

    doc A (Expert (A), NGO)      s1 c1 ann1, s1 c1 ann2, s2 c2 ann1, s2 c0 ann1,
                                 s3 c3 ann1, s3+s4 c4 ann2
    doc B (Expert (B), company)  s1 c1 ann1, s2 c5 ann1, part of s2 c4 ann2
    doc C (Expert (C), company)  s1 c3 ann2, s1 c1 ann1
    doc D (Expert (D), IO)       no codings

Codebook: t1 > {c0; t1a > {c1, c2}; t1b > {c3}}, t2 > {c4, c5}; cross-cutting x1 = {c3, c4}.
"""

from __future__ import annotations

import math

import pytest

from qualcode import reports
from qualcode.errors import QualcodeError
from qualcode.frames import make_analysis_data
from qualcode.model import Code, Codebook, Coding, CrossCut, ParsedDocument, Participant, Segment, Theme

TEXTS = {
    "doc_a": "Covid changed nothing. The war changed everything. Many came in transit. Barriers went.",
    "doc_b": "Flows recovered quickly. Fingerprints are taken at the border now.",
    "doc_c": "=1+1 is how they counted transit people. Nothing else.",
    "doc_d": "I have no opinion on this.",
}


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each '.'-terminated sentence."""
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch == ".":
            spans.append((start, i + 1))
            start = i + 2
    return spans


def make_codebook() -> Codebook:
    themes = {
        t.id: t
        for t in [
            Theme("t1", "Evolving Migration Trends"),
            Theme("t1a", "Characteristics of Migration", parent="t1"),
            Theme("t1b", "Reasons for movement", parent="t1"),
            Theme("t2", "Current Policy"),
        ]
    }
    codes = {
        c.id: c
        for c in [
            Code("c1", "No covid effect", theme="t1a", examples=("Covid did nothing",)),
            Code("c2", "War shift", theme="t1a"),
            Code("c3", "Transit", theme="t1b"),
            Code("c0", "General trend", theme="t1"),
            Code("c4", "Removing barriers", theme="t2"),
            Code("c5", "Dactyloscopy", theme="t2"),
        ]
    }
    return Codebook(
        themes=themes, codes=codes, cross_cutting={"x1": CrossCut("x1", "Transit migration", codes=("c3", "c4"))}
    )


def make_data():
    orgs = {"A": "NGO", "B": "company", "C": "company", "D": "international organisation"}
    docs = []
    for pid, doc in zip("ABCD", TEXTS):
        text = TEXTS[doc]
        docs.append(
            ParsedDocument(
                name=doc,
                text=text,
                participant=Participant(
                    pid, f"Expert ({pid})", {"organisation_type": orgs[pid], "role": "Representative"}
                ),
                segments=[Segment("sentence", s, e) for s, e in sentences(text)],
            )
        )
    sa, sb, sc = (sentences(TEXTS[d]) for d in ("doc_a", "doc_b", "doc_c"))
    part_b2 = (sb[1][0] + 4, sb[1][0] + 16)
    codings = [
        Coding("doc_a", *sa[0], "c1", "ann1"),
        Coding("doc_a", *sa[0], "c1", "ann2"),
        Coding("doc_a", *sa[1], "c2", "ann1"),
        Coding("doc_a", *sa[1], "c0", "ann1"),
        Coding("doc_a", *sa[2], "c3", "ann1"),
        Coding("doc_a", sa[2][0], sa[3][1], "c4", "ann2"),
        Coding("doc_b", *sb[0], "c1", "ann1"),
        Coding("doc_b", *sb[1], "c5", "ann1"),
        Coding("doc_b", *part_b2, "c4", "ann2"),
        Coding("doc_c", *sc[0], "c3", "ann2"),
        Coding("doc_c", *sc[0], "c1", "ann1", memo="-check this"),
    ]
    return make_analysis_data(make_codebook(), docs, codings)


@pytest.fixture(scope="module")
def data():
    return make_data()


# ------------------------------------------------------------------ experts_phrase
@pytest.mark.parametrize(
    "ids, prose, expected",
    [
        ([], False, "no Experts"),
        (["C"], False, "Expert (C)"),
        (["H", "F"], False, "Experts (F,H)"),
        (["F", "F", "H"], True, "Both Experts (F) and (H)"),
        (list("BACDFE"), True, "six Experts (A,B,C,D,E,F)"),
        (list("ABCDEFGHIJKL"), True, "twelve Experts (A,B,C,D,E,F,G,H,I,J,K,L)"),
        ([f"E{i}" for i in range(13, 0, -1)], True, "13 Experts (E1,E2,E3,E4,E5,E6,E7,E8,E9,E10,E11,E12,E13)"),
    ],
)
def test_experts_phrase(ids, prose, expected):
    assert reports.experts_phrase(ids, prose=prose) == expected


def test_experts_phrase_uses_label_tags_and_noun():
    labels = {"p1": "Interviewee (Z)", "p2": "Interviewee (Y)"}
    assert reports.experts_phrase(["p1", "p2"], labels, prose=True) == "Both Interviewees (Y) and (Z)"
    assert reports.experts_phrase(["p1"], {"p1": "Dr Smith"}) == "Expert (p1)"


# ------------------------------------------------------------------ code frequencies
@pytest.mark.parametrize(
    "annotators, expected",
    [
        (
            None,
            {
                "c0": (1, 1, "A"),
                "c1": (4, 3, "A,B,C"),
                "c2": (1, 1, "A"),
                "c3": (2, 2, "A,C"),
                "c4": (2, 2, "A,B"),
                "c5": (1, 1, "B"),
            },
        ),
        (
            ["ann1"],
            {
                "c0": (1, 1, "A"),
                "c1": (3, 3, "A,B,C"),
                "c2": (1, 1, "A"),
                "c3": (1, 1, "A"),
                "c4": (0, 0, ""),
                "c5": (1, 1, "B"),
            },
        ),
        (
            ["ann2"],
            {
                "c0": (0, 0, ""),
                "c1": (1, 1, "A"),
                "c2": (0, 0, ""),
                "c3": (1, 1, "C"),
                "c4": (2, 2, "A,B"),
                "c5": (0, 0, ""),
            },
        ),
    ],
)
def test_code_frequencies(data, annotators, expected):
    df = reports.code_frequencies(data, annotators=annotators)
    assert list(df["code"]) == ["c0", "c1", "c2", "c3", "c4", "c5"]  # tree order
    got = {r.code: (r.codings, r.excerpts, r.experts) for r in df.itertuples()}
    assert got == expected
    assert df.set_index("code").loc["c1", "theme_path"] == "Evolving Migration Trends > Characteristics of Migration"
    assert {"unit", "uncoded", "description"} <= set(df.attrs)


def test_code_frequencies_by_annotator(data):
    df = reports.code_frequencies(data, by_annotator=True).set_index("code")
    assert df.loc["c1", "codings:ann1"] == 3 and df.loc["c1", "codings:ann2"] == 1
    assert df.loc["c4", "excerpts:ann2"] == 2 and df.loc["c4", "excerpts:ann1"] == 0


def test_unknown_annotator_is_a_clear_error(data):
    with pytest.raises(QualcodeError, match="ann3.*Did you mean"):
        reports.theme_table(data, annotators=["ann3"])


# ------------------------------------------------------------------ theme table
THEME_EXPECTED = {
    # theme_id: (kind, depth, parent, excerpts, codings, experts, codes, code_list)
    "t1": ("theme", 0, "", 5, 8, "A,B,C", 4, "c0,c1,c2,c3"),
    "t1a": ("theme", 1, "t1", 4, 5, "A,B,C", 2, "c1,c2"),
    "t1b": ("theme", 1, "t1", 2, 2, "A,C", 1, "c3"),
    "t2": ("theme", 0, "", 3, 3, "A,B", 2, "c4,c5"),
    "x1": ("cross_cutting", 0, "", 4, 4, "A,B,C", 2, "c3,c4"),
}


def test_theme_table_contract(data):
    df = reports.theme_table(data)
    assert list(df["theme_id"]) == ["t1", "t1a", "t1b", "t2", "x1"]
    for col in [
        "theme_id",
        "theme",
        "parent",
        "kind",
        "depth",
        "excerpts",
        "codings",
        "experts_n",
        "experts",
        "experts_phrase",
        "codes",
        "code_list",
    ]:
        assert col in df.columns
    for row in df.itertuples():
        assert (
            row.kind,
            row.depth,
            row.parent,
            row.excerpts,
            row.codings,
            row.experts,
            row.codes,
            row.code_list,
        ) == THEME_EXPECTED[row.theme_id]
        assert row.experts_n == len(row.experts.split(","))
    assert df.set_index("theme_id").loc["t2", "experts_phrase"] == "Experts (A,B)"


def test_theme_excerpts_count_a_span_once(data):
    # doc A s2 is coded c2 and c0 (both under t1) and doc C s1 is coded c1 and c3: one excerpt each for t1
    df = reports.theme_table(data, annotators=["ann1"]).set_index("theme_id")
    assert df.loc["t1", "codings"] == 6
    assert df.loc["t1", "excerpts"] == 5
    assert df.loc["t2", "experts_phrase"] == "Expert (B)"


# ------------------------------------------------------------------ consensus
def test_consensus_by_code_and_attribute(data):
    df = reports.consensus(data, by="code", attribute="organisation_type").set_index("code")
    assert df.loc["c1", "participants_n"] == 3
    assert df.loc["c1", "share"] == pytest.approx(0.75)  # D has a document but no codings
    assert df.loc["c1", "phrase"] == "three Experts (A,B,C)"
    assert df.loc["c4", "phrase"] == "Both Experts (A) and (B)"
    assert df.loc["c1", "organisation_type=company"] == 2
    assert df.loc["c1", "organisation_type=company ids"] == "B,C"
    assert df.loc["c1", "organisation_type=NGO"] == 1
    assert df.loc["c1", "organisation_type=international organisation"] == 0
    assert df.attrs["totals"] == {"all": 4, "NGO": 1, "company": 2, "international organisation": 1}


def test_consensus_by_theme(data):
    df = reports.consensus(data, by="theme").set_index("theme")
    assert df.loc["t2", "participants"] == "A,B"
    assert df.loc["x1", "participants_n"] == 3
    assert df.loc["t1b", "share"] == pytest.approx(0.5)


def test_consensus_unknown_attribute(data):
    with pytest.raises(QualcodeError, match="organisation_typ'.*Did you mean 'organisation_type'"):
        reports.consensus(data, attribute="organisation_typ")


# ------------------------------------------------------------------ matrix
@pytest.mark.parametrize(
    "level, presence, expected",
    [
        (
            1,
            False,
            {
                "Evolving Migration Trends": [1, 0, 0, 0],
                "Characteristics of Migration": [2, 1, 1, 0],
                "Reasons for movement": [1, 0, 1, 0],
                "Current Policy": [1, 2, 0, 0],
            },
        ),
        (0, False, {"Evolving Migration Trends": [3, 1, 1, 0], "Current Policy": [1, 2, 0, 0]}),
        (0, True, {"Evolving Migration Trends": [1, 1, 1, 0], "Current Policy": [1, 1, 0, 0]}),
    ],
)
def test_matrix(data, level, presence, expected):
    df = reports.matrix(data, by="theme", level=level, presence=presence)
    assert list(df.index) == ["Expert (A)", "Expert (B)", "Expert (C)", "Expert (D)"]
    assert {c: list(df[c]) for c in df.columns} == expected


def test_matrix_by_code(data):
    df = reports.matrix(data, by="code")
    assert df.attrs["column_ids"] == ["c0", "c1", "c2", "c3", "c4", "c5"]
    assert list(df["No covid effect"]) == [1, 1, 1, 0]  # two annotators on one span: one excerpt


# ------------------------------------------------------------------ co-occurrence
def _pairs(df, a="code_a", b="code_b"):
    return {(r[a], r[b]): (r["n"], r["jaccard"], r["c_coefficient"]) for _, r in df.iterrows()}


@pytest.mark.parametrize(
    "unit, expected",
    [
        (
            "overlap",
            {
                ("c0", "c2"): (1, 1.0, 1.0),
                ("c1", "c3"): (1, 1 / 4, 1 / 4),
                ("c3", "c4"): (1, 1 / 3, 1 / 3),
                ("c4", "c5"): (1, 1 / 2, 1 / 2),
            },
        ),
        # c4 touches three sentences (A s3, A s4, B s2) but has only two excerpts
        (
            "sentence",
            {
                ("c0", "c2"): (1, 1.0, 1.0),
                ("c1", "c3"): (1, 1 / 4, 1 / 4),
                ("c3", "c4"): (1, 1 / 4, 1 / 3),
                ("c4", "c5"): (1, 1 / 3, 1 / 2),
            },
        ),
    ],
)
def test_cooccurrence_codes(data, unit, expected):
    df = reports.cooccurrence(data, unit=unit)
    got = _pairs(df)
    assert set(got) == set(expected)
    for key, (n, jac, cc) in expected.items():
        assert got[key][0] == n
        assert got[key][1] == pytest.approx(jac)
        assert got[key][2] == pytest.approx(cc)
    assert {"unit", "uncoded", "description"} <= set(df.attrs)


def test_cooccurrence_themes_skip_ancestors(data):
    df = reports.cooccurrence(data, unit="overlap", by="theme")
    assert set(zip(df["theme_a"], df["theme_b"])) == {("t1", "t2"), ("t1a", "t1b"), ("t1b", "t2")}
    assert (df["n"] == 1).all()


def test_cooccurrence_restricted_and_errors(data):
    assert reports.cooccurrence(data, annotators=["ann2"]).empty  # ann2's spans never meet
    with pytest.raises(QualcodeError, match="sentense"):
        reports.cooccurrence(data, unit="sentense")
    with pytest.raises(QualcodeError, match="no 'turn' segments"):
        reports.cooccurrence(data, unit="turn")


def test_cooccurrence_touching_spans_do_not_overlap():
    cb = Codebook(themes={"t": Theme("t", "T")}, codes={"a": Code("a", "A", "t"), "b": Code("b", "B", "t")})
    doc = ParsedDocument("d", "abcdefghij", Participant("P1", "P1"))
    d = make_analysis_data(cb, [doc], [Coding("d", 0, 5, "a", "x"), Coding("d", 5, 9, "b", "x")])
    assert reports.cooccurrence(d).empty
    d = make_analysis_data(cb, [doc], [Coding("d", 0, 5, "a", "x"), Coding("d", 4, 9, "b", "x")])
    row = reports.cooccurrence(d).iloc[0]
    assert (row["n"], row["jaccard"], math.isclose(row["c_coefficient"], 1.0)) == (1, 1.0, True)


# ------------------------------------------------------------------ appendices
def test_quote_table(data):
    df = reports.quote_table(data).set_index("code")
    assert df.loc["c1", "theme"] == "Evolving Migration Trends"
    assert df.loc["c1", "sub_theme"] == "Characteristics of Migration"
    assert df.loc["c0", "sub_theme"] == ""
    quotes = df.loc["c1", "quotes"].split("\n\n")
    assert quotes == [
        "Expert A: 'Covid changed nothing.'",
        "Expert B: 'Flows recovered quickly.'",
        "Expert C: '=1+1 is how they counted transit people.'",
    ]
    assert df.loc["c1", "codings"] == 4 and df.loc["c1", "experts"] == "A,B,C"
    assert reports.quote_table(data, max_quotes=1).set_index("code").loc["c1", "quotes"] == quotes[0]


def test_participant_table(data):
    df = reports.participant_table(data)
    assert list(df.columns[:8]) == reports.PARTICIPANT_TABLE_COLUMNS
    assert list(df["participant"]) == ["A", "B", "C", "D"]
    assert df.loc[3, "organisation_type"] == "international organisation"
    assert df.loc[0, "date"] == "" and df.loc[0, "documents"] == 1


def test_empty_codings_give_zero_tables():
    cb = make_codebook()
    d = make_analysis_data(cb, [ParsedDocument("d", "Text.", Participant("A", "Expert (A)"))], [])
    assert reports.theme_table(d)["excerpts"].sum() == 0
    assert reports.code_frequencies(d)["codings"].sum() == 0
    assert reports.matrix(d).to_numpy().sum() == 0
    assert reports.cooccurrence(d).empty
    assert (reports.quote_table(d)["quotes"] == "").all()


# ------------------------------------------------------------------ properties on random codings
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_DOCS = ["doc_a", "doc_b", "doc_c", "doc_d"]


@st.composite
def random_codings(draw):
    out = []
    for _ in range(draw(st.integers(0, 25))):
        doc = draw(st.sampled_from(_DOCS))
        n = len(TEXTS[doc])
        start = draw(st.integers(0, n - 1))
        end = draw(st.integers(start + 1, n))
        out.append(
            Coding(
                doc,
                start,
                end,
                draw(st.sampled_from(["c0", "c1", "c2", "c3", "c4", "c5"])),
                draw(st.sampled_from(["ann1", "ann2"])),
            )
        )
    return out


def _random_data(codings):
    base = make_data()
    docs = [
        ParsedDocument(
            d,
            TEXTS[d],
            Participant(p, f"Expert ({p})"),
            segments=[Segment("sentence", s, e) for s, e in sentences(TEXTS[d])],
        )
        for d, p in zip(_DOCS, "ABCD")
    ]
    return make_analysis_data(base.codebook, docs, codings)


@settings(max_examples=40, deadline=None)
@given(random_codings())
def test_reports_agree_with_each_other(codings):
    d = _random_data(codings)
    freq = reports.code_frequencies(d)
    assert (freq["excerpts"] <= freq["codings"]).all() and (freq["experts_n"] <= freq["excerpts"]).all()
    assert freq["codings"].sum() == len(codings)
    themes = reports.theme_table(d).set_index("theme_id")
    # a span lies in one document (one participant): summing a matrix column gives the theme's excerpts
    level0 = reports.matrix(d, level=0)
    for tid, col in zip(level0.attrs["column_ids"], level0.columns):
        assert level0[col].sum() == themes.loc[tid, "excerpts"]
    assert themes.loc["t1", "excerpts"] >= max(themes.loc["t1a", "excerpts"], themes.loc["t1b", "excerpts"])
    presence = reports.matrix(d, by="code", presence=True)
    cons = reports.consensus(d, by="code")
    assert presence.sum(axis=0).tolist() == cons["participants_n"].tolist()
    for unit in ("overlap", "sentence"):
        co = reports.cooccurrence(d, unit=unit)
        assert (co["n"] <= co[["n_a", "n_b"]].min(axis=1)).all()
        assert ((co["jaccard"] > 0) & (co["jaccard"] <= 1)).all()
        if unit == "overlap":
            assert (co["c_coefficient"] <= co["jaccard"] + 1e-12).all()
