"""Units of analysis (sentences or paragraphs) and the codes that people gave them.

Every assistant works on *units*: spans of a document that a suggestion would cover.
Units come from ``data.segments`` of the requested kind.  A document without such
segments is split here: sentences by ``qualcode.segment`` when that module is present,
otherwise by spaCy's rule-based sentencizer; paragraphs at blank lines.

A unit *carries* a code when a coding of that code overlaps it by at least half of the
shorter of the two spans (``2 * overlap >= min(len(unit), len(coding))``).  This keeps a
coding that spills one character into the next sentence from labelling that sentence,
while a long coding labels every sentence it covers and a short quote labels the
sentence it sits in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import pandas as pd

from ..errors import Problem, QualcodeError, did_you_mean, valid_list
from ..frames import AnalysisData
from ..model import UNCATEGORISED, Codebook
from ..segment import segment
from ..vocabulary import SUGGESTION_UNITS

UNIT_KINDS = SUGGESTION_UNITS
UNIT_COLUMNS = ["document", "participant", "language", "start", "end", "text"]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def check_unit(unit: str) -> None:
    """Raise a QualcodeError naming the valid unit kinds when ``unit`` is not one."""
    if unit not in UNIT_KINDS:
        hint = did_you_mean(unit, UNIT_KINDS) or f"Use one of {valid_list(UNIT_KINDS)}."
        raise QualcodeError(Problem(f"Unknown unit '{unit}'.", field="unit", hint=hint))


@lru_cache(maxsize=8)
def blank_pipeline(language: str):
    """A blank spaCy pipeline with a sentencizer (no trained models are available).

    Languages spaCy does not know fall back to the multi-language ``xx`` tokenizer.
    """
    import spacy

    try:
        nlp = spacy.blank(language or "xx")
    except (ImportError, KeyError, ValueError, OSError):  # unknown language code
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink a span to exclude surrounding whitespace; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_units(text: str, unit: str, language: str = "en") -> list[tuple[int, int]]:
    """Split a text into sentence or paragraph spans (trimmed, non-empty).

    >>> split_units("One here. Two there.\\n\\nThree.", "paragraph")
    [(0, 20), (22, 28)]
    >>> split_units("One here. Two there.", "sentence")
    [(0, 9), (10, 20)]
    """
    check_unit(unit)
    spans: list[tuple[int, int]] = []
    if unit == "paragraph":
        pos = 0
        for m in _PARAGRAPH_BREAK.finditer(text):
            spans.append((pos, m.start()))
            pos = m.end()
        spans.append((pos, len(text)))
    else:
        spans = _sentence_spans(text, language)
    return [t for s, e in spans if (t := _trimmed(text, s, e)) is not None]


def _sentence_spans(text: str, language: str) -> list[tuple[int, int]]:
    found = [(s.start, s.end) for s in segment(text, language) if s.kind == "sentence"]
    if found:
        return found
    doc = blank_pipeline(language)(text)
    return [(s.start_char, s.end_char) for s in doc.sents]


def document_languages(data: AnalysisData) -> dict[str, str]:
    """Document name -> language code ("en" when unknown)."""
    langs: dict[str, str] = {}
    for row in data.documents.itertuples(index=False):
        lang = row.language if isinstance(row.language, str) and row.language else "en"
        langs[str(row.document)] = lang
    return langs


def document_participants(data: AnalysisData) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for row in data.documents.itertuples(index=False):
        out[str(row.document)] = None if pd.isna(row.participant) else str(row.participant)
    return out


def unit_table(data: AnalysisData, unit: str = "sentence", documents: Iterable[str] | None = None) -> pd.DataFrame:
    """Every unit of the requested kind: document, participant, language, start, end, text."""
    check_unit(unit)
    langs = document_languages(data)
    parts = document_participants(data)
    wanted = list(data.texts) if documents is None else [d for d in documents if d in data.texts]
    segs = data.segments
    segs = segs.loc[segs["kind"] == unit] if len(segs) else segs
    by_doc = {str(d): g for d, g in segs.groupby("document", sort=False)} if len(segs) else {}
    rows = []
    for doc in wanted:
        text = data.texts[doc]
        if doc in by_doc:
            g = by_doc[doc].sort_values(["start", "end"])
            spans = [(int(s), int(e)) for s, e in zip(g["start"], g["end"])]
            spans = [t for s, e in spans if (t := _trimmed(text, s, e)) is not None]
        else:
            spans = split_units(text, unit, langs.get(doc, "en"))
        for s, e in spans:
            rows.append(
                {
                    "document": doc,
                    "participant": parts.get(doc),
                    "language": langs.get(doc, "en"),
                    "start": s,
                    "end": e,
                    "text": text[s:e],
                }
            )
    table = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    table["start"] = table["start"].astype("int64")
    table["end"] = table["end"].astype("int64")
    return table


def carries(unit_start: int, unit_end: int, coding_start: int, coding_end: int) -> bool:
    """Whether a coding labels a unit (overlap of at least half the shorter span).

    >>> carries(0, 10, 9, 30)   # spills one character into the unit
    False
    >>> carries(0, 10, 2, 5)    # a short quote inside the unit
    True
    """
    overlap = min(unit_end, coding_end) - max(unit_start, coding_start)
    if overlap <= 0:
        return False
    return 2 * overlap >= min(unit_end - unit_start, coding_end - coding_start)


def unit_codes(units: pd.DataFrame, codings: pd.DataFrame, codebook: Codebook) -> list[frozenset[str]]:
    """For each unit (row of :func:`unit_table`), the set of known code ids it carries."""
    by_doc: dict[str, list[tuple[int, int, str]]] = {}
    for c in codings.itertuples(index=False):
        if c.code in codebook.codes:
            by_doc.setdefault(str(c.document), []).append((int(c.start), int(c.end), str(c.code)))
    out: list[frozenset[str]] = []
    for u in units.itertuples(index=False):
        found = {code for s, e, code in by_doc.get(u.document, ()) if carries(u.start, u.end, s, e)}
        out.append(frozenset(found))
    return out


def theme_of(codebook: Codebook, code_id: str, level: str = "main") -> str:
    """The code's main theme (``level="main"``) or its own (sub-)theme (``"sub"``)."""
    code = codebook.codes[code_id]
    if level == "sub":
        return code.theme or UNCATEGORISED
    return codebook.main_theme(code_id) or UNCATEGORISED


def theme_label(codebook: Codebook, theme_id: str) -> str:
    theme = codebook.themes.get(theme_id)
    return theme.label if theme is not None else theme_id


def annotator_codings(data: AnalysisData, annotators: Iterable[str] | str | None) -> pd.DataFrame:
    """Codings of the given annotator(s); all codings when None."""
    if annotators is None:
        return data.codings
    names = [annotators] if isinstance(annotators, str) else list(annotators)
    return data.codings.loc[data.codings["annotator"].isin(names)]


__all__ = [
    "UNIT_KINDS",
    "UNIT_COLUMNS",
    "check_unit",
    "blank_pipeline",
    "split_units",
    "unit_table",
    "carries",
    "unit_codes",
    "theme_of",
    "theme_label",
    "annotator_codings",
    "document_languages",
    "document_participants",
]
