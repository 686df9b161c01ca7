"""Pattern suggestions: find the codebook's ``patterns`` in the transcripts.

Each code may list patterns (see docs/codebook-format.md):

* a string, or ``{"phrase": "..."}`` — a phrase, matched case-insensitively token by
  token (spaCy ``PhraseMatcher`` on ``LOWER``);
* ``{"tokens": [...]}`` — a spaCy ``Matcher`` token pattern, e.g.
  ``{"tokens": [{"LOWER": "no"}, {"LOWER": "difference"}]}``.

Only blank spaCy pipelines are used (no trained models, so no lemmatizer).  To catch
inflected forms, English and Russian phrases are also matched on a crude *stem* of each
token (:func:`crude_stem`): the stem is written into the token's ``NORM`` attribute of
both the phrase and the transcript, and a second ``PhraseMatcher`` compares ``NORM``.
So ``transit`` also matches "transits", and ``мигрант`` matches "мигранты", "мигрантов".
Because ``NORM`` holds that stem, a token pattern may use ``{"NORM": "мигрант"}`` to
match any form of a word.  Other languages (``xx`` and the rest) match exact
(lower-cased) phrases only.

A match becomes a *suggestion* for the sentence it sits in (the sentence segments of
the document, or sentences split on the fly when there are none).  Suggestions are only
proposals: nothing here writes a coding.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import CodebookError, Problem
from ..frames import AnalysisData
from ..model import Codebook
from .units import annotator_codings, blank_pipeline, document_languages, document_participants, unit_table

STEM_LANGUAGES = ("en", "ru")

SUGGESTION_COLUMNS = [
    "document",
    "participant",
    "start",
    "end",
    "matched_text",
    "code",
    "code_label",
    "reason",
    "source",
    "score",
    "match_start",
    "match_end",
    "text",
]

# English inflectional suffixes, tried in this order (the first that fits wins).
_EN_MIN_STEM = 3
# Russian noun and adjective case endings (plus the soft sign and -ия family), longest first
# so that "мигрантами" loses "ами", not just "и".
_RU_ENDINGS = tuple(
    sorted(
        {
            "иями",
            "ями",
            "ами",
            "иях",
            "ях",
            "ах",
            "иям",
            "ям",
            "ам",
            "ией",
            "ия",
            "ии",
            "ию",
            "ие",
            "ий",
            "ье",
            "ья",
            "ью",
            "ьи",
            "ов",
            "ев",
            "ей",
            "ом",
            "ем",
            "ой",
            "ый",
            "ая",
            "яя",
            "ое",
            "ее",
            "ые",
            "ых",
            "их",
            "ого",
            "его",
            "ому",
            "ему",
            "ую",
            "юю",
            "ым",
            "им",
            "ыми",
            "ими",
            "а",
            "я",
            "ы",
            "и",
            "у",
            "ю",
            "е",
            "о",
            "ь",
            "й",
        },
        key=lambda e: (-len(e), e),
    )
)
_RU_MIN_STEM = 3
_VOWELS_EN = set("aeiouy")


def crude_stem(word: str, language: str) -> str:
    """A crude suffix-stripping stem for matching inflected forms (no dictionary).

    English (``en``): lower-case, then the first rule that applies of
    ``-ies``/``-ied`` → ``-y``; ``-sses`` → ``-ss``; ``-es``; ``-s`` (not after ``s``,
    ``u`` or ``i``); ``-ing``; ``-ed`` — each only when at least 3 letters remain;
    after ``-ing``/``-ed`` a doubled final consonant is undoubled (stopped → stop); finally
    a trailing ``e`` is dropped (house/houses → hous).
    Russian (``ru``): lower-case, ``ё`` → ``е``, then the longest noun/adjective ending
    among ``-иями -ями -ами -иях -ях -ах -иям -ям -ам -ией -ия -ии -ию -ие -ий -ов -ев -ей
    -ом -ем -ой -ый -ая -яя -ое -ее -ые -ых -их -ого -его -ому -ему -ую -юю -ым -им -ыми
    -ими -а -я -ы -и -у -ю -е -о -ь -й`` (and ``-ье -ья -ью -ьи``) is removed when at
    least 3 letters remain.  Verbs are not handled.
    Any other language: lower-case only.

    >>> [crude_stem(w, "en") for w in ["transit", "transits", "workers", "working", "countries", "stopped"]]
    ['transit', 'transit', 'worker', 'work', 'country', 'stop']
    >>> [crude_stem(w, "ru") for w in ["мигрант", "мигранты", "мигрантов", "мигрантами", "трудовых"]]
    ['мигрант', 'мигрант', 'мигрант', 'мигрант', 'трудов']
    """
    w = word.lower()
    if language == "en":
        return _stem_en(w)
    if language == "ru":
        return _stem_ru(w.replace("ё", "е"))
    return w


def _stem_en(w: str) -> str:
    if not w.isalpha():
        return w
    undouble = False
    if (w.endswith("ies") or w.endswith("ied")) and len(w) - 3 >= _EN_MIN_STEM - 1:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("es") and len(w) - 2 >= _EN_MIN_STEM:
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) - 1 >= _EN_MIN_STEM:
        w = w[:-1]
    elif w.endswith("ing") and len(w) - 3 >= _EN_MIN_STEM:
        w, undouble = w[:-3], True
    elif w.endswith("ed") and len(w) - 2 >= _EN_MIN_STEM:
        w, undouble = w[:-2], True
    if undouble and len(w) > _EN_MIN_STEM and w[-1] == w[-2] and w[-1] not in _VOWELS_EN | {"l", "s", "z"}:
        w = w[:-1]
    if w.endswith("e") and len(w) > _EN_MIN_STEM:
        w = w[:-1]
    return w


def _stem_ru(w: str) -> str:
    for ending in _RU_ENDINGS:
        if w.endswith(ending) and len(w) - len(ending) >= _RU_MIN_STEM:
            return w[: -len(ending)]
    return w


# --------------------------------------------------------------------------- parsing
@dataclass(frozen=True)
class PatternSpec:
    """One validated pattern of one code."""

    code: str
    index: int  # position in the code's pattern list
    kind: str  # "phrase" or "tokens"
    phrase: str = ""  # for phrases
    tokens: tuple[Mapping[str, Any], ...] = ()  # for token patterns

    @property
    def key(self) -> str:
        return f"{self.code}\x1f{self.index}"

    @property
    def display(self) -> str:
        if self.kind == "phrase":
            return self.phrase
        return json.dumps(list(self.tokens), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class PatternMatch:
    """One pattern found in a text (character offsets, end exclusive)."""

    code: str
    pattern: str
    kind: str  # "phrase" or "tokens"
    start: int
    end: int
    matched_text: str
    inflected: bool = False  # found through the crude stem, not the exact phrase

    @property
    def reason(self) -> str:
        how = "phrase, inflected form" if self.inflected else self.kind
        return f"pattern '{self.pattern}' ({how}) matched '{self.matched_text}'"


def parse_patterns(codebook: Codebook) -> list[PatternSpec]:
    """Validate every code's patterns; raise one CodebookError listing all problems."""
    specs: list[PatternSpec] = []
    problems: list[Problem] = []
    for code in codebook.codes.values():
        for i, raw in enumerate(code.patterns):
            where = f"codes[{code.id}].patterns[{i}]"
            if isinstance(raw, Mapping) and set(raw) == {"phrase"}:
                raw = raw["phrase"]
            if isinstance(raw, str):
                if raw.strip():
                    specs.append(PatternSpec(code.id, i, "phrase", phrase=raw.strip()))
                else:
                    problems.append(
                        Problem("Empty pattern.", field=where, hint="Remove it or write a phrase to look for.")
                    )
                continue
            if isinstance(raw, Mapping) and set(raw) == {"tokens"}:
                tokens = raw["tokens"]
                if isinstance(tokens, (list, tuple)) and tokens and all(isinstance(t, Mapping) for t in tokens):
                    specs.append(PatternSpec(code.id, i, "tokens", tokens=tuple(dict(t) for t in tokens)))
                    continue
                problems.append(
                    Problem(
                        f"'tokens' must be a non-empty list of token descriptions, got {tokens!r}.",
                        field=where,
                        hint='Example: tokens: [{LOWER: "no"}, {LOWER: "difference"}]',
                    )
                )
                continue
            problems.append(
                Problem(
                    f"Cannot read pattern {raw!r}.",
                    field=where,
                    hint="A pattern is a phrase (a string or {phrase: ...}) or a spaCy token pattern {tokens: [...]}.",
                )
            )
    if problems:
        raise CodebookError(problems)
    return specs


