"""Character positions as REFI-QDA tools really count them, and which counting a file uses.

The standard counts ``startPosition``/``endPosition`` in Unicode code points of the plain
text, end exclusive.  Tools differ in two ways:

* **units**: NVivo (a .NET program) counts UTF-16 code units, so every character outside
  the Basic Multilingual Plane (emoji, some CJK, historic scripts) counts as two;
* **line ends**: a CRLF counts as two characters (NVivo, and every tool that counts the
  text file it ships) or as one (QualCoder's importer says so of ATLAS.ti).

qualcode keeps texts with LF line ends, positions in code points.  :class:`Counting`
names one way of counting; :class:`PositionMap` converts a raw text's positions counted
that way into positions in the LF text; :func:`detect_counting` finds the counting a
source's selections use from the evidence the file carries (the tool named in ``origin``,
selections whose ``name`` is the quoted text, selections starting and ending on word
boundaries), or reports that none fits.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Counting:
    """One way of counting positions: ``unit`` "codepoints" or "utf16", CRLF as ``crlf`` units."""

    unit: str = "codepoints"
    crlf: int = 2

    @property
    def label(self) -> str:
        what = "UTF-16 code units" if self.unit == "utf16" else "Unicode code points"
        return f"{what}, CRLF as {self.crlf}"


STANDARD = Counting("codepoints", 2)
UTF16 = Counting("utf16", 2)
CANDIDATES = (STANDARD, UTF16, Counting("codepoints", 1), Counting("utf16", 1))
EXPORT_OFFSETS = ("codepoints", "utf16")


def normalise_newlines(raw: str) -> str:
    """LF line ends (CRLF and lone CR become LF), as qualcode stores texts."""
    return raw.replace("\r\n", "\n").replace("\r", "\n")


class PositionMap:
    """Positions in ``raw`` counted by ``counting`` → code-point positions in the LF text.

    A position is *not* mapped (None) when it lies beyond the text or inside a character
    (the second half of a UTF-16 surrogate pair).

    >>> m = PositionMap("a😀b\\r\\nc", UTF16)
    >>> [m.to_text(p) for p in range(7)]
    [0, 1, None, 2, 3, 3, 4]
    >>> PositionMap("a😀b\\r\\nc", Counting("codepoints", 1)).to_text(4)
    4
    """

    def __init__(self, raw: str, counting: Counting) -> None:
        self.counting = counting
        starts: list[int] = []  # unit offset at which each raw character starts
        texts: list[int] = []  # its position in the LF text
        unit = text = 0
        crlf_units = counting.crlf
        for i, ch in enumerate(raw):
            starts.append(unit)
            texts.append(text)
            if ch == "\r" and raw[i + 1 : i + 2] == "\n":
                unit += crlf_units - 1  # the LF that follows counts the remaining unit
                continue  # removed from the LF text
            unit += 2 if counting.unit == "utf16" and ord(ch) > 0xFFFF else 1
            text += 1
        starts.append(unit)
        texts.append(text)
        self._starts = starts
        self._texts = texts
        self.length = unit

    def to_text(self, position: int) -> int | None:
        i = bisect.bisect_left(self._starts, position)
        if i >= len(self._starts) or self._starts[i] != position:
            return None
        return self._texts[i]


def to_units(text: str, offsets: str) -> list[int] | None:
    """Per code-point position of ``text`` (0..len), its position counted as ``offsets``
    ("codepoints": None, i.e. identity; "utf16": UTF-16 code units)."""
    if offsets == "codepoints" or text.isascii():
        return None
    result = [0] * (len(text) + 1)
    unit = 0
    for i, ch in enumerate(text):
        result[i] = unit
        unit += 2 if ord(ch) > 0xFFFF else 1
    result[len(text)] = unit
    return result


# --------------------------------------------------------------------------- detection
_SPACE = re.compile(r"\s+")
ELLIPSES = ("…", "...")


# Characters XML 1.0 cannot hold: a writer drops them from a selection's name, not from the text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", _NOT_XML.sub("", text)).strip()


def name_matches(name: str, quote: str) -> bool:
    """Whether a selection's ``name`` is its quoted text (whitespace-insensitive; a name
    ending in an ellipsis is the quote's beginning), as ATLAS.ti, MAXQDA and qualcode write it.

    >>> name_matches("Oh, that was…", "Oh, that was great."), name_matches("Node 1", "Hello")
    (True, False)
    """
    wanted, got = _squash(name), _squash(quote)
    if not wanted:
        return False
    for ellipsis in ELLIPSES:
        if wanted.endswith(ellipsis) and len(wanted) > len(ellipsis) + 2:
            head = wanted[: -len(ellipsis)].rstrip()
            return got.startswith(head)
    return wanted == got


def _boundary(text: str, position: int) -> bool:
    if position <= 0 or position >= len(text):
        return True
    return not (text[position - 1].isalnum() and text[position].isalnum())


@dataclass
class Detection:
    """The counting a source's selections use (None: none fits) and the evidence for it."""

    counting: Counting | None
    reason: str = ""
    # indices of the selections whose place depends on the counting (all left out if counting is None)
    uncertain: list[int] = field(default_factory=list)


NAME_SHARE = 0.8  # share of quote-like names that must match the chosen counting
BOUNDARY_SHARE = 0.75  # share of selection ends that must lie on word boundaries


