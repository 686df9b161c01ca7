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

:func:`reanchor` maps each coding of an old version of a text onto a new version and returns
one :class:`Placement` per coding, in input order.  A coding whose characters the diff kept
(a line diff refined by a character diff) moves with them.  Otherwise its text is looked up
again (exact, normalised, then fuzzy) and accepted only where the surrounding text matches,
or, for a long passage that occurred once and occurs once, anywhere.  A short or repeated quote
("Kazakhstan") whose surroundings changed is detached rather than moved to another occurrence:
detached codings are kept and listed by ``qualcode status``, never deleted.
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

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


def _fuzzy(
    text: str, quote: str, near: int | None, threshold: float, *, local_only: bool = False
) -> tuple[int, int] | None:
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
    if not local_only:
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
# A coding whose text is no longer at its mapped place is moved only when the new place is
# certain: the quote's surroundings match (up to CONTEXT_CHARS on each side, CONTEXT_MATCH
# similar, see _context_score), or the quote is long (DISTINCTIVE_CHARS) and occurs exactly
# once in both texts.  A short or repeated quote ("Kazakhstan") is never moved to another occurrence
# just because the word is there: it is detached instead, for the user to re-place.
CONTEXT_CHARS = 40
CONTEXT_MATCH = 70.0
DISTINCTIVE_CHARS = 20
CHAR_DIFF_LIMIT = 20_000


class _OffsetMap:
    """Maps offsets of an old text to a new one: a line diff, refined inside each changed block
    of lines by a character diff (blocks up to CHAR_DIFF_LIMIT characters)."""

    def __init__(self, old: str, new: str) -> None:
        self._old, self._new = old, new
        old_lines = old.splitlines(keepends=True)
        new_lines = new.splitlines(keepends=True)
        self._old_starts = _line_starts(old_lines)
        self._new_starts = _line_starts(new_lines)
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        # Pure insertions cover no old line; leave them out so the lookup below is unambiguous.
        self._opcodes = [op for op in matcher.get_opcodes() if op[2] > op[1]] or [("equal", 0, 0, 0, 0)]
        self._opcode_starts = [op[1] for op in self._opcodes]
        self._char_diffs: dict[int, list[tuple[str, int, int, int, int]]] = {}

    def map(self, offset: int) -> tuple[int, bool]:
        """``(new offset, exact)``: exact when the diff kept the character at ``offset``."""
        line = bisect.bisect_right(self._old_starts, offset) - 1
        line = max(0, min(line, len(self._old_starts) - 2))
        k = max(bisect.bisect_right(self._opcode_starts, line) - 1, 0)
        tag, i1, i2, j1, j2 = self._opcodes[k]
        within = offset - self._old_starts[line]
        if tag == "equal":
            return self._new_starts[j1 + line - i1] + within, True
        old_lo, old_hi = self._old_starts[i1], self._old_starts[i2]
        new_lo, new_hi = self._new_starts[j1], self._new_starts[j2]
        if tag == "replace" and max(old_hi - old_lo, new_hi - new_lo) <= CHAR_DIFF_LIMIT:
            if k not in self._char_diffs:
                ops = Indel.opcodes(self._old[old_lo:old_hi], self._new[new_lo:new_hi])
                self._char_diffs[k] = [
                    (op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end)
                    for op in ops
                    if op.src_end > op.src_start
                ]
            ops_k = self._char_diffs[k]
            at = offset - old_lo
            char_op = next((op for op in ops_k if op[1] <= at < op[2]), None)
            if char_op is not None:
                ctag, c1, c2, d1, d2 = char_op
                if ctag == "equal":
                    return new_lo + d1 + at - c1, True
                return new_lo + d1 + int((at - c1) / (c2 - c1) * (d2 - d1)), False
        # Changed lines: place proportionally inside the replacement block.
        fraction = (offset - old_lo) / ((old_hi - old_lo) or 1)
        return new_lo + int(fraction * (new_hi - new_lo)), False

    def map_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The new span of old ``[start, end)`` when the diff kept every character of it, in one
        piece; else None."""
        new_start, exact_start = self.map(start)
        new_last, exact_last = self.map(end - 1)
        if exact_start and exact_last and new_last - new_start == end - 1 - start:
            if self._new[new_start : new_last + 1] == self._old[start:end]:
                return new_start, new_last + 1
        return None


def _line_starts(lines: Sequence[str]) -> list[int]:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where :func:`reanchor` put one coding: ``coding`` is the moved copy, or None when the
    coding is detached (``reason`` then says why, for ``qualcode status``)."""

    original: Coding
    coding: Coding | None
    reason: str = ""

    @property
    def detached(self) -> bool:
        return self.coding is None


def _context_score(old_text: str, old_span: tuple[int, int], new_text: str, new_span: tuple[int, int]) -> float:
    """How alike the surroundings of two spans are (0-100): the mean over both sides, each side
    compared (normalised) on its nearest 12, 24 and CONTEXT_CHARS characters, so the words right
    next to the quote count most.  An edit on one side still leaves the other side matching; at
    another occurrence of the same word neither side does."""
    sides = (
        (
            old_text[max(0, old_span[0] - CONTEXT_CHARS) : old_span[0]],
            new_text[max(0, new_span[0] - CONTEXT_CHARS) : new_span[0]],
            True,
        ),
        (
            old_text[old_span[1] : old_span[1] + CONTEXT_CHARS],
            new_text[new_span[1] : new_span[1] + CONTEXT_CHARS],
            False,
        ),
    )
    total = 0.0
    for old_part, new_part, before in sides:
        a, b = _normalise(old_part).text, _normalise(new_part).text
        scores = []
        for width in (12, 24, CONTEXT_CHARS):
            x, y = (a[-width:], b[-width:]) if before else (a[:width], b[:width])
            x, y = x.strip(), y.strip()
            scores.append(100.0 if not x and not y else fuzz.ratio(x, y) if x and y else 0.0)
        total += sum(scores) / len(scores)
    return total / 2


