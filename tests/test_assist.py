"""Assisted coding: pattern suggestions, the learned model, evaluation and topics."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.assist import (
    Suggestion,
    SuggestionModel,
    candidate_topics,
    compile_patterns,
    crude_stem,
    evaluate,
    evaluate_tables,
    lopo_folds,
    match_patterns,
    pattern_suggestions,
    split_units,
    suggestions_from_frame,
    unit_table,
)
from qualcode.assist import learn as learn_module
from qualcode.assist.units import theme_of
from qualcode.errors import CodebookError, QualcodeError
from qualcode.frames import make_analysis_data
from qualcode.model import Code, Codebook, Coding, ParsedDocument, Participant, Segment, Theme


# --------------------------------------------------------------------------- helpers
def build_document(
    name: str, sentences: list[str], *, participant: str | None = None, language: str = "en", with_segments: bool = True
) -> tuple[ParsedDocument, list[tuple[int, int]]]:
    """A document whose text is the sentences joined by spaces, with sentence segments."""
    spans, pos = [], 0
    for s in sentences:
        spans.append((pos, pos + len(s)))
        pos += len(s) + 1
    text = " ".join(sentences)
    segments = [Segment("sentence", s, e) for s, e in spans] if with_segments else []
    part = Participant(participant, f"Expert ({participant})") if participant else None
    return ParsedDocument(name, text, participant=part, language=language, segments=segments), spans


def pattern_codebook() -> Codebook:
    themes = {
        "trends": Theme("trends", "Evolving trends"),
        "flows": Theme("flows", "Flows", parent="trends"),
        "policy": Theme("policy", "Policy"),
    }
    codes = {
        "transit_country": Code("transit_country", "Transit country", theme="flows", patterns=("transit",)),
        "labour_market": Code(
            "labour_market",
            "Labour market",
            theme="flows",
            patterns=({"tokens": [{"LOWER": "labour"}, {"LOWER": "market"}]},),
        ),
        "worker_rights": Code("worker_rights", "Worker rights", theme="policy", patterns=({"phrase": "worker"},)),
        "migrants": Code("migrants", "Migrants", theme="trends", patterns=("мигрант", "трудовой мигрант")),
        "no_patterns": Code("no_patterns", "No patterns", theme="policy"),
    }
    return Codebook(themes=themes, codes=codes)


@pytest.fixture()
def pattern_data():
    en, en_spans = build_document(
        "expert_A",
        [
            "Kazakhstan is mostly a transit country.",
            "Many workers came from Uzbekistan.",
            "The labour market changed after Covid.",
            "Nothing to see here.",
        ],
        participant="A",
    )
    ru, ru_spans = build_document(
        "expert_B",
        [
            "Мигранты приезжают весной.",
            "Много мигрантов из Узбекистана.",
            "Трудовых мигрантов стало больше.",
        ],
        participant="B",
        language="ru",
    )
    return make_analysis_data(pattern_codebook(), [en, ru], []), en_spans, ru_spans


# --------------------------------------------------------------------------- stems and patterns
@pytest.mark.parametrize(
    "word, language, stem",
    [
        ("transit", "en", "transit"),
        ("transits", "en", "transit"),
        ("workers", "en", "worker"),
        ("working", "en", "work"),
        ("worked", "en", "work"),
        ("countries", "en", "country"),
        ("boxes", "en", "box"),
        ("classes", "en", "class"),
        ("stopped", "en", "stop"),
        ("house", "en", "hous"),
        ("houses", "en", "hous"),
        ("status", "en", "status"),
        ("is", "en", "is"),
        ("мигрант", "ru", "мигрант"),
        ("мигранты", "ru", "мигрант"),
        ("мигрантов", "ru", "мигрант"),
        ("мигрантами", "ru", "мигрант"),
        ("миграция", "ru", "миграц"),
        ("миграции", "ru", "миграц"),
        ("трудовой", "ru", "трудов"),
        ("трудовых", "ru", "трудов"),
        ("Ёлки", "ru", "елк"),
        ("Workers", "xx", "workers"),
    ],
)
def test_crude_stem(word, language, stem):
    assert crude_stem(word, language) == stem


def test_phrase_suggestion_spans_sentence_and_keeps_matched_text(pattern_data):
    data, en_spans, _ = pattern_data
    out = pattern_suggestions(data, documents=["expert_A"])
    row = out.loc[out["code"] == "transit_country"].iloc[0]
    assert (row["start"], row["end"]) == en_spans[0]
    assert row["matched_text"] == "transit"
    assert data.texts["expert_A"][row["match_start"] : row["match_end"]] == "transit"
    assert row["reason"] == "pattern 'transit' (phrase) matched 'transit'"
    assert (row["source"], row["score"], row["code_label"], row["participant"]) == (
        "pattern",
        1.0,
        "Transit country",
        "A",
    )


def test_token_pattern_and_english_plural(pattern_data):
    data, en_spans, _ = pattern_data
    out = pattern_suggestions(data, documents=["expert_A"]).set_index("code")
    assert out.loc["labour_market", "matched_text"] == "labour market"
    assert "(tokens)" in out.loc["labour_market", "reason"]
    assert (out.loc["labour_market", "start"], out.loc["labour_market", "end"]) == en_spans[2]
    assert out.loc["worker_rights", "matched_text"] == "workers"
    assert out.loc["worker_rights", "reason"] == "pattern 'worker' (phrase, inflected form) matched 'workers'"
    assert "no_patterns" not in out.index
    assert not ((out["start"] == en_spans[3][0]).any())  # the sentence without any pattern


def test_russian_inflected_forms(pattern_data):
    data, _, ru_spans = pattern_data
    out = pattern_suggestions(data, documents=["expert_B"])
    assert list(out["code"]) == ["migrants"] * 3
    assert list(zip(out["start"], out["end"])) == ru_spans
    assert list(out["matched_text"]) == ["Мигранты", "мигрантов", "Трудовых мигрантов"]
    # both patterns matched in the third sentence: one suggestion listing both reasons
    assert out["reason"].iloc[2].count("pattern '") == 2


def test_existing_codings_of_that_annotator_suppress_duplicates(pattern_data):
    data, en_spans, _ = pattern_data
    s, e = en_spans[0]
    coded = make_analysis_data(
        data.codebook,
        _documents_of(data),
        [
            Coding("expert_A", s + 20, s + 27, "transit_country", "dana"),  # overlaps the sentence
            Coding("expert_A", *en_spans[1], "labour_market", "dana"),  # other code: no effect
        ],
    )
    mine = pattern_suggestions(coded, annotator="dana", documents=["expert_A"])
    assert "transit_country" not in set(mine["code"])
    assert "worker_rights" in set(mine["code"])
    someone_else = pattern_suggestions(coded, annotator="erlan", documents=["expert_A"])
    assert "transit_country" in set(someone_else["code"])
    anyone = pattern_suggestions(coded, documents=["expert_A"])
    assert "transit_country" not in set(anyone["code"])


def _documents_of(data) -> list[ParsedDocument]:
    docs = []
    for row in data.documents.itertuples(index=False):
        segs = data.segments.loc[data.segments["document"] == row.document]
        docs.append(
            ParsedDocument(
                row.document,
                data.texts[row.document],
                participant=Participant(row.participant, data.participant_label(row.participant)),
                language=row.language,
                segments=[Segment(k, s, e) for k, s, e in zip(segs["kind"], segs["start"], segs["end"])],
            )
        )
    return docs


def test_sentences_found_without_segments():
    doc, spans = build_document("memo", ["First we talk about rent.", "Then transit comes up."], with_segments=False)
    data = make_analysis_data(pattern_codebook(), [doc], [])
    out = pattern_suggestions(data)
    assert list(zip(out["start"], out["end"])) == [spans[1]]


def test_bad_patterns_are_reported_together():
    codebook = Codebook(
        codes={
            "a": Code("a", "A", patterns=("  ", {"regex": "x"})),
            "b": Code("b", "B", patterns=({"tokens": []},)),
        }
    )
    with pytest.raises(CodebookError) as info:
        compile_patterns(codebook, "en")
    fields = [p.field for p in info.value.problems]
    assert fields == ["codes[a].patterns[0]", "codes[a].patterns[1]", "codes[b].patterns[0]"]


def test_invalid_spacy_token_pattern_is_a_codebook_error():
    codebook = Codebook(codes={"a": Code("a", "A", patterns=({"tokens": [{"NOT_AN_ATTR": "x"}]},))})
    with pytest.raises(CodebookError, match="codes\\[a\\].patterns\\[0\\]"):
        compile_patterns(codebook, "en")


def test_matchers_are_compiled_once_per_codebook_patterns():
    first = compile_patterns(pattern_codebook(), "en")
    assert compile_patterns(pattern_codebook(), "en") is first
    assert compile_patterns(pattern_codebook(), "ru") is not first
    changed = pattern_codebook()
    changed.codes["transit_country"] = Code(
        "transit_country", "Transit country", theme="flows", patterns=("transit hub",)
    )
    assert compile_patterns(changed, "en") is not first
    assert [m.code for m in match_patterns("A transit hub.", changed)] == ["transit_country"]


# --------------------------------------------------------------------------- suggestions -> codings
def test_suggestion_to_coding_is_marked_accepted(pattern_data):
    data, en_spans, _ = pattern_data
    frame = pattern_suggestions(data, documents=["expert_A"])
    suggestions = suggestions_from_frame(frame)
    assert all(isinstance(s, Suggestion) for s in suggestions)
    first = suggestions[0]
    coding = first.to_coding("dana")
    assert (coding.document, coding.start, coding.end) == ("expert_A", *en_spans[0])
    assert (coding.code, coding.annotator, coding.origin) == ("transit_country", "dana", "suggestion-accepted")
    assert coding.memo == first.reason and coding.quote == data.texts["expert_A"][slice(*en_spans[0])]
    assert first.matched_text == "transit"


# --------------------------------------------------------------------------- learning corpus
VOCAB = {
    "transit_country": ["transit", "route", "border", "corridor", "passing", "onward"],
    "quota_policy": ["quota", "permit", "ministry", "regulation", "licence", "limits"],
    "remittances": ["money", "remittances", "family", "send", "bank", "transfer"],
    "worker_rights": ["rights", "employer", "contract", "salary", "union", "abuse"],
}
FILLER = ["really", "often", "today", "also", "quite", "mostly", "certainly", "again"]
UNCODED_TOPICS = {
    "housing": ["housing", "rent", "apartment", "landlord"],
    "schooling": ["school", "children", "teachers", "classes"],
}
PARTICIPANTS = ["A", "B", "C", "D", "E", "F"]
# unequal code frequencies, so the majority baseline is a real baseline
CODE_WEIGHTS = {"transit_country": 4, "quota_policy": 3, "remittances": 2, "worker_rights": 2}


def learning_codebook() -> Codebook:
    themes = {
        "flows": Theme("flows", "Flows"),
        "policy": Theme("policy", "Policy"),
        "economy": Theme("economy", "Economy"),
    }
    codes = {
        "transit_country": Code("transit_country", "Transit", theme="flows", patterns=("transit",)),
        "quota_policy": Code("quota_policy", "Quotas", theme="policy", patterns=("quota", "permit")),
        "remittances": Code("remittances", "Remittances", theme="economy", patterns=("remittance",)),
        "worker_rights": Code("worker_rights", "Rights", theme="policy"),
    }
    return Codebook(themes=themes, codes=codes)


def _sentence(rng: random.Random, words: list[str], participant: str, i: int) -> str:
    picked = rng.sample(words, 3)
    return f"{picked[0].capitalize()} {rng.choice(FILLER)} {picked[1]} and {picked[2]} {rng.choice(FILLER)} point{participant}{i}."


def learning_data(seed: int = 7):
    rng = random.Random(seed)
    docs, codings = [], []
    code_pool = [c for c, w in CODE_WEIGHTS.items() for _ in range(w)]
    for p in PARTICIPANTS:
        sentences, labels = [], []
        for i in range(11):
            code = code_pool[i]
            sentences.append(_sentence(rng, VOCAB[code], p, i))
            labels.append(code)
        for j, topic in enumerate(sorted(UNCODED_TOPICS) * 2):
            sentences.append(_sentence(rng, UNCODED_TOPICS[topic], p, 100 + j))
            labels.append(None)
        for k in range(2):  # uncoded but in the codes' vocabulary: the model should suggest something
            sentences.append(_sentence(rng, VOCAB["transit_country"] + VOCAB["remittances"], p, 200 + k))
            labels.append(None)
        doc, spans = build_document(f"expert_{p}", sentences, participant=p)
        docs.append(doc)
        codings += [Coding(doc.name, s, e, code, "dana") for (s, e), code in zip(spans, labels) if code]
    return make_analysis_data(learning_codebook(), docs, codings)


@pytest.fixture(scope="module")
def corpus():
    return learning_data()


@pytest.fixture(scope="module")
def evaluation(corpus):
    return evaluate(corpus, seed=0)


# --------------------------------------------------------------------------- the model
def test_model_predicts_separable_codes(corpus):
    model = SuggestionModel(seed=0).fit(corpus)
    rng = random.Random(99)
    texts = [_sentence(rng, VOCAB[c], "Z", 0) for c in VOCAB]
    predictions = model.predict_units(texts, top_k=3)
    assert [p.codes[0][0] for p in predictions] == list(VOCAB)
    expected_theme = {
        "transit_country": "flows",
        "quota_policy": "policy",
        "remittances": "economy",
        "worker_rights": "policy",
    }
    assert [p.themes[0][0] for p in predictions] == [expected_theme[c] for c in VOCAB]
    for p in predictions:
        assert len(p.codes) == 3 and len(p.themes) == 3
        assert [prob for _, prob in p.codes] == sorted((prob for _, prob in p.codes), reverse=True)
        assert p.margin == pytest.approx(p.codes[0][1] - p.codes[1][1])
    assert model.theme_probabilities(texts).sum(axis=1).round(6).eq(1).all()


def test_suggest_only_uncoded_units_with_reason(corpus):
    model = SuggestionModel(seed=0).fit(corpus)
    out = model.suggest(corpus, annotator="dana", top_k=2)
    units = unit_table(corpus)
    assert len(out) == 2 * 6 * 6  # six uncoded sentences per participant, two ranks each
    coded = corpus.codings[["document", "start", "end"]].apply(tuple, axis=1).tolist()
    assert not set(zip(out["document"], out["start"], out["end"])) & set(coded)
    assert set(out["source"]) == {"model"}
    assert out["reason"].str.match(r"model: top-[12] of 2 for this sentence, p=\d\.\d\d").all()
    assert out["confidence"].between(0, 1).all()
    assert set(out["code_label"]) <= {c.label for c in corpus.codebook.codes.values()}
    first = out.iloc[0]
    assert first["text"] == corpus.texts[first["document"]][first["start"] : first["end"]]
    assert len(units) == 6 * 17
    # for another annotator nothing is coded yet: every sentence gets suggestions
    assert len(model.suggest(corpus, annotator="erlan", top_k=1)) == len(units)


def test_uncertainty_order_is_ascending_margin(corpus):
    model = SuggestionModel(seed=0).fit(corpus)
    out = model.suggest(corpus, annotator="dana", top_k=3, order="uncertainty")
    margins = out.drop_duplicates(["document", "start"])["margin"].tolist()
    assert margins == sorted(margins)
    assert margins[0] < margins[-1]
    # each unit's rows stay together, ranked 1..3
    assert out["rank"].tolist() == [1, 2, 3] * (len(out) // 3)
    by_document = model.suggest(corpus, annotator="dana", top_k=3)
    assert sorted(map(tuple, by_document.to_numpy().tolist())) == sorted(map(tuple, out.to_numpy().tolist()))
    entropy = model.suggest(corpus, annotator="dana", order="uncertainty", uncertainty="entropy")
    assert set(entropy["document"] + entropy["start"].astype(str)) == set(out["document"] + out["start"].astype(str))


def test_model_is_deterministic_with_a_seed(corpus):
    a = SuggestionModel(seed=3).fit(corpus).suggest(corpus, annotator="dana", order="uncertainty")
    b = SuggestionModel(seed=3).fit(corpus).suggest(corpus, annotator="dana", order="uncertainty")
    pd.testing.assert_frame_equal(a, b)


def test_svm_falls_back_when_a_code_cannot_be_calibrated():
    codebook = learning_codebook()
    rng = random.Random(1)
    texts = [_sentence(rng, VOCAB["transit_country"], "A", i) for i in range(8)]
    texts += [_sentence(rng, VOCAB["quota_policy"], "A", i) for i in range(8)]
    texts += [_sentence(rng, VOCAB["remittances"], "A", 0)]
    labels = [{"transit_country"}] * 8 + [{"quota_policy"}] * 8 + [{"remittances", "quota_policy"}]
    model = SuggestionModel(seed=0, estimator="svm").fit_units(texts, labels, codebook)
    assert model.code_estimators_ == {"transit_country": "svm", "quota_policy": "svm", "remittances": "logreg"}
    only_one = SuggestionModel(seed=0).fit_units(texts[:3], [{"transit_country"}] * 3, codebook)
    assert only_one.code_estimators_ == {"transit_country": "constant"}
    assert only_one.predict_units(["anything"])[0].codes == (("transit_country", 1.0),)


def test_model_errors_are_user_errors(corpus):
    uncoded = make_analysis_data(corpus.codebook, [build_document("x", ["Just words here."], participant="A")[0]], [])
    with pytest.raises(QualcodeError, match="No coded sentences"):
        SuggestionModel().fit(uncoded)
    with pytest.raises(QualcodeError, match="Did you mean 'sentence'"):
        SuggestionModel().fit(corpus, unit="sentense")
    with pytest.raises(QualcodeError, match="order"):
        SuggestionModel().fit(corpus).suggest(corpus, order="random")
    with pytest.raises(RuntimeError):
        SuggestionModel().predict_units(["x"])


# --------------------------------------------------------------------------- evaluation
def test_evaluate_shape_is_exact_and_json_ready(evaluation):
    assert list(evaluation) == ["model", "majority", "patterns"]
    for method, result in evaluation.items():
        assert set(result) == {
            "theme_top1",
            "theme_top3",
            "code_top1",
            "code_top3",
            "n_units",
            "n_folds",
            "per_theme",
        }, method
        for metric in ("theme_top1", "theme_top3", "code_top1", "code_top3"):
            assert isinstance(result[metric], float) and 0.0 <= result[metric] <= 1.0
        assert result["theme_top1"] <= result["theme_top3"] and result["code_top1"] <= result["code_top3"]
        assert (result["n_units"], result["n_folds"]) == (6 * 11, 6)
        for record in result["per_theme"]:
            assert set(record) == {"theme", "theme_label", "support", "predicted", "precision", "recall", "f1"}
    json.loads(json.dumps(evaluation))


def test_model_beats_majority_baseline(evaluation):
    model, majority = evaluation["model"], evaluation["majority"]
    assert model["code_top1"] >= 0.9 and model["theme_top1"] >= 0.9
    assert majority["code_top1"] == pytest.approx(4 / 11)  # transit is the most frequent code
    assert model["code_top1"] > majority["code_top1"] and model["theme_top1"] > majority["theme_top1"]


def test_patterns_baseline_ranks_by_match_count_and_misses_without_match():
    a, a_spans = build_document("a", ["The transit route.", "A border corridor."], participant="A")
    b, b_spans = build_document(
        "b", ["Quota and permit, also transit.", "Remittance sent via transit and transit."], participant="B"
    )
    codings = [
        Coding("a", *a_spans[0], "transit_country", "dana"),
        Coding("a", *a_spans[1], "transit_country", "dana"),
        Coding("b", *b_spans[0], "quota_policy", "dana"),
        Coding("b", *b_spans[1], "remittances", "dana"),
    ]
    result = evaluate(make_analysis_data(learning_codebook(), [a, b], codings))["patterns"]
    # 1: transit hit; 2: no match, a miss; 3: quota x2 beats transit; 4: transit x2 beats remittance
    assert (result["code_top1"], result["code_top3"]) == (0.5, 0.75)
    assert (result["theme_top1"], result["theme_top3"]) == (0.5, 0.75)
    flows = {r["theme"]: r for r in result["per_theme"]}["flows"]
    assert (flows["support"], flows["predicted"], flows["precision"], flows["recall"], flows["f1"]) == (
        2,
        2,
        0.5,
        0.5,
        0.5,
    )
    assert (result["n_units"], result["n_folds"]) == (4, 2)


def test_per_theme_table_matches_predictions(corpus):
    tables = evaluate_tables(corpus, seed=0)
    assert set(tables) == {"summary", "per_theme", "predictions"}
    per_theme = tables["per_theme"].set_index(["method", "theme"])
    predictions = tables["predictions"]
    model_rows = predictions.loc[predictions["method"] == "model"]
    flows_true = sum("flows" in t for t in model_rows["true_themes"])
    assert per_theme.loc[("model", "flows"), "support"] == flows_true == 6 * 4
    summary = tables["summary"].set_index("method")
    assert summary.loc["model", "n_units"] == len(model_rows)


def test_lopo_never_trains_on_the_held_out_participant(corpus, monkeypatch):
    units = unit_table(corpus)
    owner = dict(zip(units["text"], units["participant"]))
    calls: list[tuple[str, object]] = []
    real_fit, real_predict = learn_module.SuggestionModel.fit_units, learn_module.SuggestionModel.predict_units

    def spy_fit(self, texts, code_sets, codebook):
        calls.append(("fit", list(texts)))
        return real_fit(self, texts, code_sets, codebook)

    def spy_predict(self, texts, top_k=3):
        calls.append(("predict", list(texts)))
        return real_predict(self, texts, top_k)

    monkeypatch.setattr(learn_module.SuggestionModel, "fit_units", spy_fit)
    monkeypatch.setattr(learn_module.SuggestionModel, "predict_units", spy_predict)
    evaluate(corpus, seed=0)
    assert [kind for kind, _ in calls] == ["fit", "predict"] * len(PARTICIPANTS)
    held_out_seen = []
    for (_, trained), (_, tested) in zip(calls[::2], calls[1::2]):
        held_out = {owner[t] for t in tested}
        assert len(held_out) == 1
        assert not held_out & {owner[t] for t in trained}
        assert len(trained) == 5 * 11
        held_out_seen += held_out
    assert sorted(held_out_seen) == PARTICIPANTS


def test_lopo_folds():
    assert lopo_folds(["B", "A", "B", "C"]) == [("A", [0, 2, 3], [1]), ("B", [1, 3], [0, 2]), ("C", [0, 1, 2], [3])]


def test_evaluation_is_deterministic(corpus, evaluation):
    assert evaluate(corpus, seed=0) == evaluation


def test_evaluate_needs_two_participants(corpus):
    one = corpus.codings.loc[corpus.codings["participant"] == "A"]
    data = type(corpus)(corpus.codebook, corpus.participants, corpus.documents, corpus.segments, one, corpus.texts)
    with pytest.raises(QualcodeError, match="at least two participants"):
        evaluate(data)


# --------------------------------------------------------------------------- topics
def test_candidate_topics_from_uncoded_units(corpus):
    topics = candidate_topics(corpus, n_topics=3, annotators=["dana"], seed=0)
    assert list(topics.columns) == ["topic", "label", "top_terms", "n_units", "examples"]
    assert topics["topic"].tolist() == [1, 2, 3]
    assert all(len(terms) == 8 for terms in topics["top_terms"])
    assert topics["n_units"].sum() == 6 * 6
    assert topics["n_units"].is_monotonic_decreasing
    coded_text = set(corpus.codings["quote"])
    for examples in topics["examples"]:
        assert 1 <= len(examples) <= 3
        for ex in examples:
            assert set(ex) == {"document", "participant", "text"}
            assert ex["text"] not in coded_text
            assert ex["participant"].startswith("Expert (")
    all_terms = {t for terms in topics["top_terms"] for t in terms}
    assert {"rent", "school"} <= all_terms
    assert not all_terms & {"and", "the"}  # stop words
    again = candidate_topics(corpus, n_topics=3, annotators=["dana"], seed=0)
    pd.testing.assert_frame_equal(topics, again)


def test_candidate_topics_are_capped_by_the_data():
    doc, _ = build_document("x", ["Rent is high.", "Schools are full."], participant="A")
    data = make_analysis_data(learning_codebook(), [doc], [])
    assert len(candidate_topics(data, n_topics=8)) == 2


# --------------------------------------------------------------------------- units
@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Word", "two", ".", "!", " ", "\n", "\n\n", "мир", "?"]), max_size=40))
def test_split_units_spans_are_ordered_trimmed_and_inside(pieces):
    text = "".join(pieces)
    for unit in ("sentence", "paragraph"):
        spans = split_units(text, unit, "en")
        assert all(0 <= s < e <= len(text) for s, e in spans)
        assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:]))
        assert all(not text[s].isspace() and not text[e - 1].isspace() for s, e in spans)
        assert "".join(text[s:e] for s, e in spans).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
            "\n", ""
        )


@pytest.mark.parametrize(
    "code, level, theme",
    [
        ("transit_country", "main", "trends"),
        ("transit_country", "sub", "flows"),
        ("worker_rights", "main", "policy"),
        ("worker_rights", "sub", "policy"),
    ],
)
def test_theme_levels(code, level, theme):
    assert theme_of(pattern_codebook(), code, level) == theme


def test_sub_theme_model_predicts_sub_themes(pattern_data):
    data, en_spans, _ = pattern_data
    texts = ["A transit route.", "Transit again.", "Workers here.", "Workers there."]
    labels = [{"transit_country"}, {"transit_country"}, {"worker_rights"}, {"worker_rights"}]
    model = SuggestionModel(theme_level="sub").fit_units(texts, labels, data.codebook)
    assert model.themes_ == ["flows", "policy"]
    assert model.predict_units(["transit"])[0].themes[0][0] == "flows"


def test_paragraph_units_without_segments():
    text = "Rent is high. Flats are few.\n\n  Schools are full.\n"
    data = make_analysis_data(learning_codebook(), [ParsedDocument("x", text, language="en")], [])
    units = unit_table(data, "paragraph")
    assert units["text"].tolist() == ["Rent is high. Flats are few.", "Schools are full."]
    assert [text[s:e] for s, e in zip(units["start"], units["end"])] == units["text"].tolist()
    sentences = unit_table(data, "sentence")
    assert sentences["text"].tolist() == ["Rent is high.", "Flats are few.", "Schools are full."]
