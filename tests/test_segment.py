"""Paragraph, sentence and speaker-turn segmentation with exact offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.model import SEGMENT_KINDS
from qualcode.segment import find_turn_labels, get_nlp, guess_language, segment, segment_many


def spans(text, segments, kind):
    return [text[s.start : s.end] for s in segments if s.kind == kind]


def test_sentences_are_exact_trimmed_and_stop_at_paragraphs():
    text = (
        "  Background\n\nThe project began in 2010.  Funding was cut!   Why?\n"
        "Nobody knew…\n \t\nConclusions without a full stop\nNext line."
    )
    segments = segment(text, "en")
    assert spans(text, segments, "paragraph") == [
        "Background",
        "The project began in 2010.  Funding was cut!   Why?\nNobody knew…",
        "Conclusions without a full stop\nNext line.",
    ]
    assert spans(text, segments, "sentence") == [
        "Background",
        "The project began in 2010.",
        "Funding was cut!",
        "Why?",
        "Nobody knew…",
        "Conclusions without a full stop\nNext line.",
    ]
    assert spans(text, segments, "turn") == []
    assert all(s.speaker is None for s in segments)


def test_kinds_come_grouped_and_in_text_order():
    text = "Q: One. Two.\n\nA: Three."
    segments = segment(text)
    kinds = [s.kind for s in segments]
    assert kinds == sorted(kinds, key=["paragraph", "sentence", "turn"].index)
    for kind in SEGMENT_KINDS:
        starts = [s.start for s in segments if s.kind == kind]
        assert starts == sorted(starts)


def test_russian_sentences():
    text = "Интервьюер: Как всё началось?\n\nЭксперт: В 2010 году. Бюджет сократили!"
    segments = segment(text, "ru")
    assert spans(text, segments, "sentence") == ["Как всё началось?", "В 2010 году.", "Бюджет сократили!"]
    assert [s.speaker for s in segments if s.kind == "turn"] == ["Интервьюер", "Эксперт"]


@pytest.mark.parametrize(
    "text, speakers",
    [
        ("Q: Why?\nA: Because.", ["Q", "A"]),
        ("Interviewer: Why?\n\nExpert A: Because.", ["Interviewer", "Expert A"]),
        ("Respondent 3: Yes.", ["Respondent 3"]),
        ("**Interviewer:** Why?\n\n**Kim**: Because.\n\n**Kim**: And so.", ["Interviewer", "Kim", "Kim"]),
        ("Kim Lee: one\nSam: two\nKim Lee: three", ["Kim Lee", "Kim Lee"]),  # Sam only once
        ("Note: this is not a turn.\nThe end.", []),
        ("Note: one.\nNote: two.", ["Note", "Note"]),  # a recurring label is a speaker
        ("See http://example.org and 10:30: the meeting.", []),
        (
            "In my view the real problem was this: money.\nIn my view the real problem was this: time.",
            [],
        ),  # more than four words
        ("A few things: money.", []),  # single letters only count alone
        ("И: Расскажите.\nР: Хорошо.", ["И", "Р"]),
        (
            "[00:01:02] Interviewer: Why?\n(12:05) Expert: Because.\n00:12:07.5 Expert: So.",
            ["Interviewer", "Expert", "Expert"],
        ),
    ],
)
def test_turn_label_rule(text, speakers):
    assert [t.speaker for t in find_turn_labels(text)] == speakers


def test_turn_spans_exclude_the_label_and_run_to_the_next_label():
    text = (
        "Intro without speaker.\n\nInterviewer:\nHow did it start?\n\n"
        "Expert: In 2010.\nThen more.\n\nSecond paragraph.\nInterviewer: Thanks."
    )
    segments = segment(text)
    assert [(s.speaker, text[s.start : s.end]) for s in segments if s.kind == "turn"] == [
        ("Interviewer", "How did it start?"),
        ("Expert", "In 2010.\nThen more.\n\nSecond paragraph."),
        ("Interviewer", "Thanks."),
    ]
    assert [(s.speaker, text[s.start : s.end]) for s in segments if s.kind == "paragraph"] == [
        (None, "Intro without speaker."),
        ("Interviewer", "How did it start?"),
        ("Expert", "In 2010.\nThen more."),
        ("Expert", "Second paragraph."),
        ("Interviewer", "Thanks."),
    ]
    assert "Interviewer" not in " ".join(spans(text, segments, "sentence"))


def test_timestamps_before_labels_are_outside_the_turn():
    text = "[00:01:02] Interviewer: Why?\n[00:01:09] Expert: Because."
    assert [(s.speaker, text[s.start : s.end]) for s in segment(text) if s.kind != "sentence"] == [
        ("Interviewer", "Why?"),
        ("Expert", "Because."),
        ("Interviewer", "Why?"),
        ("Expert", "Because."),
    ]


def test_explicit_speakers_replace_the_rule():
    text = "Dr. O'Neil (host): Hello.\nNote: ignored.\nDr. O'Neil (host): Bye."
    segments = segment(text, speakers=["Dr. O'Neil (host)"])
    assert [(s.speaker, text[s.start : s.end]) for s in segments if s.kind == "turn"] == [
        ("Dr. O'Neil (host)", "Hello.\nNote: ignored."),
        ("Dr. O'Neil (host)", "Bye."),
    ]
    assert spans(text, segment(text, speakers=[]), "turn") == []


def test_segment_many_matches_segment_and_keeps_order():
    texts = ["Q: One. Two.", "В: Один. Два.", "Plain text. Again.", "Q: Три."]
    languages = ["en", "ru", "xx", "ru"]
    together = segment_many(texts, languages, batch_size=2)
    assert together == [segment(t, lang) for t, lang in zip(texts, languages)]
    assert segment_many(texts, "en") == [segment(t, "en") for t in texts]
    with pytest.raises(ValueError):
        segment_many(texts, ["en"])


def test_unusable_language_codes_fall_back_to_multilingual():
    text = "First sentence. Second one."
    assert segment(text, "english") == segment(text, "xx")


def test_long_texts_raise_max_length(monkeypatch):
    nlp = get_nlp("en")
    monkeypatch.setattr(nlp, "max_length", 100)
    text = "A sentence here. " * 20
    segments = segment(text.strip())
    assert len(spans(text, segments, "sentence")) == 20
    assert nlp.max_length > len(text.strip())
    assert get_nlp("en") is nlp  # one cached pipeline per language


@pytest.mark.parametrize(
    "text, language",
    [
        ("Мы начали работу в 2010 году, using Excel.", "ru"),
        ("We began in 2010 with a small team, в Москве.", "en"),
        ("Η συνέντευξη ξεκίνησε στις δέκα.", "xx"),
        ("12345 !!!", "en"),
    ],
)
def test_guess_language(text, language):
    assert guess_language(text) == language


_PIECES = st.sampled_from(
    [
        "word",
        "Word",
        "Dr.",
        "2010",
        ".",
        "!",
        "?",
        "…",
        ",",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\n \n",
        "\t",
        "Q:",
        "Interviewer:",
        "«",
        "»",
        "Ёж",
        "naïve",
        "🙂",
        "e\u0301",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_segment_invariants(text):
    segments = segment(text, "en")
    paragraphs = [s for s in segments if s.kind == "paragraph"]
    for s in segments:
        piece = text[s.start : s.end]
        assert piece and piece == piece.strip()  # non-empty and trimmed
        assert "\n\n" not in piece.replace(" ", "").replace("\t", "") or s.kind == "turn"
    for s in (s for s in segments if s.kind == "sentence"):
        # Every sentence lies inside exactly one paragraph, with the same speaker.
        [home] = [p for p in paragraphs if p.start <= s.start and s.end <= p.end]
        assert home.speaker == s.speaker
    for p in paragraphs:
        # Sentences cover all of a paragraph's non-space characters, in order.
        inside = [s for s in segments if s.kind == "sentence" and p.start <= s.start < p.end]
        joined = "".join(text[s.start : s.end] for s in inside)
        assert "".join(joined.split()) == "".join(text[p.start : p.end].split())
