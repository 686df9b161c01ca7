"""Read, validate and edit ``codebook.yaml`` (format: docs/codebook-format.md).

Reading is strict and complete: every problem in the file is collected, located
(line, column, field path such as ``themes[0].codes[5].id``) and raised once as a
:class:`~qualcode.errors.CodebookError`, so a user fixes the file in one pass.
YAML tags (``!!python/object``, ``!custom``) and aliases are refused before anything
is constructed: only plain mappings, lists and scalars are allowed.

Editing goes through :class:`CodebookFile`, which keeps ruamel.yaml's round-trip
document so comments and ordering survive, and writes atomically under a lock with a
conflict check (someone else saved since we read → :class:`~qualcode.errors.ConflictError`).
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import hashlib
import os
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from ruamel.yaml.tokens import CommentToken

from qualcode.errors import CodebookError, ConflictError, Problem, did_you_mean, valid_list
from qualcode.model import UNCATEGORISED, Code, Codebook, CrossCut, Theme

MAX_CODEBOOK_BYTES = 5 * 1024 * 1024
MAX_NESTING = 100  # open lists/mappings; each sub-theme level adds two
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
LOCK_TIMEOUT_SECONDS = 10.0

TOP_KEYS = ("title", "themes", "codes", "cross_cutting")
THEME_KEYS = ("id", "label", "description", "color", "aliases", "themes", "codes")
CODE_KEYS = ("id", "label", "description", "include", "exclude", "example", "aliases", "patterns")
CROSS_KEYS = ("id", "label", "description", "codes")
_KEYS_OF = {"top level": TOP_KEYS, "theme": THEME_KEYS, "code": CODE_KEYS, "cross-cutting theme": CROSS_KEYS}

_YAML_HINT = (
    "Check the indentation, and put values that contain ': ' or start with "
    "'#', '*', '&', '!', '@', '%' or '`' in quotes."
)

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
            "a",
            "g",
            "q",
            "n",
            "o",
            "u",
            "u",
            "h",
            "i",
        ],
    )
)


def suggest_id(text: str) -> str:
    """A valid id (``[a-z][a-z0-9_]*``) made from a label or a malformed id.

    >>> suggest_id("No significant effect of Covid-19")
    'no_significant_effect_of_covid_19'
    >>> suggest_id("2022 events")
    'c_2022_events'
    >>> suggest_id("Миграция")
    'migratsiya'
    """
    lowered = "".join(_CYRILLIC.get(ch, ch) for ch in str(text).lower())
    ascii_text = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")
    if not slug:
        return "code"
    return slug if slug[0].isalpha() else f"c_{slug}"


# =========================================================================== reading
def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a true/false value ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, dict):
        return "a mapping (key: value pairs)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"a date ({value.isoformat()})"
    return f"a {type(value).__name__} ({value!r})"


def _plain(value: Any) -> Any:
    """Deep copy of round-trip containers/scalars as plain dict/list/str values."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _mark_line_col(mark: Any) -> tuple[int | None, int | None]:
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def _line_col_at(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


@dataclass
class _Parsed:
    document: Any
    codebook: Codebook | None
    problems: list[Problem]


def _sub(field: str, key: str) -> str:
    """``themes[0]`` + ``label`` → ``themes[0].label``; at the top level just ``label``."""
    return f"{field}.{key}" if field else key


class _Validator:
    """Walks the round-trip document, collecting problems and building the model."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.themes: dict[str, Theme] = {}
        self.codes: dict[str, Code] = {}
        self.cross: dict[str, CrossCut] = {}
        self.seen_ids: dict[str, tuple[str, str, int | None]] = {}  # id -> (kind, field, line)
        self.cross_refs: list[tuple[str, str, int | None, int | None]] = []  # (code, field, l, c)
        self.code_aliases: list[tuple[str, str, str, int | None, int | None]] = []

    # -- locations ---------------------------------------------------------------
    @staticmethod
    def _where(container: Any, key: Any, part: str = "value") -> tuple[int | None, int | None]:
        try:
            if isinstance(container, CommentedSeq):
                line, col = container.lc.item(key)
            elif part == "key":
                line, col = container.lc.key(key)
            else:
                line, col = container.lc.value(key)
            return line + 1, col + 1
        except Exception:  # noqa: BLE001 - lc data is best effort; a location is optional
            return _Validator._node_where(container)

    @staticmethod
    def _value_where(node: CommentedMap, key: Any) -> tuple[int | None, int | None]:
        """Where ``node[key]`` is; an empty value has no position, so its key's is used."""
        part = "key" if node.get(key) is None else "value"
        return _Validator._where(node, key, part)

    @staticmethod
    def _node_where(node: Any) -> tuple[int | None, int | None]:
        try:
            return node.lc.line + 1, node.lc.col + 1
        except Exception:  # noqa: BLE001
            return None, None

    def add(
        self, message: str, field: str | None, where: tuple[int | None, int | None], hint: str | None = None
    ) -> None:
        line, column = where
        self.problems.append(Problem(message, path=self.path, line=line, column=column, field=field, hint=hint))

    # -- typed field readers -----------------------------------------------------------
    def text(self, node: CommentedMap, key: str, field: str, *, required: bool = False) -> str:
        where = self._value_where(node, key) if key in node else self._node_where(node)
        value = node.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                what = "is empty" if key in node else "is missing"
                self.add(
                    f"'{key}' {what}; every entry needs a non-empty {key}.",
                    _sub(field, key),
                    where,
                    hint=f"Add a line '{key}: ...' to this entry.",
                )
            return ""
        if not isinstance(value, str):
            self.add(
                f"'{key}' must be text, found {_type_name(value)}.",
                _sub(field, key),
                where,
                hint="Write it as a single line of text (in quotes if it looks like a number, date or true/false).",
            )
            return ""
        return str(value).strip() if key in ("id", "label") else str(value)

    def text_list(self, node: CommentedMap, key: str, field: str) -> tuple[str, ...]:
        """A string or a list of strings (``aliases``, ``example``)."""
        value = node.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (str(value),)
        if not isinstance(value, list):
            self.add(
                f"'{key}' must be text or a list of texts, found {_type_name(value)}.",
                _sub(field, key),
                self._where(node, key),
            )
            return ()
        items: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                items.append(str(item))
            else:
                self.add(
                    f"'{key}' entries must be non-empty text, found {_type_name(item)}.",
                    f"{field}.{key}[{i}]",
                    self._where(value, i),
                    hint="Put the entry in quotes.",
                )
        return tuple(items)

    def entries(self, node: CommentedMap, key: str, field: str) -> list[tuple[int, Any]]:
        """The items of a list-valued key; reports a non-list value."""
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(
                f"'{key}' must be a list (one '- ' entry per item), found {_type_name(value)}.",
                _sub(field, key),
                self._where(node, key),
                hint=f"Write each entry on its own line starting with '- ' under '{key}:'.",
            )
            return []
        return list(enumerate(value))

    def mapping(self, container: Any, index: int, item: Any, field: str, kind: str) -> bool:
        if isinstance(item, CommentedMap):
            return True
        self.add(
            f"each entry of this list must be a {kind} (a mapping with keys such as 'id' and "
            f"'label'), found {_type_name(item)}.",
            field,
            self._where(container, index),
            hint="Start the entry with '- id: ...' and put 'label: ...' under it.",
        )
        return False

    def keys(self, node: CommentedMap, field: str, kind: str) -> None:
        allowed = _KEYS_OF[kind]
        for key in node:
            if key in allowed:
                continue
            name = str(key)
            hint = did_you_mean(name, allowed) or ""
            hint = (hint + " " if hint else "") + f"Allowed keys: {', '.join(allowed)}."
            where = "at the top level" if kind == "top level" else f"on a {kind}"
            self.add(
                f"unknown key '{name}' {where}.",
                f"{field}.{name}" if field else name,
                self._where(node, key, "key"),
                hint=hint,
            )

    def ident(self, node: CommentedMap, field: str, kind: str) -> str | None:
        """Validate ``id`` (slug, unique); returns it if usable as a reference."""
        where = self._value_where(node, "id") if "id" in node else self._node_where(node)
        raw = node.get("id")
        label = node.get("label")
        from_label = suggest_id(label) if isinstance(label, str) and label.strip() else None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            hint = f"Add 'id: {from_label}'." if from_label else "Add a line 'id: some_id'."
            self.add(f"this {kind} has {'an empty' if 'id' in node else 'no'} 'id'.", f"{field}.id", where, hint=hint)
            return None
        if not isinstance(raw, str):
            self.add(
                f"'id' must be text, found {_type_name(raw)}.",
                f"{field}.id",
                where,
                hint=f"Use an id such as '{suggest_id(str(raw))}'.",
            )
            return None
        ident = str(raw).strip()
        if not ID_PATTERN.match(ident):
            self.add(
                f"id '{ident}' is not a valid id: use lower-case letters, digits and '_', starting with a letter.",
                f"{field}.id",
                where,
                hint=f"Use '{suggest_id(ident)}'.",
            )
        if ident in self.seen_ids:
            other_kind, other_field, other_line = self.seen_ids[ident]
            at = f"{other_field}" + (f" (line {other_line})" if other_line else "")
            self.add(
                f"duplicate id '{ident}': this {kind} and the {other_kind} at {at} share it.",
                f"{field}.id",
                where,
                hint="Ids must be unique across themes, codes and cross-cutting themes; rename one of them.",
            )
            return ident
        self.seen_ids[ident] = (kind, f"{field}.id", where[0])
        return ident

    def color(self, node: CommentedMap, field: str) -> str | None:
        if "color" not in node:
            return None
        value = node["color"]
        where = self._value_where(node, "color")
        if value is None:
            self.add(
                "'color' is empty.",
                f"{field}.color",
                where,
                hint="In YAML '#' starts a comment: write the colour in quotes, e.g. color: \"#4e79a7\".",
            )
            return None
        if not isinstance(value, str) or not COLOR_PATTERN.match(value.strip()):
            self.add(
                f"'color' must be a '#rrggbb' colour, found {_type_name(value)}.",
                f"{field}.color",
                where,
                hint='For example: color: "#4e79a7" (in quotes).',
            )
            return None
        return value.strip()

    def patterns(self, node: CommentedMap, field: str) -> tuple[Any, ...]:
        result: list[Any] = []
        hint = (
            'A pattern is a phrase (text), {phrase: "..."} or {tokens: [{LOWER: "word"}, ...]} '
            "(a spaCy Matcher pattern)."
        )
        for i, item in self.entries(node, "patterns", field):
            where, here = self._where(node["patterns"], i), f"{field}.patterns[{i}]"
            if isinstance(item, str):
                if item.strip():
                    result.append(str(item))
                else:
                    self.add("empty pattern.", here, where, hint=hint)
            elif isinstance(item, dict) and list(item) == ["phrase"]:
                if isinstance(item["phrase"], str) and item["phrase"].strip():
                    result.append(str(item["phrase"]))
                else:
                    self.add(
                        f"'phrase' must be non-empty text, found {_type_name(item['phrase'])}.", here, where, hint=hint
                    )
            elif isinstance(item, dict) and list(item) == ["tokens"]:
                tokens = item["tokens"]
                if (
                    isinstance(tokens, list)
                    and tokens
                    and all(isinstance(t, dict) and t and all(isinstance(k, str) for k in t) for t in tokens)
                ):
                    result.append({"tokens": _plain(tokens)})
                else:
                    self.add(
                        "'tokens' must be a non-empty list of token mappings such as "
                        f'{{LOWER: "word"}}, found {_type_name(tokens)}.',
                        here,
                        where,
                        hint=hint,
                    )
            else:
                self.add(
                    f"a pattern must be text, {{phrase: ...}} or {{tokens: [...]}}, found {_type_name(item)}.",
                    here,
                    where,
                    hint=hint,
                )
        return tuple(result)

    # -- node kinds -----------------------------------------------------------------------
    def top(self, doc: Any) -> None:
        if not isinstance(doc, CommentedMap):
            self.add(
                f"the codebook must be a mapping with the keys {', '.join(TOP_KEYS)}; found "
                f"{_type_name(doc)} at the top level.",
                None,
                self._node_where(doc) if isinstance(doc, CommentedSeq) else (1, 1),
                hint="See docs/codebook-format.md for an example.",
            )
            return
        self.keys(doc, "", "top level")
        if "title" in doc and doc["title"] is not None and not isinstance(doc["title"], str):
            self.add(
                f"'title' must be text, found {_type_name(doc['title'])}.",
                "title",
                self._where(doc, "title"),
                hint="Write the title as one line of text.",
            )
        for key in doc:
            if key == "themes":
                for i, item in self.entries(doc, "themes", ""):
                    if self.mapping(doc["themes"], i, item, f"themes[{i}]", "theme"):
                        self.theme(item, f"themes[{i}]", None)
            elif key == "codes":
                for i, item in self.entries(doc, "codes", ""):
                    if self.mapping(doc["codes"], i, item, f"codes[{i}]", "code"):
                        self.code(item, f"codes[{i}]", None)
            elif key == "cross_cutting":
                for i, item in self.entries(doc, "cross_cutting", ""):
                    field = f"cross_cutting[{i}]"
                    if self.mapping(doc["cross_cutting"], i, item, field, "cross-cutting theme"):
                        self.cross_cut(item, field)
        self.check_references()

    def theme(self, node: CommentedMap, field: str, parent: str | None) -> None:
        self.keys(node, field, "theme")
        ident = self.ident(node, field, "theme")
        theme = Theme(
            id=ident or "",
            label=self.text(node, "label", field, required=True),
            parent=parent,
            description=self.text(node, "description", field),
            color=self.color(node, field),
            aliases=self.text_list(node, "aliases", field),
        )
        if ident and ident not in self.themes and ident not in self.codes:
            self.themes[ident] = theme
        for key in node:
            if key == "themes":
                for i, item in self.entries(node, "themes", field):
                    sub = f"{field}.themes[{i}]"
                    if self.mapping(node["themes"], i, item, sub, "theme"):
                        self.theme(item, sub, ident)
            elif key == "codes":
                for i, item in self.entries(node, "codes", field):
                    sub = f"{field}.codes[{i}]"
                    if self.mapping(node["codes"], i, item, sub, "code"):
                        self.code(item, sub, ident)

    def code(self, node: CommentedMap, field: str, theme: str | None) -> None:
        self.keys(node, field, "code")
        ident = self.ident(node, field, "code")
        aliases = self.text_list(node, "aliases", field)
        code = Code(
            id=ident or "",
            label=self.text(node, "label", field, required=True),
            theme=theme,
            description=self.text(node, "description", field),
            include=self.text(node, "include", field),
            exclude=self.text(node, "exclude", field),
            examples=self.text_list(node, "example", field),
            aliases=aliases,
            patterns=self.patterns(node, field),
        )
        if ident and ident not in self.codes and ident not in self.themes:
            self.codes[ident] = code
            for i, alias in enumerate(aliases):
                seq = node["aliases"]
                where = self._where(seq, i) if isinstance(seq, list) else self._where(node, "aliases")
                self.code_aliases.append((ident, alias, f"{field}.aliases[{i}]", *where))

    def cross_cut(self, node: CommentedMap, field: str) -> None:
        self.keys(node, field, "cross-cutting theme")
        ident = self.ident(node, field, "cross-cutting theme")
        members: list[str] = []
        for i, item in self.entries(node, "codes", field):
            where, here = self._where(node["codes"], i), f"{field}.codes[{i}]"
            if not isinstance(item, str) or not item.strip():
                self.add(f"cross-cutting 'codes' entries must be code ids, found {_type_name(item)}.", here, where)
            elif str(item) in members:
                self.add(
                    f"code '{item}' is listed twice in this cross-cutting theme.",
                    here,
                    where,
                    hint="Remove one of the two entries.",
                )
            else:
                members.append(str(item))
                self.cross_refs.append((str(item), here, *where))
        crosscut = CrossCut(
            id=ident or "",
            label=self.text(node, "label", field, required=True),
            codes=tuple(members),
            description=self.text(node, "description", field),
        )
        if ident and all(ident not in known for known in (self.cross, self.codes, self.themes)):
            self.cross[ident] = crosscut

    def check_references(self) -> None:
        for ref, field, line, column in self.cross_refs:
            if ref in self.codes:
                continue
            if ref in self.themes:
                message = f"'{ref}' is a theme, not a code; a cross-cutting theme lists code ids."
                hint = f"List the codes of '{ref}' you mean instead."
            else:
                former = [c.id for c in self.codes.values() if ref in c.aliases]
                message = f"unknown code '{ref}' in a cross-cutting theme."
                hint = (
                    f"'{ref}' is a former id of '{former[0]}'; write '{former[0]}'."
                    if former
                    else did_you_mean(ref, self.codes) or f"Valid codes: {valid_list(self.codes)}."
                )
            self.add(message, field, (line, column), hint=hint)
        alias_owner: dict[str, str] = {}
        for owner, alias, field, line, column in self.code_aliases:
            if alias in self.codes and alias != owner:
                self.add(
                    f"alias '{alias}' of code '{owner}' is the id of another code.",
                    field,
                    (line, column),
                    hint=f"Remove the alias, or merge '{alias}' into '{owner}'.",
                )
            elif alias_owner.get(alias, owner) != owner:
                self.add(
                    f"alias '{alias}' is used by two codes, '{alias_owner[alias]}' and '{owner}'.",
                    field,
                    (line, column),
                    hint="An alias must name one code only; remove it from one of them.",
                )
            alias_owner.setdefault(alias, owner)

    def codebook(self, doc: Any) -> Codebook:
        title = doc.get("title") if isinstance(doc, CommentedMap) else None
        return Codebook(
            themes=self.themes,
            codes=self.codes,
            cross_cutting=self.cross,
            title=str(title) if isinstance(title, str) else "",
        )


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap people's long descriptions
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # [{LOWER: "no"}], as people write it
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


class _KeyTracker:
    """Follows mappings in the event stream to find duplicate keys and merge keys ('<<').

    ruamel.yaml stops at the first duplicate key; this reports every one, with both lines.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.fatal: list[Problem] = []
        self.duplicates: list[Problem] = []
        # one frame per open collection: for a mapping, {key: mark} and "next is a key?"
        self.frames: list[tuple[dict[str, Any], list[bool]] | None] = []

    def _at_key(self) -> tuple[dict[str, Any], list[bool]] | None:
        """The enclosing mapping if the next node is one of its keys; advances the state."""
        if not self.frames or self.frames[-1] is None:
            return None
        keys, expecting = self.frames[-1]
        is_key = expecting[0]
        expecting[0] = not is_key
        return (keys, expecting) if is_key else None

    def event(self, event: Any) -> None:
        if isinstance(event, ScalarEvent):
            mapping = self._at_key()
            if mapping is None:
                return
            keys = mapping[0]
            line, column = _mark_line_col(event.start_mark)
            if event.value == "<<" and not event.style:
                self.fatal.append(
                    Problem(
                        "YAML merge keys ('<<') are not allowed in a codebook.",
                        path=self.path,
                        line=line,
                        column=column,
                        hint="Write the keys out in full.",
                    )
                )
            elif event.value in keys:
                self.duplicates.append(
                    Problem(
                        f"duplicate key '{event.value}' (first given on line {keys[event.value]}).",
                        path=self.path,
                        line=line,
                        column=column,
                        hint="Keep one of the two; YAML does not allow a key twice in one entry.",
                    )
                )
            else:
                keys[event.value] = line
        elif isinstance(event, AliasEvent):
            self._at_key()
        elif isinstance(event, MappingStartEvent):
            self._at_key()
            self.frames.append(({}, [True]))
        elif isinstance(event, SequenceStartEvent):
            self._at_key()
            self.frames.append(None)
        elif isinstance(event, CollectionEndEvent):
            self.frames.pop()


def _syntax_problems(text: str, path: str | None) -> tuple[list[Problem], list[Problem]]:
    """Scan the YAML event stream: syntax errors, tags, aliases, several documents, merge
    keys (fatal: nothing may be constructed), and duplicate keys (ruamel.yaml can still
    build the rest, so the content is validated too).  Nothing is constructed here."""
    problems: list[Problem] = []
    keys = _KeyTracker(path)
    documents = 0
    try:
        for event in _yaml().parse(text):
            keys.event(event)
            line, column = _mark_line_col(event.start_mark)
            if len(keys.frames) > MAX_NESTING:  # ruamel's scanner is quadratic in flow depth
                problems.append(
                    Problem(
                        f"the codebook is nested more than {MAX_NESTING} levels deep.",
                        path=path,
                        line=line,
                        column=column,
                        hint="Use fewer levels of sub-themes; check for unbalanced '[' or '{'.",
                    )
                )
                break
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents == 2:
                    problems.append(
                        Problem(
                            "the file holds more than one YAML document ('---').",
                            path=path,
                            line=line,
                            column=column,
                            hint="Keep one codebook per file.",
                        )
                    )
            elif isinstance(event, AliasEvent):
                problems.append(
                    Problem(
                        f"YAML aliases ('*{event.anchor}') are not allowed in a codebook.",
                        path=path,
                        line=line,
                        column=column,
                        hint="Write the value out in full.",
                    )
                )
            elif isinstance(event, (ScalarEvent, CollectionStartEvent)) and event.tag is not None:
                tag = str(getattr(event.tag, "value", event.tag))
                tag = tag.replace("tag:yaml.org,2002:", "!!")
                problems.append(
                    Problem(
                        f"YAML tag '{tag}' is not allowed: a codebook holds plain text, lists and mappings only.",
                        path=path,
                        line=line,
                        column=column,
                        hint="Remove the tag (the word starting with '!').",
                    )
                )
    except MarkedYAMLError as exc:
        line, column = _mark_line_col(exc.problem_mark or exc.context_mark)
        detail = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        started, _ = _mark_line_col(exc.context_mark)
        if started is not None and line is not None and started < line:  # e.g. an unclosed quote
            detail += f" (what it was scanning starts on line {started})"
        problems.append(Problem(f"YAML syntax error: {detail}.", path=path, line=line, column=column, hint=_YAML_HINT))
    except YAMLError as exc:  # ReaderError (control characters) and similar
        position = getattr(exc, "position", None)
        line, column = _line_col_at(text, position) if isinstance(position, int) else (None, None)
        problems.append(
            Problem(
                f"YAML error: {exc}",
                path=path,
                line=line,
                column=column,
                hint="Remove control characters; save the file as UTF-8 text.",
            )
        )
    return problems + keys.fatal, keys.duplicates


def _reading_order(problem: Problem) -> tuple[bool, int, int]:
    return problem.line is None, problem.line or 0, problem.column or 0


def _parse_text(text: str, path: str | None) -> _Parsed:
    """The whole pipeline on decoded text; never raises for bad input."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")  # ruamel would keep the '\r' inside comments
    if not text.strip():
        return _Parsed(
            None,
            None,
            [
                Problem(
                    "the codebook file is empty.",
                    path=path,
                    line=1,
                    column=1,
                    hint="Start from the example in docs/codebook-format.md.",
                )
            ],
        )
    try:
        fatal, problems = _syntax_problems(text, path)
        if fatal:
            return _Parsed(None, None, sorted(fatal + problems, key=_reading_order))
        yaml = _yaml()
        yaml.allow_duplicate_keys = True  # reported above, with every location
        document = yaml.load(text)
        if document is None:
            return _Parsed(
                None,
                None,
                problems
                + [
                    Problem(
                        "the codebook file has no content (only comments).",
                        path=path,
                        line=1,
                        column=1,
                        hint="Start from the example in docs/codebook-format.md.",
                    )
                ],
            )
        validator = _Validator(path)
        validator.top(document)
        problems += validator.problems
        problems.sort(key=_reading_order)
    except RecursionError:
        return _Parsed(
            None,
            None,
            [Problem("the codebook is nested too deeply.", path=path, hint="Use fewer levels of sub-themes.")],
        )
    except MarkedYAMLError as exc:  # belt and braces: the event scan should have caught it
        line, column = _mark_line_col(exc.problem_mark)
        return _Parsed(
            None, None, [Problem(f"YAML error: {exc.problem}.", path=path, line=line, column=column, hint=_YAML_HINT)]
        )
    if problems:
        return _Parsed(document, None, problems)
    return _Parsed(document, validator.codebook(document), [])


