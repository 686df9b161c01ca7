"""Finding quotes in transcripts and moving codings when a transcript changes."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qualcode.anchor import anchor_quote, reanchor
from qualcode.model import Coding

TEXT = (
    "Interviewer: How did the programme start?\n\n"
    "Expert A: It started in 2010, when the ministry cut the budget. We had to find\n"
    "partners quickly. The budget cut hurt.\n\n"
    "Interviewer: And trust?\n\n"
    "Expert A: Trust between the agencies was low. “Nobody shared data,” he said — at first."
)


def coding(start: int, end: int, code: str = "c") -> Coding:
    return Coding(document="expert_A", start=start, end=end, code=code, annotator="ann")


def split(placements):  # type: ignore[no-untyped-def]
    """``(anchored, detached)`` from reanchor's aligned placements."""
    return [p.coding for p in placements if not p.detached], [p.original for p in placements if p.detached]


def at(text: str, quote: str, occurrence: int = 0) -> int:
    pos = -1
    for _ in range(occurrence + 1):
        pos = text.index(quote, pos + 1)
    return pos


# --------------------------------------------------------------------------- anchor_quote
def test_exact_match_prefers_the_occurrence_nearest_near():
    first, second = at(TEXT, "budget"), at(TEXT, "budget", 1)
    assert anchor_quote(TEXT, "budget") == (first, first + 6)
    assert anchor_quote(TEXT, "budget", near=second - 5) == (second, second + 6)
    assert anchor_quote(TEXT, "budget", near=0) == (first, first + 6)


@pytest.mark.parametrize(
    "quote, expected",
    [
        ("we had to find partners quickly", "We had to find\npartners quickly"),  # case + newline
        ('"Nobody shared data," he said - at first', "“Nobody shared data,” he said — at first"),
        ("  Trust   between the\tagencies  ", "Trust between the agencies"),
    ],
)
def test_normalised_match_returns_original_offsets(quote, expected):
    start, end = anchor_quote(TEXT, quote)
    assert TEXT[start:end] == expected


@pytest.mark.parametrize(
    "quote, expected",
    [
        ("the ministy cut the budgett", "the ministry cut the budget"),  # typos
        ("Trust between agencies was low", "Trust between the agencies was low"),  # word dropped
        ("It started in 2011, when the ministry cut", "It started in 2010, when the ministry cut"),
    ],
)
def test_fuzzy_match_snaps_to_words(quote, expected):
    start, end = anchor_quote(TEXT, quote)
    assert TEXT[start:end] == expected


@pytest.mark.parametrize(
    "quote, threshold",
    [
        ("completely unrelated sentence about weather", 90),
        ("the minister raised the budget", 95),
        ("", 90),
        ("   ", 90),
        ("budgex", 90),  # too short to match fuzzily
    ],
)
def test_not_found(quote, threshold):
    assert anchor_quote(TEXT, quote, threshold=threshold) is None


def test_threshold_is_configurable():
    quote = "the ministry raised the budget"
    assert anchor_quote(TEXT, quote, threshold=95) is None
    start, end = anchor_quote(TEXT, quote, threshold=80)
    assert TEXT[start:end] == "the ministry cut the budget"


def test_fuzzy_prefers_the_passage_near_the_hint():
    text = "Alpha. The budget was cut hard. " + "Filler words here. " * 30 + "The budget was cut hard."
    later = text.rindex("The budget")
    start, _ = anchor_quote(text, "The budget was cut hardly", near=later)
    assert start == later
    start, _ = anchor_quote(text, "The budget was cut hardly", near=0)
    assert start == text.index("The budget")


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=200), st.data())
def test_every_substring_is_found_exactly(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = text[start:end]
    assume(quote.strip())
    found = anchor_quote(text, quote, near=start)
    assert found is not None
    assert text[found[0] : found[1]] == quote
    assert found == (start, end) or text.count(quote) > 1 or quote in text[start + 1 :]


# --------------------------------------------------------------------------- reanchor
def _codings_on(text: str, quotes: list[str]) -> list[Coding]:
    return [coding(at(text, q), at(text, q) + len(q), code=q) for q in quotes]


QUOTES = ["the ministry cut the budget", "partners quickly", "budget", "Trust between the agencies"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: "Preface added later.\n\n" + t,
        lambda t: t.replace("Interviewer: How did the programme start?\n\n", ""),
        lambda t: t.replace("And trust?", "And what about trust between people?"),
        lambda t: t.replace("It started in 2010, when", "It started, I think in 2010 or so, when"),
        lambda t: t.replace("\n\n", "\n\n\n"),
    ],
)
def test_reanchor_keeps_codings_when_other_text_changes(edit):
    new = edit(TEXT)
    assert new != TEXT
    codings = _codings_on(TEXT, QUOTES)
    anchored, detached = split(reanchor(TEXT, new, codings))
    assert detached == []
    for old, moved in zip(codings, anchored):
        quote = TEXT[old.start : old.end]
        assert new[moved.start : moved.end] == quote == moved.quote
        assert (moved.code, moved.annotator, moved.document) == (old.code, old.annotator, old.document)