def patterns_fingerprint(codebook: Codebook) -> str:
    """A hash of every code's patterns: compiled matchers are cached under it."""
    payload = [[c.id, list(c.patterns)] for c in codebook.codes.values() if c.patterns]
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- matching
class CompiledPatterns:
    """The matchers for one codebook and one language."""

    def __init__(self, specs: list[PatternSpec], language: str) -> None:
        from spacy.errors import MatchPatternError
        from spacy.matcher import Matcher, PhraseMatcher

        self.language = language
        self.stemmed = language in STEM_LANGUAGES
        self.nlp = blank_pipeline(language)
        vocab = self.nlp.vocab
        self.specs = {vocab.strings.add(s.key): s for s in specs}
        self.exact = PhraseMatcher(vocab, attr="LOWER")
        self.by_stem = PhraseMatcher(vocab, attr="NORM")
        self.tokens = Matcher(vocab, validate=True)
        problems: list[Problem] = []
        for spec in specs:
            if spec.kind == "phrase":
                pattern_doc = self.make_doc(spec.phrase)
                self.exact.add(spec.key, [pattern_doc])
                if self.stemmed:
                    self.by_stem.add(spec.key, [pattern_doc])
            else:
                try:
                    self.tokens.add(spec.key, [[dict(t) for t in spec.tokens]])
                except (MatchPatternError, ValueError, TypeError) as exc:
                    problems.append(
                        Problem(
                            f"Invalid spaCy token pattern: {exc}".strip(),
                            field=f"codes[{spec.code}].patterns[{spec.index}]",
                            hint="See https://spacy.io/usage/rule-based-matching#adding-patterns",
                        )
                    )
        if problems:
            raise CodebookError(problems)

    def make_doc(self, text: str):
        """Tokenise with sentence boundaries and write the crude stem into each token's NORM."""
        doc = self.nlp(text)
        if self.stemmed:
            for token in doc:
                token.norm_ = crude_stem(token.text, self.language)
        return doc

    def match_doc(self, doc) -> list[PatternMatch]:
        """Matches in a document made by :meth:`make_doc`, exact before inflected, in text order."""
        found: dict[tuple[int, int, int], PatternMatch] = {}
        for matcher, inflected in ((self.exact, False), (self.tokens, False), (self.by_stem, True)):
            if len(matcher) == 0:
                continue
            for key, ts, te in matcher(doc):
                if (key, ts, te) in found:  # the exact phrase already matched here
                    continue
                spec = self.specs[key]
                span = doc[ts:te]
                found[(key, ts, te)] = PatternMatch(
                    spec.code,
                    spec.display,
                    spec.kind,
                    span.start_char,
                    span.end_char,
                    span.text,
                    inflected=inflected and span.text.lower() != spec.phrase.lower(),
                )
        return sorted(found.values(), key=lambda m: (m.start, m.end, m.code, m.pattern))

    def match_text(self, text: str) -> list[PatternMatch]:
        return self.match_doc(self.make_doc(text))

    def match_texts(self, texts: Iterable[str]) -> list[list[PatternMatch]]:
        return [self.match_text(t) for t in texts]