def _decode(data: bytes, path: str | None) -> tuple[str | None, list[Problem]]:
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            Problem(
                f"the file is not UTF-8 text (byte {data[exc.start]:#04x}).",
                path=path,
                line=line,
                column=None,
                hint="Save the file as UTF-8 in your editor.",
            )
        ]


def _read(path: Path) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes, refusing missing, unreadable and too-large files before parsing."""
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None, [
            Problem(
                "codebook file not found.",
                path=name,
                hint="Create codebook.yaml in the project folder (see docs/codebook-format.md).",
            )
        ]
    except OSError as exc:
        return None, [Problem(f"cannot read the codebook: {exc.strerror}.", path=name)]
    if not path.is_file():
        return None, [Problem("the codebook path is not a file.", path=name)]
    shown = max(size, MAX_CODEBOOK_BYTES + 1) / 1e6
    too_large = [
        Problem(
            f"the codebook is too large ({shown:.1f} MB; the limit is {MAX_CODEBOOK_BYTES / 1e6:.0f} MB).",
            path=name,
            hint="Is this really a codebook file?",
        )
    ]
    if size > MAX_CODEBOOK_BYTES:
        return None, too_large
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CODEBOOK_BYTES + 1)  # it may have grown since stat()
    except OSError as exc:
        return None, [Problem(f"cannot read the codebook: {exc.strerror}.", path=name)]
    return (None, too_large) if len(data) > MAX_CODEBOOK_BYTES else (data, [])


def _parse_file(path: str | os.PathLike[str]) -> tuple[_Parsed, bytes | None]:
    path = Path(path)
    data, problems = _read(path)
    if data is None:
        return _Parsed(None, None, problems), None
    text, problems = _decode(data, str(path))
    if text is None:
        return _Parsed(None, None, problems), data
    return _parse_text(text, str(path)), data


def parse_codebook(text: str, path: str | None = None) -> Codebook:
    """Validate codebook YAML given as text; raise one CodebookError listing every problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CODEBOOK_BYTES:
        raise CodebookError(Problem("the codebook is too large.", path=path))
    parsed = _parse_text(text, path)
    if parsed.problems or parsed.codebook is None:
        raise CodebookError(parsed.problems)
    return parsed.codebook