def test_reanchor_picks_the_same_occurrence_of_a_repeated_word():
    second = at(TEXT, "budget", 1)
    old = coding(second, second + len("budget"))
    new = "Intro.\n" + TEXT
    [moved], _ = split(reanchor(TEXT, new, [old]))
    assert moved.start == second + len("Intro.\n")


def test_reanchor_follows_small_edits_inside_the_quote():
    old = _codings_on(TEXT, ["Trust between the agencies was low"])
    new = TEXT.replace("agencies was low", "agencys was low")
    [moved], detached = split(reanchor(TEXT, new, old))
    assert detached == []
    assert moved.quote == "Trust between the agencys was low"


def test_reanchor_detaches_codings_whose_text_is_gone():
    codings = _codings_on(TEXT, QUOTES)
    new = TEXT.replace("It started in 2010, when the ministry cut the budget. ", "")
    anchored, detached = split(reanchor(TEXT, new, codings))
    # 'budget' was coded in the removed sentence: it is not moved to "The budget cut hurt."
    assert [c.code for c in detached] == ["the ministry cut the budget", "budget"]
    assert detached[0] is codings[0]  # unchanged, for the user to re-place
    assert {c.code for c in anchored} == {"partners quickly", "Trust between the agencies"}


def test_reanchor_unchanged_text_keeps_offsets():
    codings = _codings_on(TEXT, QUOTES)
    anchored, detached = split(reanchor(TEXT, TEXT, codings))
    assert [(c.start, c.end) for c in anchored] == [(c.start, c.end) for c in codings]
    assert detached == []


_WORDS = st.sampled_from(
    ["alpha", "beta", "gamma", "delta", "trust", "budget", "the", "we", "said", "Ёж", "naïve", ".", ",", "\n", "\n\n"]
)


@settings(max_examples=100, deadline=None)
@given(
    before=st.lists(_WORDS, max_size=30),
    middle=st.lists(_WORDS, max_size=10),
    inserted=st.lists(_WORDS, min_size=1, max_size=10),
    after=st.lists(_WORDS, max_size=30),
)
def test_reanchor_survives_insertions_before_the_quote(before, middle, inserted, after):
    quote = "UNIQUE coded passage"
    old = " ".join(before) + " " + quote + " " + " ".join(after)
    new = " ".join(before + inserted) + " " + quote + " " + " ".join(after)
    start = old.index(quote)
    [moved], detached = split(reanchor(old, new, [coding(start, start + len(quote))]))
    assert new[moved.start : moved.end] == quote
    assert moved.start == new.index(quote)


@settings(max_examples=100, deadline=None)
@given(before=st.lists(_WORDS, min_size=1, max_size=30), after=st.lists(_WORDS, max_size=30), data=st.data())
def test_reanchor_survives_deletions_before_and_after_the_quote(before, after, data):
    quote = "UNIQUE coded passage"
    old = " ".join(before) + " " + quote + " " + " ".join(after)
    cut = data.draw(st.integers(0, len(before)))
    keep_after = data.draw(st.integers(0, len(after)))
    new = " ".join(before[cut:]) + " " + quote + " " + " ".join(after[:keep_after])
    start = old.index(quote)
    [moved], detached = split(reanchor(old, new, [coding(start, start + len(quote))]))
    assert (moved.start, moved.end) == (new.index(quote), new.index(quote) + len(quote))


@settings(max_examples=100, deadline=None)
@given(before=st.lists(_WORDS, max_size=30), after=st.lists(_WORDS, max_size=30))
def test_reanchor_detaches_when_the_quote_is_deleted(before, after):
    quote = "UNIQUE coded passage"
    old = " ".join(before) + " " + quote + " " + " ".join(after)
    new = " ".join(before) + " " + " ".join(after)
    start = old.index(quote)
    original = coding(start, start + len(quote))
    anchored, detached = split(reanchor(old, new, [original]))
    assert anchored == [] and detached == [original]


# --------------------------------------------------------------------------- short or repeated quotes (#12)
KZ = (
    "Expert B: Kazakhstan is a transit country for many people.\n\n"
    "Interviewer: And the employers?\n\n"
    "Expert B: Factories lack workers, so they hire migrants from Kazakhstan and Kyrgyzstan.\n"
)


