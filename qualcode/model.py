"""Plain data structures shared by every module (no I/O here).

Offsets are Unicode code points into ``Document.text`` (after CRLF → LF
normalisation), ``start`` inclusive and ``end`` exclusive: the REFI-QDA convention.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .vocabulary import ORIGINS, ROLES, SEGMENT_KINDS

UNCATEGORISED = "uncategorised"


# --------------------------------------------------------------------------- codebook
@dataclass(frozen=True)
class Code:
    """A codable leaf of the codebook."""

    id: str
    label: str
    theme: str | None = None  # id of the parent theme (None only for codes at top level)
    description: str = ""
    include: str = ""
    exclude: str = ""
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # former ids / labels after renames and merges
    patterns: tuple[Any, ...] = ()  # str phrases or {"tokens": [...]} spaCy Matcher patterns
    # Applications of the code recorded outside qualcode (e.g. a published codebook's
    # "Number of codes") and where that number comes from; None when not recorded.
    applications: int | None = None
    applications_source: str = ""


@dataclass(frozen=True)
class Theme:
    """A theme or sub-theme (any depth).  ``parent`` is None for a main theme."""

    id: str
    label: str
    parent: str | None = None
    description: str = ""
    color: str | None = None
    aliases: tuple[str, ...] = ()
    # A theme whose codes are the values of one scale (e.g. low … high): the level of
    # measurement ("nominal", "ordinal", "interval", "ratio") and its codes from lowest to
    # highest (``codebook.yaml``: ``scale:`` and ``order:``; docs/codebook-format.md).
    scale: str | None = None
    order: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrossCut:
    """A cross-cutting theme: a named set of codes taken from anywhere in the tree."""

    id: str
    label: str
    codes: tuple[str, ...] = ()
    description: str = ""


@dataclass
class Codebook:
    """The whole codebook.  Dicts keep the file's order."""

    themes: dict[str, Theme] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    cross_cutting: dict[str, CrossCut] = field(default_factory=dict)
    title: str = ""
    appendix: dict[str, Any] = field(default_factory=dict)  # the file's `appendix:` settings, as plain data

    # -- lookups -------------------------------------------------------------------
    def resolve(self, name: str) -> str | None:
        """Code id for an id, a label (case-insensitive) or an alias; None if unknown."""
        if name in self.codes:
            return name
        key = name.strip().casefold()
        for code in self.codes.values():
            if code.id.casefold() == key or code.label.casefold() == key:
                return code.id
        for code in self.codes.values():
            if any(a.casefold() == key for a in code.aliases):
                return code.id
        return None

    def theme_path(self, theme_id: str | None) -> list[str]:
        """Theme ids from the main theme down to ``theme_id`` (inclusive)."""
        path: list[str] = []
        seen: set[str] = set()
        while theme_id is not None and theme_id not in seen:
            seen.add(theme_id)
            path.append(theme_id)
            theme_id = self.themes[theme_id].parent if theme_id in self.themes else None
        return path[::-1]

    def code_path(self, code_id: str) -> list[str]:
        """Theme ids from the main theme down to the code's theme, then the code id."""
        return self.theme_path(self.codes[code_id].theme) + [code_id]

    def code_path_labels(self, code_id: str, sep: str = " > ") -> str:
        ids = self.code_path(code_id)
        labels = [self.themes[i].label for i in ids[:-1]] + [self.codes[code_id].label]
        return sep.join(labels)

    def main_theme(self, code_id: str) -> str | None:
        path = self.theme_path(self.codes[code_id].theme)
        return path[0] if path else None

    def child_themes(self, theme_id: str | None) -> list[str]:
        return [t.id for t in self.themes.values() if t.parent == theme_id]

    def themes_of(self, code_id: str) -> list[str]:
        """The themes a code counts towards: its theme and every theme above it (main theme
        first), then each cross-cutting theme that lists it (file order).

        The one membership rule of reports, agreement per theme and :meth:`codes_in`.  A code
        the tree does not hold belongs only to the cross-cutting themes that list it.

        >>> book = Codebook(
        ...     themes={"work": Theme("work", "Work"), "pay": Theme("pay", "Pay", parent="work")},
        ...     codes={"wage": Code("wage", "Wage", theme="pay")},
        ...     cross_cutting={"money": CrossCut("money", "Money", codes=("wage",))},
        ... )
        >>> book.themes_of("wage")
        ['work', 'pay', 'money']
        >>> book.themes_of("unknown")
        []
        """
        path = self.theme_path(self.codes[code_id].theme) if code_id in self.codes else []
        return path + self.cross_cutting_of(code_id)

    def codes_in(self, theme_id: str) -> list[str]:
        """Every code under a theme (any depth), or the members of a cross-cutting theme."""
        if theme_id in self.cross_cutting:
            return list(self.cross_cutting[theme_id].codes)
        return [c for c in self.codes if theme_id in self.themes_of(c)]

    def scales(self) -> dict[str, Theme]:
        """The themes that are scales (``scale:`` set), in file order.

        >>> book = Codebook(themes={"view": Theme("view", "View", scale="ordinal", order=("bad", "good"))})
        >>> [(t.id, t.scale, t.order) for t in book.scales().values()]
        [('view', 'ordinal', ('bad', 'good'))]
        """
        return {tid: t for tid, t in self.themes.items() if t.scale}

    def cross_cutting_of(self, code_id: str) -> list[str]:
        return [x.id for x in self.cross_cutting.values() if code_id in x.codes]

    def depth(self, theme_id: str) -> int:
        return len(self.theme_path(theme_id)) - 1

    def iter_tree(self) -> Iterator[tuple[int, Theme | Code]]:
        """Depth-first (depth, node) over themes and their codes in file order."""

        def walk(parent: str | None, depth: int) -> Iterator[tuple[int, Theme | Code]]:
            for tid in self.child_themes(parent):
                yield depth, self.themes[tid]
                for c in self.codes.values():
                    if c.theme == tid:
                        yield depth + 1, c
                yield from walk(tid, depth + 1)

        for c in self.codes.values():
            if c.theme is None:
                yield 0, c
        yield from walk(None, 0)

    def color_of(self, code_id: str) -> str | None:
        for tid in reversed(self.theme_path(self.codes[code_id].theme)):
            if self.themes[tid].color:
                return self.themes[tid].color
        return None