def detect_counting(raw: str, selections: Sequence[tuple[int, int, str]], prior: Sequence[Counting]) -> Detection:
    """Which counting puts ``selections`` ((start, end, name) as written) on their text.

    ``prior`` orders the candidates (the tool's known habit first; ties go to the earlier); a
    single candidate is taken as stated (qualcode's own files say how they count).
    Only candidates that differ on this text are weighed, and only on the selections they
    place differently; names that read as the quote decide first, word boundaries second.
    """
    candidates = [_simplest(c, raw) for c in _distinct_candidates(raw, prior)]
    if len(candidates) == 1:
        return Detection(candidates[0])
    maps = {c: PositionMap(raw, c) for c in candidates}
    text = normalise_newlines(raw)
    placed = {c: [_place(maps[c], s, e) for s, e, _ in selections] for c in candidates}
    uncertain = [i for i in range(len(selections)) if len({placed[c][i] for c in candidates}) > 1]
    if not uncertain:
        return Detection(candidates[0])
    names = {
        c: [i for i in uncertain if _named(placed[c][i], selections[i][2], text)] for c in candidates
    }  # selections whose name is the quote under c
    named = {i for c in candidates for i in names[c]}
    exact = {c: sum(_named_exactly(placed[c][i], selections[i][2], text) for i in names[c]) for c in candidates}
    hits = {c: sum(_ends_on_boundaries(placed[c][i], text) for i in uncertain) for c in candidates}
    total = 2 * len(uncertain)
    # names first (exact before whitespace-insensitive), word boundaries next; max() keeps
    # the earlier (prior) candidate on ties
    best = max(candidates, key=lambda c: (len(names[c]), exact[c], hits[c]))
    if named:
        share = len(names[best]) / len(named)
        if share >= NAME_SHARE:
            return Detection(best, f"{len(names[best])} of {len(named)} selection names match the text", uncertain)
        return Detection(
            None, f"at most {len(names[best])} of {len(named)} selection names match the text either way", uncertain
        )
    if hits[best] == 0:  # no evidence either way (e.g. selections of a line break): the file's own habit
        return Detection(candidates[0], "no selection tells the countings apart", uncertain)
    if hits[best] / total >= BOUNDARY_SHARE and all(placed[best][i] is not None for i in uncertain):
        return Detection(best, f"{hits[best]} of {total} selection ends lie on word boundaries", uncertain)
    return Detection(None, f"at most {hits[best]} of {total} selection ends lie on word boundaries", uncertain)


def _distinct_candidates(raw: str, prior: Sequence[Counting]) -> list[Counting]:
    """The candidates in ``prior`` order, without those that count this text the same way."""
    astral = any(ord(ch) > 0xFFFF for ch in raw)
    crlf = "\r\n" in raw
    result: list[Counting] = []
    seen: set[tuple[str, int]] = set()
    others = [c for c in CANDIDATES if c not in prior] if len(prior) > 1 else []  # one: the file says so
    for c in list(prior) + others:
        key = (c.unit if astral else "codepoints", c.crlf if crlf else 2)
        if key not in seen:
            seen.add(key)
            result.append(c)
    return result


def _simplest(counting: Counting, raw: str) -> Counting:
    """The plainest counting that counts ``raw`` the same way (UTF-16 without astral
    characters is code points; CRLF as one without CRLFs is CRLF as two), for messages."""
    unit = counting.unit if any(ord(ch) > 0xFFFF for ch in raw) else "codepoints"
    return Counting(unit, counting.crlf if "\r\n" in raw else 2)


def _place(positions: PositionMap, start: int, end: int) -> tuple[int, int] | None:
    s, e = positions.to_text(start), positions.to_text(end)
    if s is None or e is None or not s < e:
        return None
    return s, e


def _named(span: tuple[int, int] | None, name: str, text: str) -> bool:
    return span is not None and name_matches(name, text[span[0] : span[1]])


def _named_exactly(span: tuple[int, int] | None, name: str, text: str) -> bool:
    return span is not None and _NOT_XML.sub("", text[span[0] : span[1]]) == name


def _ends_on_boundaries(span: tuple[int, int] | None, text: str) -> int:
    """Selection ends on word boundaries (0-2); a span of only whitespace is no evidence."""
    if span is None or not text[span[0] : span[1]].strip():
        return 0
    return int(_boundary(text, span[0])) + int(_boundary(text, span[1]))


def prior_for(origin: str) -> list[Counting]:
    """Candidate order for a file written by ``origin`` (the Project's origin attribute): the
    tool's known habit first, so that it wins when the evidence cannot tell the candidates apart.

    NVivo counts UTF-16 code units with CRLF as two (QualCoder issue #37 and its importer's
    "Windows NVivo export" handling); QualCoder's importer says ATLAS.ti counts CRLF as one
    (``load_text_source`` in QualCoder's refi.py).  Everyone else: the standard.
    """
    name = origin.lower()
    if name.startswith("qualcode"):  # qualcode says how it counted (see writer.ORIGIN)
        return [UTF16] if "utf-16" in name else [STANDARD]
    if "nvivo" in name:
        return [UTF16, STANDARD]
    if "atlas" in name:
        return [Counting("codepoints", 1), STANDARD]
    return [STANDARD, UTF16]


__all__ = [
    "CANDIDATES",
    "Counting",
    "Detection",
    "EXPORT_OFFSETS",
    "PositionMap",
    "STANDARD",
    "UTF16",
    "detect_counting",
    "name_matches",
    "normalise_newlines",
    "prior_for",
    "to_units",
]