_CACHE: dict[tuple[str, str], CompiledPatterns] = {}
_CACHE_LIMIT = 32


def compile_patterns(codebook: Codebook, language: str = "en") -> CompiledPatterns:
    """Matchers for a codebook's patterns in one language, compiled once and cached."""
    key = (patterns_fingerprint(codebook), language)
    compiled = _CACHE.get(key)
    if compiled is None:
        compiled = CompiledPatterns(parse_patterns(codebook), language)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = compiled
    return compiled


def match_patterns(text: str, codebook: Codebook, language: str = "en") -> list[PatternMatch]:
    """Every pattern match in one text.

    >>> from qualcode.model import Code
    >>> cb = Codebook(codes={"transit": Code("transit", "Transit", patterns=("transit country",))})
    >>> [m.reason for m in match_patterns("Two transit countries.", cb)]
    ["pattern 'transit country' (phrase, inflected form) matched 'transit countries'"]
    """
    return compile_patterns(codebook, language).match_text(text)


def pattern_suggestions(
    data: AnalysisData, *, annotator: str | None = None, documents: Iterable[str] | None = None
) -> pd.DataFrame:
    """Suggest codes for sentences that contain one of the code's patterns.

    One row per (document, sentence, code): ``start``/``end`` span the sentence(s) the
    match sits in, ``matched_text``/``match_start``/``match_end`` the first match,
    ``reason`` explains every pattern that matched there, ``source`` is ``"pattern"``
    and ``score`` 1.0.  A suggestion is dropped when the annotator (any annotator when
    ``annotator`` is None) already has a coding of that code overlapping the sentence.
    Rows follow document order, then position, then codebook order.
    """
    codebook = data.codebook
    if not any(c.patterns for c in codebook.codes.values()):
        return pd.DataFrame(columns=SUGGESTION_COLUMNS)
    langs = document_languages(data)
    parts = document_participants(data)
    wanted = list(data.texts) if documents is None else [d for d in documents if d in data.texts]
    existing = annotator_codings(data, annotator)
    code_order = {cid: i for i, cid in enumerate(codebook.codes)}
    units = unit_table(data, "sentence", wanted)
    rows: list[dict[str, Any]] = []
    for doc_name in wanted:
        text = data.texts[doc_name]
        matches = compile_patterns(codebook, langs.get(doc_name, "en")).match_text(text)
        if not matches:
            continue
        doc_units = units.loc[units["document"] == doc_name]
        spans = list(zip(doc_units["start"].tolist(), doc_units["end"].tolist()))
        mine = existing.loc[existing["document"] == doc_name]
        taken = list(zip(mine["code"].tolist(), mine["start"].tolist(), mine["end"].tolist()))
        merged: dict[tuple[int, int, str], dict[str, Any]] = {}
        for m in matches:
            hit = [(s, e) for s, e in spans if s < m.end and e > m.start]
            start, end = (min(s for s, _ in hit), max(e for _, e in hit)) if hit else (m.start, m.end)
            if any(c == m.code and s < end and e > start for c, s, e in taken):
                continue
            row = merged.get((start, end, m.code))
            if row is None:
                merged[(start, end, m.code)] = {
                    "document": doc_name,
                    "participant": parts.get(doc_name),
                    "start": start,
                    "end": end,
                    "matched_text": m.matched_text,
                    "code": m.code,
                    "code_label": codebook.codes[m.code].label,
                    "reason": m.reason,
                    "source": "pattern",
                    "score": 1.0,
                    "match_start": m.start,
                    "match_end": m.end,
                    "text": text[start:end],
                }
            elif m.reason not in row["reason"]:
                row["reason"] += "; " + m.reason
        rows.extend(sorted(merged.values(), key=lambda r: (r["start"], r["end"], code_order[r["code"]])))
    out = pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)
    for col in ("start", "end", "match_start", "match_end"):
        out[col] = out[col].astype("int64")
    out["score"] = out["score"].astype("float64")
    return out


__all__ = [
    "STEM_LANGUAGES",
    "SUGGESTION_COLUMNS",
    "crude_stem",
    "PatternSpec",
    "PatternMatch",
    "parse_patterns",
    "patterns_fingerprint",
    "CompiledPatterns",
    "compile_patterns",
    "match_patterns",
    "pattern_suggestions",
]