def load_codebook(path: str | os.PathLike[str]) -> Codebook:
    """Read and validate ``codebook.yaml``; raise one CodebookError listing every problem."""
    parsed, _ = _parse_file(path)
    if parsed.problems or parsed.codebook is None:
        raise CodebookError(parsed.problems)
    return parsed.codebook


def validate_codebook(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem in the codebook file (empty list: the file is fine).  Never raises."""
    return _parse_file(path)[0].problems


# =========================================================================== writing
def codebook_to_dict(codebook: Codebook) -> dict[str, Any]:
    """The codebook as plain data in the file format (only non-empty optional keys)."""

    def code_dict(code: Code) -> dict[str, Any]:
        out: dict[str, Any] = {"id": code.id, "label": code.label}
        for key in ("description", "include", "exclude"):
            if getattr(code, key):
                out[key] = getattr(code, key)
        if code.examples:
            out["example"] = list(code.examples)
        if code.aliases:
            out["aliases"] = list(code.aliases)
        if code.patterns:
            out["patterns"] = [_plain(p) for p in code.patterns]
        return out

    def theme_dict(theme: Theme) -> dict[str, Any]:
        out: dict[str, Any] = {"id": theme.id, "label": theme.label}
        if theme.description:
            out["description"] = theme.description
        if theme.color:
            out["color"] = theme.color
        if theme.aliases:
            out["aliases"] = list(theme.aliases)
        children = [theme_dict(codebook.themes[t]) for t in codebook.child_themes(theme.id)]
        if children:
            out["themes"] = children
        codes = [code_dict(c) for c in codebook.codes.values() if c.theme == theme.id]
        if codes:
            out["codes"] = codes
        return out

    result: dict[str, Any] = {}
    if codebook.title:
        result["title"] = codebook.title
    result["themes"] = [theme_dict(codebook.themes[t]) for t in codebook.child_themes(None)]
    top_codes = [code_dict(c) for c in codebook.codes.values() if c.theme is None]
    if top_codes:
        result["codes"] = top_codes
    if codebook.cross_cutting:
        result["cross_cutting"] = [
            {
                "id": x.id,
                "label": x.label,
                **({"description": x.description} if x.description else {}),
                "codes": list(x.codes),
            }
            for x in codebook.cross_cutting.values()
        ]
    return result


def dump_codebook(codebook: Codebook) -> str:
    """YAML text for a codebook model (a fresh file: no comments to keep)."""
    stream = StringIO()
    _yaml().dump(codebook_to_dict(codebook), stream)
    return stream.getvalue()


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indents as ruamel.yaml names them, guessed from the text."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    mapping, offset = None, None
    for here, following in zip(lines, lines[1:]):
        key = re.match(r"^( *)[^\s#-][^:]*:\s*(#.*)?$", here)
        if not key:
            continue
        depth = len(key.group(1))
        deeper = len(following) - len(following.lstrip(" "))
        if following.lstrip().startswith("- "):
            offset = deeper - depth if offset is None and deeper >= depth else offset
        elif deeper > depth and mapping is None:
            mapping = deeper - depth
        if mapping is not None and offset is not None:
            break
    offset = 2 if offset is None else offset
    return (mapping or 2), offset + 2, offset


# -- comment bookkeeping: comment lines after an entry are stored on its last key -----------
def _tail_slot(container: Any, key: Any) -> tuple[dict[Any, Any], Any, int]:
    value = container[key]
    if isinstance(value, (CommentedMap, CommentedSeq)) and len(value) and not value.fa.flow_style():
        last = list(value.keys())[-1] if isinstance(value, CommentedMap) else len(value) - 1
        return _tail_slot(value, last)
    return container.ca.items, key, 2 if isinstance(container, CommentedMap) else 0


def _pop_tail(container: Any, key: Any, max_indent: int | None = None) -> str:
    """Remove and return the whole comment lines that follow ``container[key]``.

    With ``max_indent``, lines indented deeper than that stay where they are: they
    comment on the nested content, not on what follows at this level.
    """
    items, slot, index = _tail_slot(container, key)
    entry = items.get(slot)
    if not entry or len(entry) <= index or not isinstance(entry[index], CommentToken):
        return ""
    token = entry[index]
    newline = token.value.find("\n")
    if newline < 0:
        return ""
    head, lines = token.value[: newline + 1], token.value[newline + 1 :].splitlines(keepends=True)
    cut = 0
    if max_indent is not None:
        cut = next(
            (i for i, line in enumerate(lines) if line.strip() and len(line) - len(line.lstrip(" ")) <= max_indent),
            len(lines),
        )
    keep, rest = "".join(lines[:cut]), "".join(lines[cut:])
    if not rest.strip():
        return ""
    if head.strip() or keep:
        token.value = head + keep
    else:
        entry[index] = None
    return rest


def _key_column(node: Any) -> int | None:
    """Column (0-based) of a mapping's keys as read from the file; None for new nodes."""
    try:
        column = node.lc.col
    except AttributeError:
        return None
    return column if isinstance(column, int) else None


def _push_tail(container: Any, key: Any, lines: str) -> None:
    """Put comment lines after ``container[key]`` (see :func:`_pop_tail`)."""
    if not lines:
        return
    items, slot, index = _tail_slot(container, key)
    entry = items.setdefault(slot, [None, None, None, None])
    while len(entry) <= index:
        entry.append(None)
    token = entry[index]
    if isinstance(token, CommentToken):
        token.value = token.value + lines
    else:
        entry[index] = CommentToken("\n" + lines, CommentMark(0), None)


def _set_key(node: CommentedMap, key: str, value: Any, order: Sequence[str]) -> None:
    """Set ``node[key]``, inserting a new key at its place in ``order`` without moving comments."""
    if key in node:
        node[key] = value
        return
    rank = order.index(key)
    before = [k for k in node if k in order and order.index(k) < rank]
    position = list(node).index(before[-1]) + 1 if before else 0
    tail = _pop_tail(node, before[-1], _key_column(node)) if before else ""
    node.insert(position, key, value)
    _push_tail(node, key, tail)


def _append_item(seq: CommentedSeq, item: Any) -> None:
    """Append to a list, keeping comment lines that followed the old last entry at the end."""
    if isinstance(item, CommentedMap):
        seq.fa.set_block_style()
    tail = _pop_tail(seq, len(seq) - 1, _key_column(seq[-1])) if len(seq) else ""
    seq.append(item)
    _push_tail(seq, len(seq) - 1, tail)


def _remove_item(owner: CommentedMap, key: str, index: int) -> Any:
    """Remove ``owner[key][index]``, leaving the comment lines that followed it in place.

    Comment lines after an entry usually introduce the next one, so they are handed to
    the entry before it, or (for the first entry) put before the list's new first entry.
    """
    seq = owner[key]
    orphan = ""  # comment lines left by the list's only entry
    if index > 0:
        _push_tail(seq, index - 1, _pop_tail(seq, index))
    elif len(seq) == 1:
        orphan = _pop_tail(seq, index)
    else:
        tail = _pop_tail(seq, index)
        if tail:
            comment = seq.ca.comment if seq.ca.comment else [None, None]
            while len(comment) < 2:
                comment.append(None)
            comment[1] = list(comment[1] or []) + [CommentToken(tail, CommentMark(0), None)]
            seq.ca.comment = comment
    item = seq[index]
    del seq[index]  # CommentedSeq shifts its per-index comments itself
    if not len(seq):
        # An empty block list cannot carry comments (ruamel would emit broken YAML):
        # print it as '[]' and keep its comments on the key instead.
        seq.fa.set_flow_style()
        comment = list(seq.ca.comment or []) + [None, None]
        seq.ca.comment = None
        entry = owner.ca.items.setdefault(key, [None, None, None, None])
        # ruamel keeps the key's end-of-line comment both on the key and on the list
        if not isinstance(entry[2], CommentToken) and isinstance(comment[0], CommentToken):
            entry[2] = CommentToken(comment[0].value, CommentMark(0), None)
        lines = (
            "".join(
                " " * (token.column or 0) + token.value for token in comment[1] or [] if isinstance(token, CommentToken)
            )
            + orphan
        )
        if lines and isinstance(entry[2], CommentToken):
            entry[2].value += lines
        elif lines:
            entry[2] = CommentToken("\n" + lines, CommentMark(0), None)
    return item


def _pattern_node(pattern: Any) -> Any:
    """A pattern as people write it: ``phrase`` or ``tokens: [{LOWER: "no"}, ...]``."""
    if not isinstance(pattern, dict):
        return pattern
    node = CommentedMap()
    for key, value in pattern.items():
        if isinstance(value, list):
            tokens = CommentedSeq()
            for token in value:
                token_node = CommentedMap(_plain(token)) if isinstance(token, dict) else token
                if isinstance(token_node, CommentedMap):
                    token_node.fa.set_flow_style()
                tokens.append(token_node)
            tokens.fa.set_flow_style()
            value = tokens
        node[key] = value
    return node


def _flow_list(values: Sequence[str]) -> CommentedSeq:
    seq = CommentedSeq(list(values))
    seq.fa.set_flow_style()
    return seq


@dataclass
class _Located:
    kind: str  # "theme" | "code" | "cross"
    node: CommentedMap
    seq: CommentedSeq
    owner: CommentedMap  # the theme (or the document) holding ``seq``


# -- locking ------------------------------------------------------------------------------------
class _FileLock:
    """An exclusive advisory lock on ``<codebook>.lock`` (fcntl on POSIX, msvcrt on Windows)."""

    def __init__(self, path: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        self.lock_path = path.with_name(path.name + ".lock")
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> _FileLock:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CodebookError(
                Problem(
                    f"cannot create the lock file: {exc.strerror}.",
                    path=str(self.lock_path),
                    hint="The codebook's folder must be writable to edit the codebook.",
                )
            ) from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                _lock_fd(fd)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise ConflictError(
                        Problem(
                            f"the codebook is locked by another process (waited {self.timeout:g} s).",
                            path=str(self.lock_path),
                            hint="Try again in a moment.",
                        )
                    ) from None
                time.sleep(0.02)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                _unlock_fd(self._fd)
            os.close(self._fd)
            self._fd = None


if sys.platform != "win32":
    import fcntl

    def _lock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
else:  # pragma: no cover - Windows
    import msvcrt

    def _lock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# =========================================================================== editing
_Method = TypeVar("_Method", bound=Callable[..., dict[str, Any]])


def _atomic(method: _Method) -> _Method:
    """All or nothing: if an edit operation raises, the handle is left as it was."""

    @functools.wraps(method)
    def run(self: CodebookFile, *args: Any, **kwargs: Any) -> dict[str, Any]:
        document, codebook, logged = copy.deepcopy(self.document), self.codebook, len(self.changes)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.document, self.codebook = document, codebook
            del self.changes[logged:]
            raise

    return run  # type: ignore[return-value]


class CodebookFile:
    """An editable codebook: round-trip YAML document + validated model + hash as read.

    Each operation validates its arguments, edits the YAML document in place (comments
    and ordering kept), re-validates the whole codebook and returns a change record
    ``{"action", "before", "after"}`` for the audit log.  Nothing touches the disk
    until :meth:`save`.
    """

    def __init__(
        self,
        path: Path,
        document: CommentedMap,
        codebook: Codebook,
        sha256: str | None,
        indent: tuple[int, int, int],
        *,
        newline: str = "\n",
        bom: bool = False,
    ) -> None:
        self.path = path
        self.document = document
        self.codebook = codebook
        self.sha256 = sha256  # None: the file did not exist when opened
        self.changes: list[dict[str, Any]] = []
        self._indent = indent
        self._newline = newline  # written back as read, so Windows users see no noise diff
        self._bom = bom
        self._held_lock: _FileLock | None = None

    # -- opening / saving -----------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = False) -> CodebookFile:
        """Load ``path`` for editing; with ``create=True`` a missing file starts empty."""
        path = Path(path)
        if create and not path.exists():
            document = CommentedMap()
            document["themes"] = CommentedSeq()
            return cls(path, document, Codebook(), None, (2, 4, 2))
        parsed, data = _parse_file(path)
        if parsed.problems or parsed.codebook is None or data is None:
            raise CodebookError(parsed.problems)
        text = data.decode("utf-8")
        return cls(
            path,
            parsed.document,
            parsed.codebook,
            _sha256(data),
            _guess_indent(text),
            newline="\r\n" if "\r\n" in text else "\n",
            bom=text.startswith("\ufeff"),
        )

    def dumps(self) -> str:
        """The document as YAML text (what :meth:`save` writes)."""
        yaml = _yaml()
        mapping, sequence, offset = self._indent
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        stream = StringIO()
        yaml.dump(self.document, stream)
        return stream.getvalue()

    @property
    def dirty(self) -> bool:
        return bool(self.changes)

    def save(self) -> None:
        """Write atomically under the lock; ConflictError if the file changed since it was read."""
        if self._held_lock is not None:
            self._save_locked()
        else:
            with _FileLock(self.path):
                self._save_locked()

    def _save_locked(self) -> None:
        try:
            current: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            current = None
        current_sha = _sha256(current) if current is not None else None
        if current_sha != self.sha256:
            raise ConflictError(
                Problem(
                    "codebook.yaml changed since you loaded it (by another user or editor); reload "
                    "and apply your change again.",
                    path=str(self.path),
                )
            )
        if not self.changes:
            return
        text = self.dumps()
        written = _parse_text(text, str(self.path))
        if written.problems or written.codebook != self.codebook:
            raise CodebookError(
                [
                    Problem(
                        "qualcode could not write the edited codebook so that it loads back unchanged; "
                        "nothing was written.",
                        path=str(self.path),
                        hint="Please report this as a bug, with your codebook.yaml.",
                    )
                ]
                + written.problems
            )
        data = (("\ufeff" if self._bom else "") + text.replace("\n", self._newline)).encode("utf-8")
        folder = self.path.parent
        try:
            self._write_atomically(data, folder, keep_mode=current is not None)
        except OSError as exc:
            raise CodebookError(
                Problem(f"cannot save the codebook: {exc.strerror}.", path=str(self.path), hint="Nothing was changed.")
            ) from None
        self.sha256 = _sha256(data)
        self.changes = []

    def _write_atomically(self, data: bytes, folder: Path, *, keep_mode: bool) -> None:
        """Temp file in the same folder, fsync, rename over the codebook, fsync the folder."""
        fd, temp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if keep_mode:
                os.chmod(temp_name, self.path.stat().st_mode & 0o7777)
            else:
                os.chmod(temp_name, 0o644)
            os.replace(temp_name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable (POSIX only)
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    # -- lookups ----------------------------------------------------------------------------
    def _index(self) -> dict[str, _Located]:
        found: dict[str, _Located] = {}

        def walk(owner: CommentedMap) -> None:
            for key, kind in (("themes", "theme"), ("codes", "code")):
                seq = owner.get(key)
                if isinstance(seq, CommentedSeq):
                    for node in seq:
                        found[str(node["id"])] = _Located(kind, node, seq, owner)
                        if kind == "theme":
                            walk(node)

        walk(self.document)
        cross = self.document.get("cross_cutting")
        if isinstance(cross, CommentedSeq):
            for node in cross:
                found[str(node["id"])] = _Located("cross", node, cross, self.document)
        return found

    def _error(self, message: str, hint: str | None = None, field: str | None = None) -> CodebookError:
        return CodebookError(Problem(message, path=str(self.path), field=field, hint=hint))

    def _find(self, ident: str, kinds: Sequence[str]) -> _Located:
        index = self._index()
        located = index.get(ident)
        if located is not None and located.kind in kinds:
            return located
        names = {"theme": "theme", "code": "code", "cross": "cross-cutting theme"}
        wanted = (
            names[kinds[-1]]
            if len(kinds) == 1
            else (", ".join(names[k] for k in kinds[:-1]) + " or " + names[kinds[-1]])
        )
        valid = [i for i, loc in index.items() if loc.kind in kinds]
        if located is not None:
            raise self._error(
                f"'{ident}' is a {names[located.kind]}, not a {wanted}.", hint=f"Valid: {valid_list(valid)}."
            )
        resolved = self.codebook.resolve(ident) if "code" in kinds else None
        hint = f"'{ident}' is a former name of '{resolved}'." if resolved else did_you_mean(ident, valid) or ""
        raise self._error(
            f"unknown {wanted} '{ident}'.", hint=(hint + " " if hint else "") + f"Valid: {valid_list(valid)}."
        )

    def _check_new_id(self, ident: Any, renaming: str | None = None) -> str:
        """Refuse a malformed id, one in use, or another code's former id (alias)."""
        if not isinstance(ident, str) or not ID_PATTERN.match(ident):
            raise self._error(
                f"'{ident}' is not a valid id: use lower-case letters, digits and '_', starting with a letter.",
                hint=f"Use '{suggest_id(str(ident))}'.",
            )
        index = self._index()
        if ident in index:
            kind = "cross-cutting theme" if index[ident].kind == "cross" else index[ident].kind
            raise self._error(f"id '{ident}' is already used by a {kind}.", hint="Choose another id.")
        owners = [c.id for c in self.codebook.codes.values() if ident in c.aliases and c.id != renaming]
        if owners:
            raise self._error(
                f"id '{ident}' is a former id (alias) of code '{owners[0]}'.",
                hint="Choose another id, so old codings stay unambiguous.",
            )
        return ident

    def _check_label(self, label: Any) -> str:
        if not isinstance(label, str) or not label.strip():
            raise self._error(f"a label must be non-empty text, got {label!r}.")
        return label.strip()

    def _record(self, action: str, before: Any, after: Any) -> dict[str, Any]:
        """Re-validate the edited document (raise if broken) and log the change.

        Validation runs on the in-memory document (fast); :meth:`save` additionally
        checks that the text it writes loads back.
        """
        validator = _Validator(str(self.path))
        validator.top(self.document)
        if validator.problems:
            raise CodebookError(validator.problems)  # _atomic restores the document
        self.codebook = validator.codebook(self.document)
        change = {"action": action, "before": before, "after": after}
        self.changes.append(change)
        return change

    def _describe(self, ident: str) -> dict[str, Any]:
        """A plain snapshot of one node for change records."""
        if ident in self.codebook.codes:
            code = self.codebook.codes[ident]
            return {
                "kind": "code",
                "id": code.id,
                "label": code.label,
                "theme": code.theme,
                "aliases": list(code.aliases),
                "cross_cutting": self.codebook.cross_cutting_of(ident),
            }
        if ident in self.codebook.themes:
            theme = self.codebook.themes[ident]
            return {
                "kind": "theme",
                "id": theme.id,
                "label": theme.label,
                "parent": theme.parent,
                "aliases": list(theme.aliases),
            }
        cross = self.codebook.cross_cutting[ident]
        return {"kind": "cross_cutting", "id": cross.id, "label": cross.label, "codes": list(cross.codes)}

    def _children(self, owner: CommentedMap, key: str) -> CommentedSeq:
        """``owner[key]`` as a list, created (at its place in the key order) if missing."""
        seq = owner.get(key)
        if isinstance(seq, CommentedSeq):
            return seq
        seq = CommentedSeq()
        order = TOP_KEYS if owner is self.document else THEME_KEYS
        _set_key(owner, key, seq, order)
        return seq

    # -- operations ----------------------------------------------------------------------------
    @_atomic
    def add_theme(
        self,
        theme_id: str,
        label: str,
        parent_id: str | None = None,
        *,
        description: str = "",
        color: str | None = None,
    ) -> dict[str, Any]:
        """Add a theme at the end of ``parent_id``'s sub-themes (or of the main themes)."""
        self._check_new_id(theme_id)
        node = CommentedMap([("id", theme_id), ("label", self._check_label(label))])
        if description:
            node["description"] = description
        if color is not None:
            if not isinstance(color, str) or not COLOR_PATTERN.match(color):
                raise self._error(f"colour {color!r} is not a '#rrggbb' colour.", hint="For example '#4e79a7'.")
            node["color"] = color
        owner = self._find(parent_id, ("theme",)).node if parent_id is not None else self.document
        _append_item(self._children(owner, "themes"), node)
        return self._record(
            "add_theme", None, {"kind": "theme", "id": theme_id, "label": label.strip(), "parent": parent_id}
        )

    @_atomic
    def add_code(
        self,
        code_id: str,
        label: str,
        theme_id: str | None = None,
        *,
        description: str = "",
        include: str = "",
        exclude: str = "",
        examples: Sequence[str] = (),
        patterns: Sequence[Any] = (),
    ) -> dict[str, Any]:
        """Add a code to a theme; without ``theme_id`` it goes under 'uncategorised'."""
        self._check_new_id(code_id)
        label = self._check_label(label)
        if theme_id is None:
            theme_id = UNCATEGORISED
            if UNCATEGORISED not in self.codebook.themes:
                if UNCATEGORISED in self.codebook.codes:
                    raise self._error(
                        f"'{UNCATEGORISED}' is a code, so codes without a theme cannot be put there.",
                        hint="Give a theme id.",
                    )
                owner = CommentedMap([("id", UNCATEGORISED), ("label", "Uncategorised")])
                _append_item(self._children(self.document, "themes"), owner)
        theme = self._find(theme_id, ("theme",)).node
        node = CommentedMap([("id", code_id), ("label", label)])
        for key, value in (("description", description), ("include", include), ("exclude", exclude)):
            if value:
                node[key] = value
        examples = [examples] if isinstance(examples, str) else list(examples)
        if examples:
            node["example"] = examples if len(examples) > 1 else examples[0]
        if patterns:
            node["patterns"] = CommentedSeq(_pattern_node(p) for p in patterns)
        _append_item(self._children(theme, "codes"), node)
        return self._record("add_code", None, {"kind": "code", "id": code_id, "label": label, "theme": theme_id})

    @_atomic
    def rename(self, old_id: str, new_id: str | None = None, new_label: str | None = None) -> dict[str, Any]:
        """Change an id and/or label; the old id/label of a code or theme go into ``aliases``."""
        located = self._find(old_id, ("code", "theme", "cross"))
        before = self._describe(old_id)
        if new_id == old_id:
            new_id = None
        if new_label is not None:
            new_label = self._check_label(new_label)
            if new_label == before["label"]:
                new_label = None
        if new_id is None and new_label is None:
            raise self._error(f"nothing to rename: give '{old_id}' a new id or a new label.")
        if new_id is not None:
            self._check_new_id(new_id, renaming=old_id)
        node = located.node
        if located.kind != "cross":
            aliases = [str(a) for a in before["aliases"]]
            added = ([old_id] if new_id else []) + ([before["label"]] if new_label else [])
            current = {new_id or old_id, new_label or before["label"]}
            aliases = [a for a in aliases if a not in current]
            aliases += [a for a in added if a not in aliases and a not in current]
            existing = node.get("aliases")
            if isinstance(existing, CommentedSeq):
                existing[:] = aliases  # keeps the list's style and comments
            elif aliases:
                _set_key(node, "aliases", _flow_list(aliases), THEME_KEYS if located.kind == "theme" else CODE_KEYS)
            if not aliases and "aliases" in node:
                del node["aliases"]
        if new_id is not None:
            node["id"] = new_id
            if located.kind == "code":
                for cross in self.document.get("cross_cutting") or []:
                    members = cross.get("codes")
                    if isinstance(members, list) and old_id in members:
                        members[members.index(old_id)] = new_id
        if new_label is not None:
            node["label"] = new_label
        change = self._record("rename", before, None)
        change["after"] = self._describe(new_id or old_id)
        return change

    @_atomic
    def move(self, node_id: str, new_parent_id: str | None) -> dict[str, Any]:
        """Move a code or theme to the end of another theme (None: top level)."""
        located = self._find(node_id, ("code", "theme"))
        before = self._describe(node_id)
        if new_parent_id is not None:
            target = self._find(new_parent_id, ("theme",)).node
            if located.kind == "theme" and node_id in self.codebook.theme_path(new_parent_id):
                raise self._error(
                    f"cannot move theme '{node_id}' into '{new_parent_id}': "
                    f"'{new_parent_id}' is '{node_id}' itself or one of its "
                    "sub-themes.",
                    hint="Move the sub-theme out first.",
                )
        else:
            target = self.document
        if located.owner is target:
            raise self._error(f"'{node_id}' is already in {repr(new_parent_id) if new_parent_id else 'the top level'}.")
        seq, key = located.seq, "themes" if located.kind == "theme" else "codes"
        _remove_item(located.owner, key, next(i for i, n in enumerate(seq) if n is located.node))
        _append_item(self._children(target, key), located.node)
        change = self._record("move", before, None)
        change["after"] = self._describe(node_id)
        return change

    @_atomic
    def merge(self, source_id: str, target_id: str) -> dict[str, Any]:
        """Fold code ``source_id`` into ``target_id``: its id, label and aliases become aliases
        of the target and its cross-cutting memberships move over.  The caller moves the codings.
        """
        source = self._find(source_id, ("code",))
        target = self._find(target_id, ("code",))
        if source_id == target_id:
            raise self._error(f"cannot merge '{source_id}' into itself.")
        before = {"source": self._describe(source_id), "target": self._describe(target_id)}
        src, tgt = self.codebook.codes[source_id], self.codebook.codes[target_id]
        aliases = list(tgt.aliases)
        for alias in (src.id, src.label, *src.aliases):
            if alias not in aliases and alias not in (tgt.id, tgt.label):
                aliases.append(alias)
        existing = target.node.get("aliases")
        if isinstance(existing, CommentedSeq):
            existing[:] = aliases
        else:
            _set_key(target.node, "aliases", _flow_list(aliases), CODE_KEYS)
        for cross in self.document.get("cross_cutting") or []:
            members = cross.get("codes")
            if isinstance(members, list) and source_id in members:
                position = members.index(source_id)
                if target_id in members:
                    del members[position]
                else:
                    members[position] = target_id
        _remove_item(source.owner, "codes", next(i for i, n in enumerate(source.seq) if n is source.node))
        change = self._record("merge", before, None)
        change["after"] = {"target": self._describe(target_id)}
        return change

    @_atomic
    def delete(self, node_id: str) -> dict[str, Any]:
        """Remove a code (and its cross-cutting memberships), an empty theme or a
        cross-cutting theme.  The caller refuses deleting a code that codings still use."""
        located = self._find(node_id, ("code", "theme", "cross"))
        before = self._describe(node_id)
        if located.kind == "theme":
            inside = self.codebook.child_themes(node_id) + self.codebook.codes_in(node_id)
            if inside:
                raise self._error(
                    f"theme '{node_id}' is not empty: it holds {valid_list(inside)}.",
                    hint="Move or delete its codes and sub-themes first.",
                )
        if located.kind == "code":
            for cross in self.document.get("cross_cutting") or []:
                members = cross.get("codes")
                if isinstance(members, list) and node_id in members:
                    del members[members.index(node_id)]
        key = {"theme": "themes", "code": "codes", "cross": "cross_cutting"}[located.kind]
        _remove_item(located.owner, key, next(i for i, n in enumerate(located.seq) if n is located.node))
        return self._record("delete", before, None)

    @_atomic
    def update(self, node_id: str, **fields: Any) -> dict[str, Any]:
        """Set descriptive fields: on a code ``description``, ``include``, ``exclude``,
        ``examples``, ``patterns``; on a theme ``description``, ``color``; on a cross-cutting
        theme ``description``.  An empty value ("", None, []) removes the key."""
        located = self._find(node_id, ("code", "theme", "cross"))
        allowed = {
            "code": ("description", "include", "exclude", "examples", "patterns"),
            "theme": ("description", "color"),
            "cross": ("description",),
        }[located.kind]
        unknown = [f for f in fields if f not in allowed]
        if unknown or not fields:
            hint = did_you_mean(unknown[0], allowed) if unknown else None
            raise self._error(
                f"cannot update {', '.join(map(repr, unknown)) or 'nothing'} on '{node_id}'.",
                hint=(hint + " " if hint else "") + f"Fields you can update: {', '.join(allowed)}.",
            )
        order = {"code": CODE_KEYS, "theme": THEME_KEYS, "cross": CROSS_KEYS}[located.kind]
        node, before, after = located.node, {}, {}
        for name, value in fields.items():
            key = "example" if name == "examples" else name
            before[name] = _plain(node.get(key))
            if name == "examples" and isinstance(value, str):
                value = [value]
            if name == "examples" and value:
                value = list(value) if len(value) > 1 else value[0]
            elif name == "patterns" and value:
                value = CommentedSeq(_pattern_node(p) for p in value)
            if value in (None, "", [], ()):
                if key in node:
                    del node[key]
            else:
                _set_key(node, key, value, order)
            after[name] = _plain(node.get(key))
        kind = {"code": "code", "theme": "theme", "cross": "cross_cutting"}[located.kind]
        return self._record("update", {"kind": kind, "id": node_id, **before}, {"kind": kind, "id": node_id, **after})

    @_atomic
    def add_cross_cutting(
        self, cross_id: str, label: str, codes: Sequence[str] = (), *, description: str = ""
    ) -> dict[str, Any]:
        """Add a cross-cutting theme (a named set of existing codes)."""
        self._check_new_id(cross_id)
        node = CommentedMap([("id", cross_id), ("label", self._check_label(label))])
        if description:
            node["description"] = description
        for code in codes:
            self._find(code, ("code",))  # unknown code → error with suggestions
        node["codes"] = _flow_list(list(codes))
        _append_item(self._children(self.document, "cross_cutting"), node)
        return self._record(
            "add_cross_cutting",
            None,
            {"kind": "cross_cutting", "id": cross_id, "label": label.strip(), "codes": list(codes)},
        )

    @_atomic
    def set_members(self, cross_id: str, codes: Sequence[str]) -> dict[str, Any]:
        """Replace the codes of a cross-cutting theme (kept codes keep their comments)."""
        located = self._find(cross_id, ("cross",))
        for code in codes:
            self._find(code, ("code",))
        before = self._describe(cross_id)
        members = located.node.get("codes")
        if isinstance(members, CommentedSeq):
            for code in [c for c in members if c not in codes]:
                del members[members.index(code)]
            for code in codes:
                if code not in members:
                    members.append(code)
        else:
            _set_key(located.node, "codes", _flow_list(list(codes)), CROSS_KEYS)
        change = self._record("set_members", before, None)
        change["after"] = self._describe(cross_id)
        return change

    def __repr__(self) -> str:
        return (
            f"CodebookFile({str(self.path)!r}, {len(self.codebook.codes)} codes, {len(self.changes)} unsaved changes)"
        )


@contextlib.contextmanager
def edit_codebook(
    path: str | os.PathLike[str], *, create: bool = False, timeout: float = LOCK_TIMEOUT_SECONDS
) -> Iterator[CodebookFile]:
    """Open the codebook under its lock, yield the handle, save if the block succeeds.

    The lock is held from reading to writing, so the read-modify-write cycle is atomic
    against other qualcode processes (an editor saving meanwhile is still caught by the
    sha256 check in :meth:`CodebookFile.save`).
    """
    path = Path(path)
    with _FileLock(path, timeout) as lock:
        handle = CodebookFile.open(path, create=create)
        handle._held_lock = lock
        try:
            yield handle
            handle.save()
        finally:
            handle._held_lock = None


__all__ = [
    "MAX_CODEBOOK_BYTES",
    "ID_PATTERN",
    "TOP_KEYS",
    "THEME_KEYS",
    "CODE_KEYS",
    "CROSS_KEYS",
    "suggest_id",
    "parse_codebook",
    "load_codebook",
    "validate_codebook",
    "codebook_to_dict",
    "dump_codebook",
    "CodebookFile",
    "edit_codebook",
]
