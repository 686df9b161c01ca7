"""Find quoted text in a transcript, and move codings when a transcript is edited.

:func:`anchor_quote` looks for a quote in three passes, stopping at the first that finds it:

1. exact substring (if it occurs several times: the occurrence nearest ``near``);
2. the same after normalising both sides: whitespace runs → one space, curly/angle quote
   marks → ``"``/``'``, dashes → ``-``, lower case;
3. fuzzy: :func:`rapidfuzz.fuzz.partial_ratio_alignment` on the normalised texts locates
   the best passage (first in a window around ``near``), its ends are moved to the word
   boundaries that best reproduce the quote, and it is accepted if
   :func:`rapidfuzz.fuzz.ratio` of quote and span is ≥ ``threshold`` (default 90).  Quotes shorter than ``MIN_FUZZY_CHARS`` are not fuzzy-matched.

Offsets are code points into the (original, un-normalised) text, end exclusive.

:func:`reanchor` maps each coding of an old version of a text onto a new version: it takes
the coded text ``old_text[start:end]``, maps the old offset through a line diff to get the
expected position, and anchors the quote there (exact, normalised, then fuzzy).
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from .model import Coding

DEFAULT_THRESHOLD = 90.0
MIN_FUZZY_CHARS = 8

_QUOTES = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‟": '"',
        "″": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‹": "'",
        "›": "'",
        "‛": "'",
        "`": "'",
        "´": "'",
        "′": "'",
        "–": "-",
        "—": "-",
        "‑": "-",
        "‒": "-",
        "−": "-",
        "\u00a0": " ",
    }
)
_WHITESPACE = re.compile(r"\s+")
_WORD_CHAR = re.compile(r"\w")


@dataclasses.dataclass(frozen=True)
class _Normalised:
    """A normalised copy of a text and, per normalised char, its original offset."""

    text: str
    origin: tuple[int, ...]  # origin[i] = offset in the original of normalised char i
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


def _normalise_chars(text: str) -> tuple[str, list[int]]:
    translated = text.translate(_QUOTES)
    lowered = translated.lower()
    if len(lowered) == len(translated):
        return lowered, list(range(len(text)))
    # Rare: a character whose lower case is longer (e.g. "İ"); map char by char.
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(translated):
        low = ch.lower()
        chars.append(low)
        origin.extend([i] * len(low))
    return "".join(chars), origin


@lru_cache(maxsize=8)
def _normalise(text: str) -> _Normalised:
    chars, char_origin = _normalise_chars(text)
    out: list[str] = []
    origin: list[int] = []
    pos = 0
    for m in _WHITESPACE.finditer(chars):
        out.append(chars[pos : m.start()])
        origin.extend(char_origin[pos : m.start()])
        out.append(" ")
        origin.append(char_origin[m.start()])
        pos = m.end()
    out.append(chars[pos:])
    origin.extend(char_origin[pos:])
    return _Normalised("".join(out), tuple(origin), len(text))


def _occurrences(text: str, needle: str) -> list[int]:
    found: list[int] = []
    pos = text.find(needle)
    while pos >= 0:
        found.append(pos)
        pos = text.find(needle, pos + 1)
    return found


def _nearest(positions: Sequence[int], near: int | None) -> int:
    if near is None or len(positions) == 1:
        return positions[0]
    return min(positions, key=lambda p: (abs(p - near), p))


def anchor_quote(
    text: str, quote: str, *, near: int | None = None, threshold: float = DEFAULT_THRESHOLD
) -> tuple[int, int] | None:
    """``(start, end)`` of ``quote`` in ``text``, or None if it cannot be found.

    >>> anchor_quote("We met. We met again.", "We met", near=10)
    (8, 14)
    >>> anchor_quote("He said “it  was fine”.", '"It was fine"')
    (8, 22)
    >>> anchor_quote("The budget was cut by the ministry in 2015.", "budget was cut by the ministy")
    (4, 34)
    """
    if not quote or not quote.strip() or not text:
        return None
    exact = _occurrences(text, quote)
    if exact:
        start = _nearest(exact, near)
        return start, start + len(quote)
    norm_text = _normalise(text)
    norm_quote = _normalise(quote).text.strip()
    if not norm_quote:
        return None
    found = _occurrences(norm_text.text, norm_quote)
    if found:
        near_norm = _to_normalised(norm_text, near)
        start = _nearest(found, near_norm)
        return norm_text.to_original(start, start + len(norm_quote))
    if len(norm_quote) < MIN_FUZZY_CHARS:
        return None
    span = _fuzzy(norm_text.text, norm_quote, _to_normalised(norm_text, near), threshold)
    if span is None:
        return None
    return norm_text.to_original(*span)


def _to_normalised(norm: _Normalised, near: int | None) -> int | None:
    if near is None:
        return None
    return bisect.bisect_left(norm.origin, near)


def _fuzzy(text: str, quote: str, near: int | None, threshold: float) -> tuple[int, int] | None:
    # partial_ratio compares windows as long as the quote, so a dropped or added word costs
    # it more than it costs the real span: locate with a looser cutoff, then score the
    # word-snapped span with fuzz.ratio against the threshold.
    locate_cutoff = max(50.0, threshold - 15)
    regions: list[tuple[int, str]] = []
    if near is not None:
        # Look near the expected place first so a repeated passage resolves to the right one.
        margin = 2 * len(quote) + 200
        lo = max(0, near - margin)
        regions.append((lo, text[lo : near + margin + len(quote)]))
    regions.append((0, text))
    for offset, region in regions:
        found = fuzz.partial_ratio_alignment(quote, region, score_cutoff=locate_cutoff)
        if found is None:
            continue
        start, end = _refine(text, quote, found.dest_start + offset, found.dest_end + offset)
        if fuzz.ratio(quote, text[start:end]) >= threshold:
            return start, end
    return None


def _word_boundaries(text: str, lo: int, hi: int) -> list[int]:
    """Offsets in [lo, hi] where a word starts or ends (or the text does)."""
    lo, hi = max(0, lo), min(len(text), hi)
    points = []
    for i in range(lo, hi + 1):
        before = i > 0 and bool(_WORD_CHAR.match(text[i - 1]))
        after = i < len(text) and bool(_WORD_CHAR.match(text[i]))
        if before != after or i in (0, len(text)):
            points.append(i)
    return points


def _refine(text: str, quote: str, start: int, end: int) -> tuple[int, int]:
    """Move the alignment's ends to the word boundaries that best reproduce ``quote``."""
    slack = max(3, len(quote) // 5)
    starts = [
        p for p in _word_boundaries(text, start - slack, start + slack) if p >= len(text) or not text[p].isspace()
    ] or [start]
    ends = [p for p in _word_boundaries(text, end - slack, end + slack) if p == 0 or not text[p - 1].isspace()] or [end]
    best: tuple[float, int, int] | None = None
    for s in starts:
        for e in ends:
            if e <= s:
                continue
            score = fuzz.ratio(quote, text[s:e])
            # Ties: prefer the span closest to the aligned one.
            key = (score, -abs(s - start) - abs(e - end))
            if best is None or key > (best[0], -abs(best[1] - start) - abs(best[2] - end)):
                best = (score, s, e)
    if best is None:
        return start, end
    return best[1], best[2]


# --------------------------------------------------------------------------- re-anchoring
class _OffsetMap:
    """Maps offsets of an old text to a new one through a line-level diff."""

    def __init__(self, old: str, new: str) -> None:
        old_lines = old.splitlines(keepends=True)
        new_lines = new.splitlines(keepends=True)
        self._old_starts = _line_starts(old_lines)
        self._new_starts = _line_starts(new_lines)
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        # Pure insertions cover no old line; leave them out so the lookup below is unambiguous.
        self._opcodes = [op for op in matcher.get_opcodes() if op[2] > op[1]] or [("equal", 0, 0, 0, 0)]
        self._opcode_starts = [op[1] for op in self._opcodes]

    def map(self, offset: int) -> int:
        line = bisect.bisect_right(self._old_starts, offset) - 1
        line = max(0, min(line, len(self._old_starts) - 2))
        k = bisect.bisect_right(self._opcode_starts, line) - 1
        tag, i1, i2, j1, j2 = self._opcodes[max(k, 0)]
        within = offset - self._old_starts[line]
        if tag == "equal":
            return self._new_starts[j1 + line - i1] + within
        # Changed lines: place proportionally inside the replacement block.
        old_span = self._old_starts[i2] - self._old_starts[i1] or 1
        new_span = self._new_starts[j2] - self._new_starts[j1]
        fraction = (offset - self._old_starts[i1]) / old_span
        return self._new_starts[j1] + int(fraction * new_span)


def _line_starts(lines: Sequence[str]) -> list[int]:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def reanchor(
    old_text: str, new_text: str, codings: list[Coding], *, threshold: float = DEFAULT_THRESHOLD
) -> tuple[list[Coding], list[Coding]]:
    """Move codings from ``old_text`` to ``new_text``: ``(anchored, detached)``.

    Anchored codings are copies with new ``start``/``end`` and ``quote`` (the new covered
    text); detached ones are returned unchanged, for the user to re-place or delete.

    >>> c = Coding("doc", 10, 15, "trust", "ann")
    >>> anchored, detached = reanchor("We spoke. Trust matters.", "Hello. We spoke. Trust matters.", [c])
    >>> [(a.start, a.end, a.quote) for a in anchored], detached
    ([(17, 22, 'Trust')], [])
    """
    if old_text == new_text:
        return [dataclasses.replace(c, quote=old_text[c.start : c.end]) for c in codings], []
    offsets = _OffsetMap(old_text, new_text)
    anchored: list[Coding] = []
    detached: list[Coding] = []
    for coding in codings:
        in_range = 0 <= coding.start < coding.end <= len(old_text)
        quote = old_text[coding.start : coding.end] if in_range else (coding.quote or "")
        expected = offsets.map(coding.start) if in_range else None
        span = None
        if expected is not None and new_text[expected : expected + len(quote)] == quote:
            span = (expected, expected + len(quote))
        elif quote.strip():
            span = anchor_quote(new_text, quote, near=expected, threshold=threshold)
        if span is None:
            detached.append(coding)
        else:
            anchored.append(dataclasses.replace(coding, start=span[0], end=span[1], quote=new_text[span[0] : span[1]]))
    return anchored, detached


__all__ = ["anchor_quote", "reanchor", "DEFAULT_THRESHOLD", "MIN_FUZZY_CHARS"]