def test_reanchor_does_not_move_a_short_quote_to_another_occurrence():
    first = at(KZ, "Kazakhstan")
    original = coding(first, first + len("Kazakhstan"))
    new = KZ.replace("Kazakhstan is a transit country", "The republic is a corridor")
    [placement] = reanchor(KZ, new, [original])
    assert placement.detached, f"moved to {placement.coding}"  # not to 'migrants from Kazakhstan'
    assert placement.original is original
    assert "re-place it by hand" in placement.reason


def test_reanchor_keeps_a_short_quote_whose_sentence_was_edited_around_it():
    first = at(KZ, "Kazakhstan")
    new = KZ.replace("is a transit country for", "is a major transit country for")
    [placement] = reanchor(KZ, new, [coding(first, first + len("Kazakhstan"))])
    assert placement.coding is not None
    assert placement.coding.start == at(new, "Kazakhstan") and placement.coding.quote == "Kazakhstan"


def test_reanchor_detaches_a_short_quote_that_now_occurs_in_two_alike_places(monkeypatch):
    import qualcode.anchor

    # A changed block too big for the character diff: only the quote's surroundings can tell.
    monkeypatch.setattr(qualcode.anchor, "CHAR_DIFF_LIMIT", 0)
    text = "Expert C: the border guards asked for papers at Almaty and then for money, as always happened."
    new = f"{text} {text}"  # pasted twice: the surroundings of both occurrences match
    start = at(text, "Almaty")
    [placement] = reanchor(text, new, [coding(start, start + 6)])
    assert placement.detached and "similar places" in placement.reason
    monkeypatch.undo()
    [placement] = reanchor(text, new, [coding(start, start + 6)])
    assert placement.coding is not None and placement.coding.start == start  # the diff kept the first


def test_reanchor_results_are_aligned_with_the_input():
    codings = _codings_on(TEXT, QUOTES) + _codings_on(TEXT, QUOTES[:1])  # two equal codings too
    new = TEXT.replace("It started in 2010, when the ministry cut the budget. ", "")
    placements = reanchor(TEXT, new, codings)
    assert [p.original for p in placements] == codings
    assert all(p.original is c for p, c in zip(placements, codings))
    assert [p.detached for p in placements] == [True, False, True, False, True]
    for p in placements:
        if not p.detached:
            assert new[p.coding.start : p.coding.end] == TEXT[p.original.start : p.original.end]


_FILLER = st.lists(
    st.sampled_from(["we", "said", "the", "road", "was", "long", "and", "people", ",", "."]), max_size=25
)


@settings(max_examples=150, deadline=None)
@given(before=_FILLER, between=_FILLER, after=_FILLER, replacement=_FILLER)
def test_reanchor_never_moves_a_repeated_word_to_its_other_occurrence(before, between, after, replacement):
    """The coded 'Kazakhstan' and its sentence are rewritten; the other 'Kazakhstan' stays.  The
    coding is detached: the other occurrence is different text, whatever its surroundings."""
    head = " ".join(before)
    sentence = "Our first stop was Kazakhstan in winter."
    other = "Later a cousin moved to Kazakhstan for work."
    old = f"{head}\n{sentence}\n{' '.join(between)}\n{other}\n{' '.join(after)}"
    new = f"{head}\n{' '.join(replacement)} Then came the steppe.\n{' '.join(between)}\n{other}\n{' '.join(after)}"
    start = old.index("Kazakhstan")
    [placement] = reanchor(old, new, [coding(start, start + len("Kazakhstan"))])
    assert placement.detached, f"moved to {placement.coding.start} in {new!r}"


_BUDGET_WORDS = st.lists(
    st.sampled_from(["budget", "the", "cut", "was", "low", ".", "\n", "we", "said"]), min_size=25, max_size=50
)


@settings(max_examples=150, deadline=None)
@given(left=_BUDGET_WORDS, right=_BUDGET_WORDS, inserted=_FILLER, edit_before=st.booleans(), data=st.data())
def test_reanchor_keeps_a_repeated_word_on_its_own_occurrence_when_text_far_away_changes(
    left, right, inserted, edit_before, data
):
    """'budget' occurs many times; the coded one stays put when the text changes at least
    CONTEXT_CHARS away from it (the lines around it may change too)."""
    head, tail = " ".join(left), " ".join(right)
    old = f"{head} budget {tail}"
    start, end = len(head) + 1, len(head) + 7
    room = list(range(0, start - 41)) if edit_before else list(range(end + 41, len(old) + 1))
    assume(room)
    cut = data.draw(st.sampled_from(room))
    addition = " ".join(inserted) + " inserted words "
    new = old[:cut] + addition + old[cut:]
    [placement] = reanchor(old, new, [coding(start, end)])
    assert placement.coding is not None, placement.reason
    assert placement.coding.start == (start + len(addition) if edit_before else start)