def _candidates(new_text: str, quote: str, near: int | None, threshold: float) -> tuple[list[tuple[int, int]], bool]:
    """Every place ``quote`` occurs in ``new_text`` (exact, else normalised), else the fuzzy
    best match near ``near`` and in the whole text; second item: True when fuzzy."""
    exact = _occurrences(new_text, quote)
    if exact:
        return [(p, p + len(quote)) for p in exact], False
    norm_text = _normalise(new_text)
    norm_quote = _normalise(quote).text.strip()
    if not norm_quote:
        return [], False
    found = _occurrences(norm_text.text, norm_quote)
    if found:
        return [norm_text.to_original(p, p + len(norm_quote)) for p in found], False
    if len(norm_quote) < MIN_FUZZY_CHARS:
        return [], False
    spans: list[tuple[int, int]] = []
    for hint in (_to_normalised(norm_text, near), None) if near is not None else (None,):
        span = _fuzzy(norm_text.text, norm_quote, hint, threshold, local_only=hint is not None)
        if span is not None:
            original = norm_text.to_original(*span)
            if original not in spans:
                spans.append(original)
    return spans, True


def _place(
    old_text: str, new_text: str, coding: Coding, offsets: _OffsetMap, threshold: float
) -> tuple[tuple[int, int] | None, str]:
    in_range = 0 <= coding.start < coding.end <= len(old_text)
    quote = old_text[coding.start : coding.end] if in_range else (coding.quote or "")
    if not quote.strip():
        return None, "the coding covers no text"
    expected: int | None = None
    if in_range:
        kept = offsets.map_span(coding.start, coding.end)
        if kept is not None:
            return kept, ""  # the diff kept the coded text where it was
        expected = offsets.map(coding.start)[0]
    candidates, fuzzy = _candidates(new_text, quote, expected, threshold)
    if not candidates:
        return None, "the quoted text is no longer in the re-imported transcript"
    if not fuzzy and len(candidates) == 1 and len(quote.strip()) >= DISTINCTIVE_CHARS and old_text.count(quote) == 1:
        return candidates[0], ""  # a long passage found once, as it was once: the same passage, moved
    if not in_range:
        return None, "the coding's old position is unknown and its quote is short or repeated"
    old_span = (coding.start, coding.end)
    scored = sorted(
        ((_context_score(old_text, old_span, new_text, span), span) for span in candidates),
        key=lambda item: (-item[0], abs(item[1][0] - (expected or 0))),
    )
    best_score, best = scored[0]
    if best_score < CONTEXT_MATCH:
        return None, (
            f"the text around '{_short(quote)}' changed, and where it still occurs the surroundings differ: "
            "not moved to another occurrence; re-place it by hand"
        )
    if len(scored) > 1 and scored[1][0] >= CONTEXT_MATCH and scored[1][0] > best_score - 10:
        return None, f"'{_short(quote)}' now occurs in {len(scored)} similar places: not guessed; re-place it by hand"
    return best, ""


def _short(quote: str, limit: int = 40) -> str:
    quote = " ".join(quote.split())
    return quote if len(quote) <= limit else quote[: limit - 1] + "…"


def reanchor(
    old_text: str, new_text: str, codings: Sequence[Coding], *, threshold: float = DEFAULT_THRESHOLD
) -> list[Placement]:
    """Move codings from ``old_text`` to ``new_text``: one :class:`Placement` per coding, in order.

    A moved coding is a copy with new ``start``/``end`` and ``quote`` (the new covered text).
    A coding is moved when its lines are unchanged, or when its text is found again where the
    surrounding text matches (or, for a long passage that occurs exactly once, anywhere); a
    short or repeated quote whose surroundings changed is detached, never moved to another
    occurrence.  Detached codings are for the user to re-place (``qualcode status``).

    >>> c = Coding("doc", 10, 15, "trust", "ann")
    >>> [p] = reanchor("We spoke. Trust matters.", "Hello. We spoke. Trust matters.", [c])
    >>> (p.coding.start, p.coding.end, p.coding.quote), p.detached
    ((17, 22, 'Trust'), False)
    """
    if old_text == new_text:
        return [Placement(c, dataclasses.replace(c, quote=old_text[c.start : c.end])) for c in codings]
    offsets = _OffsetMap(old_text, new_text)
    placements: list[Placement] = []
    for coding in codings:
        span, reason = _place(old_text, new_text, coding, offsets, threshold)
        if span is None:
            placements.append(Placement(coding, None, reason))
        else:
            moved = dataclasses.replace(coding, start=span[0], end=span[1], quote=new_text[span[0] : span[1]])
            placements.append(Placement(coding, moved))
    return placements


__all__ = [
    "anchor_quote",
    "reanchor",
    "Placement",
    "DEFAULT_THRESHOLD",
    "MIN_FUZZY_CHARS",
    "CONTEXT_CHARS",
    "CONTEXT_MATCH",
    "DISTINCTIVE_CHARS",
]
