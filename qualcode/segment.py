"""Split a transcript into paragraph, sentence and speaker-turn segments.

Rules (offsets are code points into the text, end exclusive; spaCy's character
offsets are code points of the Python ``str`` too):

* **paragraph** -- a block of text separated from the next by a blank line (a line that is
  empty or only spaces/tabs).  A line that starts a speaker turn also starts a new
  paragraph, blank line or not.
* **turn** -- a speaker turn starts at a line ``Name: text``: the name (at most 40
  characters and 4 words, starting with a letter; optionally in Markdown bold, e.g.
  ``**Interviewer:**``; optionally after a timestamp such as ``[00:12:05]``) followed by a
  colon and a space or the end of the line.  So that "Note: …" is not a speaker, a name
  must start at least two lines of the document, or be a common role word alone or
  followed by one more word (``Interviewer``, ``Expert A``, ``Respondent 3``; see
  :data:`ROLE_WORDS`), or ``Q``/``A``/``I``/``R`` (Russian ``В``/``О``/``И``/``Р``) alone.
  Importers that know their speakers (subtitles, front matter ``speakers:``) pass
  ``speakers=`` and then exactly those names count.  A turn runs to the next turn label; text before the first label belongs
  to no turn.  No labels → no turn segments.
* **sentence** -- spaCy's rule-based ``sentencizer`` on a blank pipeline of the text's
  language, *cut at paragraph boundaries*: sentences never cross a paragraph (a heading
  without a full stop stays out of the next sentence).

The speaker label itself (``Interviewer:``) is not part of any segment: turn, paragraph
and sentence spans start at the first word after it, and carry ``speaker``.  Every
segment is trimmed of surrounding whitespace; empty segments are dropped.  ``segment``
returns paragraphs, then sentences, then turns, each in text order.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import cache
from typing import TYPE_CHECKING

from .model import Segment

if TYPE_CHECKING:  # spaCy is imported lazily: it takes a second to load
    from spacy.language import Language

SUPPORTED_LANGUAGES = ("en", "ru", "xx")
DEFAULT_BATCH_SIZE = 64
ROLE_WORDS = frozenset(
    {
        "interviewer",
        "interviewee",
        "respondent",
        "participant",
        "moderator",
        "facilitator",
        "expert",
        "speaker",
        "question",
        "answer",
        "host",
        "guest",
        "интервьюер",
        "респондент",
        "участник",
        "эксперт",
        "модератор",
        "вопрос",
        "ответ",
    }
)
# Single letters count as speakers only on their own ("Q:", "A:", "И:", "Р:").
SINGLE_LETTER_ROLES = frozenset({"q", "a", "i", "r", "в", "о", "и", "р"})

# "Name:" at the start of a line; name up to 40 chars/4 words, optionally **bold**.  The
# pattern after a literal "\n" (plus a match at offset 0) is much faster than "^" with
# re.MULTILINE, which the regex engine tries at every position.
_TIMESTAMP = r"(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]?[ \t]+)?"
_NAME = r"(?P<name>[^\W\d_][\w.'’()\-/&]*(?:[ \t][\w.'’()\-/&]+){0,3}?)"
_LABEL_BODY = r"[ \t]*" + _TIMESTAMP + r"(?:\*\*|__)?" + _NAME + r"(?:\*\*|__)?[ \t]*:(?:\*\*|__)?(?=[ \t\n]|$)"
_LABEL_AT_START = re.compile(_LABEL_BODY)
_LABEL_AFTER_NEWLINE = re.compile(r"\n" + _LABEL_BODY)
_MAX_NAME_CHARS = 40
_BLANK_LINES = re.compile(r"\n(?:[^\S\n]*\n)+")
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def _make_segment_factory():
    """A constructor for :class:`Segment` about twice as fast as the frozen dataclass's.

    A transcript has tens of thousands of segments, and the frozen ``__init__`` (one
    ``object.__setattr__`` per field) was a third of segmentation time.  Filling the
    instance dict gives an identical object (same fields, equality, hash); if Segment
    ever gains fields or slots we fall back to the normal constructor.
    """
    if [f.name for f in fields(Segment)] != ["kind", "start", "end", "speaker"] or hasattr(Segment, "__slots__"):
        return Segment
    new = object.__new__

    def make(kind: str, start: int, end: int, speaker: str | None) -> Segment:
        segment = new(Segment)
        values = segment.__dict__
        values["kind"] = kind
        values["start"] = start
        values["end"] = end
        values["speaker"] = speaker
        return segment

    return make


_segment = _make_segment_factory()


@dataclass(frozen=True)
class TurnLabel:
    """A speaker label in the text: ``text[label_start:content_start]`` is e.g. ``"Q: "``."""

    label_start: int
    content_start: int
    speaker: str


# --------------------------------------------------------------------------- turns
def find_turn_labels(text: str, speakers: Iterable[str] | None = None) -> list[TurnLabel]:
    """Speaker labels that start turns, in text order (see the module docstring's rule).

    >>> [(t.speaker, t.content_start) for t in find_turn_labels("Q: Hi?\\nA: Hello.\\nNote: x")]
    [('Q', 3), ('A', 10)]
    """
    if speakers is not None:
        names = sorted({s for s in speakers if s}, key=len, reverse=True)
        if not names:
            return []
        body = r"(?P<name>" + "|".join(map(re.escape, names)) + r"):(?=[ \t\n]|$)"
        matches = _line_start_matches(text, re.compile(body), re.compile(r"\n" + body))
        accepted = None
    else:
        matches = [
            m
            for m in _line_start_matches(text, _LABEL_AT_START, _LABEL_AFTER_NEWLINE)
            if len(m["name"]) <= _MAX_NAME_CHARS
        ]
        counts: dict[str, int] = {}
        for m in matches:
            counts[m["name"]] = counts.get(m["name"], 0) + 1
        accepted = {n for n, c in counts.items() if c >= 2 or _is_role_name(n)}
    labels: list[TurnLabel] = []
    for m in matches:
        if accepted is not None and m["name"] not in accepted:
            continue
        content = m.end()
        while content < len(text) and text[content] in " \t":
            content += 1
        start = m.start() + 1 if text[m.start()] == "\n" else m.start()
        labels.append(TurnLabel(start, content, m["name"]))
    return labels


def _line_start_matches(text: str, at_start: re.Pattern[str], after_newline: re.Pattern[str]) -> list[re.Match[str]]:
    first = at_start.match(text)
    rest = after_newline.finditer(text)
    return ([first] if first else []) + list(rest)


def _is_role_name(name: str) -> bool:
    words = name.casefold().split()
    if len(words) == 1 and words[0] in SINGLE_LETTER_ROLES:
        return True
    return len(words) <= 2 and words[0] in ROLE_WORDS


# --------------------------------------------------------------------------- paragraphs
def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    # Walk inwards instead of slicing: spans are long, their edges rarely need trimming.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraphs(text: str, labels: Sequence[TurnLabel]) -> list[tuple[int, int]]:
    """Paragraph spans: blank-line blocks, split at turn labels, labels cut off, trimmed."""
    cuts: list[tuple[int, int]] = []  # (block start, block end) before label splitting
    pos = 0
    for m in _BLANK_LINES.finditer(text):
        cuts.append((pos, m.start()))
        pos = m.end()
    cuts.append((pos, len(text)))
    label_starts = [t.label_start for t in labels]
    spans: list[tuple[int, int]] = []
    for block_start, block_end in cuts:
        lo = bisect_left(label_starts, block_start)
        hi = bisect_left(label_starts, block_end)
        starts = [block_start] + [labels[i].content_start for i in range(lo, hi)]
        ends = [labels[i].label_start for i in range(lo, hi)] + [block_end]
        for s, e in zip(starts, ends):
            s, e = _trim(text, s, e)
            if e > s:
                spans.append((s, e))
    return spans


def _turns(text: str, labels: Sequence[TurnLabel]) -> list[Segment]:
    turns: list[Segment] = []
    for i, label in enumerate(labels):
        end = labels[i + 1].label_start if i + 1 < len(labels) else len(text)
        s, e = _trim(text, label.content_start, end)
        if e > s:
            turns.append(_segment("turn", s, e, label.speaker))
    return turns


def _speaker_at(turns: Sequence[Segment], turn_starts: Sequence[int], pos: int) -> str | None:
    i = bisect_right(turn_starts, pos) - 1
    if i >= 0 and pos < turns[i].end:
        return turns[i].speaker
    return None


def build_segments(text: str, sentence_starts: Sequence[int], speakers: Iterable[str] | None = None) -> list[Segment]:
    """Segments from the text and sorted sentence-start offsets (from any sentence splitter).

    >>> [(s.kind, "Q: Hi. Ok\\n\\nA: Yes."[s.start:s.end], s.speaker)
    ...  for s in build_segments("Q: Hi. Ok\\n\\nA: Yes.", [0, 7, 11])]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('paragraph', 'Hi. Ok', 'Q'), ('paragraph', 'Yes.', 'A'), ('sentence', 'Hi.', 'Q'),
     ('sentence', 'Ok', 'Q'), ('sentence', 'Yes.', 'A'), ('turn', 'Hi. Ok', 'Q'),
     ('turn', 'Yes.', 'A')]
    """
    labels = find_turn_labels(text, speakers)
    turns = _turns(text, labels)
    turn_starts = [t.start for t in turns]
    paragraphs: list[Segment] = []
    sentences: list[Segment] = []
    for p_start, p_end in _paragraphs(text, labels):
        speaker = _speaker_at(turns, turn_starts, p_start) if turns else None
        paragraphs.append(_segment("paragraph", p_start, p_end, speaker))
        lo = bisect_right(sentence_starts, p_start)
        hi = bisect_left(sentence_starts, p_end)
        bounds = [p_start, *sentence_starts[lo:hi], p_end]
        for s, e in zip(bounds, bounds[1:]):
            # Inline trim (hot loop): a sentence usually ends with one space before the next.
            while e > s and text[e - 1].isspace():
                e -= 1
            while s < e and text[s].isspace():
                s += 1
            if e > s:
                sentences.append(_segment("sentence", s, e, speaker))
    return paragraphs + sentences + turns


# --------------------------------------------------------------------------- spaCy
@cache
def get_nlp(language: str) -> Language:
    """A blank spaCy pipeline for ``language`` with the sentencizer, cached per language."""
    import spacy

    nlp = spacy.blank(language)
    nlp.add_pipe("sentencizer")
    return nlp


@cache
def language_available(language: str) -> bool:
    """True if spaCy can build a blank pipeline for ``language`` here (e.g. "ja" needs SudachiPy)."""
    try:
        get_nlp(language)
    except (ImportError, KeyError, ValueError):
        return False
    return True


def guess_language(text: str) -> str:
    """ "ru" if most letters are Cyrillic, "en" if most are Latin, else "xx" (multilingual).

    >>> guess_language("Мы начали в 2010 году, using Excel."), guess_language("Hello")
    ('ru', 'en')
    """
    # Three slices are enough to guess and keep this cheap for long transcripts.
    third = len(text) // 3
    sample = text[:2000] + text[third : third + 2000] + text[-2000:] if len(text) > 6000 else text
    cyrillic = _CYRILLIC_LETTER.subn("", sample)[1]
    latin = _LATIN_LETTER.subn("", sample)[1]
    letters = sum(map(str.isalpha, sample)) or 1
    if cyrillic * 2 > letters:
        return "ru"
    if latin * 2 > letters or letters == 1:
        return "en"
    return "xx"


def _sentence_starts(doc) -> list[int]:
    # Column arithmetic in numpy: no Python work per token, only per sentence.
    from spacy.attrs import IDX, SENT_START

    if len(doc) == 0:
        return []
    array = doc.to_array([IDX, SENT_START])
    return array[array[:, 1] == 1, 0].tolist()


def segment(text: str, language: str = "en", *, speakers: Iterable[str] | None = None) -> list[Segment]:
    """Paragraph, sentence and turn segments of ``text`` (see the module docstring).

    >>> text = "Interviewer: How did it start?\\n\\nExpert A: In 2010. Dr. Lee asked me."
    >>> [(s.kind, text[s.start:s.end]) for s in segment(text) if s.kind == "sentence"]
    [('sentence', 'How did it start?'), ('sentence', 'In 2010.'), ('sentence', 'Dr. Lee asked me.')]
    """
    return segment_many([text], [language], speakers=[speakers])[0]


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (reference counting still frees everything).

    Segmenting a large corpus allocates millions of small objects (segments, spaCy docs) that
    form no reference cycles.  The collector's full passes kept rescanning all of them and
    every other live object: a third of the time of segmenting 1,000 transcripts.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def segment_many(
    texts: Sequence[str],
    languages: Sequence[str] | str,
    *,
    speakers: Sequence[Iterable[str] | None] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> list[list[Segment]]:
    """Segment many texts, running spaCy once per language through ``nlp.pipe``.

    ``languages`` is one code for all texts or one per text (codes spaCy cannot load fall
    back to the multilingual "xx" pipeline); ``speakers`` (optional) one entry per text,
    as for :func:`segment`.
    """
    if isinstance(languages, str):
        languages = [languages] * len(texts)
    if len(languages) != len(texts):
        raise ValueError("segment_many needs one language per text")
    speaker_lists = list(speakers) if speakers is not None else [None] * len(texts)
    by_language: dict[str, list[int]] = {}
    for i, language in enumerate(languages):
        by_language.setdefault(language, []).append(i)
    results: list[list[Segment]] = [[] for _ in texts]
    with _cyclic_gc_paused():
        _segment_languages(texts, by_language, speaker_lists, batch_size, results)
    return results


def _segment_languages(
    texts: Sequence[str],
    by_language: dict[str, list[int]],
    speaker_lists: Sequence[Iterable[str] | None],
    batch_size: int,
    results: list[list[Segment]],
) -> None:
    for language, indices in by_language.items():
        # A code spaCy cannot load here (e.g. from a REFI project) still gets sentences.
        nlp = get_nlp(language if language_available(language) else "xx")
        longest = max((len(texts[i]) for i in indices), default=0)
        if longest >= nlp.max_length:
            # The limit guards parser/NER memory; a tokenizer + sentencizer needs little.
            nlp.max_length = longest + 1
        docs = nlp.pipe((texts[i] for i in indices), batch_size=batch_size)
        for i, doc in zip(indices, docs):
            results[i] = build_segments(texts[i], _sentence_starts(doc), speaker_lists[i])


__all__ = [
    "SUPPORTED_LANGUAGES",
    "ROLE_WORDS",
    "SINGLE_LETTER_ROLES",
    "TurnLabel",
    "find_turn_labels",
    "build_segments",
    "get_nlp",
    "language_available",
    "guess_language",
    "segment",
    "segment_many",
]
