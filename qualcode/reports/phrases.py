"""Natural order and the thesis's phrases for who said it ("Six Experts (A,B,C,D,E,F)")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)
_LABEL_TAG = re.compile(r"^\s*(?P<noun>[^()]*?)\s*\((?P<tag>[^()]+)\)\s*$")


def natural_key(value: object) -> tuple:
    """Sort key that orders "P2" before "P10" and "A" before "B".

    >>> sorted(["P10", "P2", "A"], key=natural_key)
    ['A', 'P2', 'P10']
    """
    parts = re.split(r"(\d+)", str(value))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in parts if p)


def _natural_sorted(values: Iterable[object]) -> list[str]:
    return sorted({str(v) for v in values}, key=natural_key)


def _label_parts(label: str | None) -> tuple[str | None, str | None]:
    """("Expert", "A") for "Expert (A)"; (None, None) when the label has no "(tag)"."""
    if not label:
        return None, None
    m = _LABEL_TAG.match(str(label))
    if not m:
        return None, None
    return (m.group("noun") or None), m.group("tag").strip()


def _plural(noun: str) -> str:
    if noun.endswith("s"):
        return noun
    if noun.endswith("y") and not noun.endswith(("ay", "ey", "oy", "uy")):
        return noun[:-1] + "ies"
    return noun + "s"


def experts_phrase(
    ids: Iterable[str], labels: Mapping[str, str] | None = None, *, prose: bool = False, noun: str | None = None
) -> str:
    """The thesis notation for a set of participants.

    ``ids`` are participant ids (duplicates and order do not matter).  ``labels`` maps an
    id to its display label; when a label reads like ``"Expert (A)"`` the text in
    parentheses is used as the tag and the word before it as the noun, so ids need not be
    the letters printed in the thesis.  ``noun`` overrides the noun (default "Expert").

    Short form (tables, footnotes): ``Experts (A,B,F)``.

    >>> experts_phrase(["H", "F"])
    'Experts (F,H)'
    >>> experts_phrase(["C"])
    'Expert (C)'
    >>> experts_phrase([])
    'no Experts'
    >>> experts_phrase(["e1", "e2"], labels={"e1": "Expert (A)", "e2": "Expert (B)"})
    'Experts (A,B)'

    Prose form (running text), with number words up to twelve:

    >>> experts_phrase(["C"], prose=True)
    'Expert (C)'
    >>> experts_phrase(["H", "F"], prose=True)
    'Both Experts (F) and (H)'
    >>> experts_phrase("FEDCBA", prose=True)
    'six Experts (A,B,C,D,E,F)'
    >>> experts_phrase([f"P{i}" for i in range(1, 14)], prose=True, noun="Participant")
    '13 Participants (P1,P2,P3,P4,P5,P6,P7,P8,P9,P10,P11,P12,P13)'
    >>> experts_phrase([], prose=True)
    'no Experts'
    """
    labels = labels or {}
    tags: list[str] = []
    nouns: set[str] = set()
    for pid in {str(i) for i in ids}:
        label_noun, tag = _label_parts(labels.get(pid))
        tags.append(tag or pid)
        if label_noun:
            nouns.add(label_noun)
    tags = sorted(set(tags), key=natural_key)
    return _phrase_from_tags(tags, noun or (nouns.pop() if len(nouns) == 1 else "Expert"), prose)


def _phrase_from_tags(tags: Sequence[str], singular: str, prose: bool) -> str:
    """The phrase for already sorted, distinct tags."""
    plural = _plural(singular)
    n = len(tags)
    if n == 0:
        return f"no {plural}"
    if n == 1:
        return f"{singular} ({tags[0]})"
    if not prose:
        return f"{plural} ({','.join(tags)})"
    if n == 2:
        return f"Both {plural} ({tags[0]}) and ({tags[1]})"
    count = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)
    return f"{count} {plural} ({','.join(tags)})"