# --------------------------------------------------------------------------- corpus
@dataclass
class Participant:
    id: str  # e.g. "A"
    label: str  # e.g. "Expert (A)"
    attributes: dict[str, Any] = field(default_factory=dict)  # role, organisation, date, ...


@dataclass(frozen=True)
class Segment:
    kind: str  # one of SEGMENT_KINDS
    start: int
    end: int
    speaker: str | None = None


@dataclass
class ParsedDocument:
    """What an importer returns: normalised text, metadata, segments, embedded codings."""

    name: str  # stable document name, e.g. "expert_A" (file stem)
    text: str
    participant: Participant | None = None
    language: str = "en"
    metadata: dict[str, Any] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    codings: list[Coding] = field(default_factory=list)  # e.g. Word comments
    source_path: str | None = None
    # Problems that do not stop the import (no front matter, a misspelt key): shown, not raised.
    warnings: list[Any] = field(default_factory=list)  # errors.Problem


@dataclass
class Coding:
    document: str  # document name
    start: int
    end: int
    code: str  # code id (or, before resolution, the raw name given by the source)
    annotator: str
    memo: str = ""
    origin: str = "manual"
    quote: str | None = None
    created_at: str | None = None  # ISO 8601


@dataclass
class Memo:
    """A document, code or project memo (a coding's memo is :attr:`Coding.memo`), e.g. read
    from another tool's REFI-QDA Notes.  ``target``: the document name or code id (None for a
    project memo)."""

    kind: str  # one of vocabulary.MEMO_KINDS
    target: str | None
    text: str
    author: str
    title: str = ""
    created_at: str | None = None  # ISO 8601
    updated_at: str | None = None


__all__ = [
    "UNCATEGORISED",
    "SEGMENT_KINDS",
    "ORIGINS",
    "ROLES",
    "Code",
    "Theme",
    "CrossCut",
    "Codebook",
    "Participant",
    "Segment",
    "ParsedDocument",
    "Coding",
    "Memo",
]
