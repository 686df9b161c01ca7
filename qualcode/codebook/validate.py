"""Validation of a parsed codebook document: every problem located (line, column, field path)."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from qualcode.errors import Problem, did_you_mean, valid_list
from qualcode.model import Code, Codebook, CrossCut, Theme

from ..slug import slugify
from .rules import _KEYS_OF, COLOR_PATTERN, ID_PATTERN, SCALE_LEVELS, TOP_KEYS


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
        self.scale_checks: list[tuple[CommentedMap, str, str]] = []  # (theme node, field, id)

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
        from_label = slugify(label) if isinstance(label, str) and label.strip() else None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            hint = f"Add 'id: {from_label}'." if from_label else "Add a line 'id: some_id'."
            self.add(f"this {kind} has {'an empty' if 'id' in node else 'no'} 'id'.", f"{field}.id", where, hint=hint)
            return None
        if not isinstance(raw, str):
            self.add(
                f"'id' must be text, found {_type_name(raw)}.",
                f"{field}.id",
                where,
                hint=f"Use an id such as '{slugify(str(raw))}'.",
            )
            return None
        ident = str(raw).strip()
        if not ID_PATTERN.match(ident):
            self.add(
                f"id '{ident}' is not a valid id: use lower-case letters, digits and '_', starting with a letter.",
                f"{field}.id",
                where,
                hint=f"Use '{slugify(ident)}'.",
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
        own = bool(ident) and ident not in self.themes and ident not in self.codes
        if ident and own:
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
        if own and ("scale" in node or "order" in node):
            self.scale_checks.append((node, field, theme.id))  # once every code is known

    def scale(self, node: CommentedMap, field: str, theme: Theme) -> tuple[str | None, tuple[str, ...]]:
        """``scale:`` (the level of measurement of the theme's codes as values of one variable)
        and ``order:`` (the theme's own codes, lowest first); ``order`` alone means ordinal."""
        hint_order = (
            "List the theme's codes from lowest to highest, e.g. order: [disagree, neutral, agree] "
            "(see 'Scales' in docs/codebook-format.md)."
        )
        level: str | None = "ordinal"
        if "scale" in node:
            raw = node.get("scale")
            where = self._value_where(node, "scale")
            if not isinstance(raw, str) or raw.strip() not in SCALE_LEVELS:
                shown = raw.strip() if isinstance(raw, str) else None
                hint = (did_you_mean(shown, SCALE_LEVELS) or "") if shown else ""
                self.add(
                    f"'scale' must be one of {', '.join(SCALE_LEVELS)}, found {_type_name(raw)}.",
                    _sub(field, "scale"),
                    where,
                    hint=(hint + " " if hint else "") + "nominal: unordered categories; ordinal: ranked; "
                    "interval/ratio: equally spaced ranks.",
                )
                return None, ()
            level = raw.strip()
        own = [c.id for c in self.codes.values() if c.theme == theme.id]
        if "order" not in node or node.get("order") is None:
            if level != "nominal":
                self.add(
                    f"a theme with 'scale: {level}' needs an 'order' of its codes: labels have no order of "
                    "their own (they are not sorted alphabetically).",
                    _sub(field, "order"),
                    self._value_where(node, "scale"),
                    hint=f"Add 'order: [{', '.join(own[:3]) or '...'}{', ...' if len(own) > 3 else ''}]' "
                    "with the codes from lowest to highest, or use 'scale: nominal'.",
                )
            return level, ()
        order: list[str] = []
        for i, item in self.entries(node, "order", field):
            here, where = f"{field}.order[{i}]", self._where(node["order"], i)
            ref = str(item).strip() if isinstance(item, str) else None
            if not ref:
                self.add(f"'order' entries must be code ids, found {_type_name(item)}.", here, where, hint=hint_order)
            elif ref in order:
                self.add(f"code '{ref}' is listed twice in 'order'.", here, where, hint="Remove one of the two.")
            elif ref not in own:
                elsewhere = self.codes.get(ref)
                if elsewhere is not None:
                    message = f"'{ref}' is not a code of this theme (it is under '{elsewhere.theme}')."
                    hint = "'order' lists this theme's own codes; move the code here or leave it out."
                else:
                    message = f"unknown code '{ref}' in 'order'."
                    hint = did_you_mean(ref, own) or f"This theme's codes: {valid_list(own) or 'none'}."
                self.add(message, here, where, hint=hint)
            else:
                order.append(ref)
        if isinstance(node.get("order"), list) and len(node["order"]) < 2:
            self.add(
                "'order' needs at least two codes: a scale with one value has nothing to rank.",
                _sub(field, "order"),
                self._where(node, "order"),
                hint=hint_order,
            )
        return level, tuple(order)

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
            **self.applications(node, field),
        )
        if ident and ident not in self.codes and ident not in self.themes:
            self.codes[ident] = code
            for i, alias in enumerate(aliases):
                seq = node["aliases"]
                where = self._where(seq, i) if isinstance(seq, list) else self._where(node, "aliases")
                self.code_aliases.append((ident, alias, f"{field}.aliases[{i}]", *where))

    def applications(self, node: CommentedMap, field: str) -> dict[str, Any]:
        """``applications: {count: N, source: "..."}``: applications recorded outside qualcode."""
        if "applications" not in node or node["applications"] is None:
            return {}
        value, here = node["applications"], _sub(field, "applications")
        hint = "Write e.g. applications: {count: 10, source: \"Appendix B, 'Number of codes'\"} (source required)."
        if not isinstance(value, CommentedMap):
            self.add(
                f"'applications' must be a mapping, found {_type_name(value)}.",
                here,
                self._where(node, "applications"),
                hint=hint,
            )
            return {}
        count, source = value.get("count"), value.get("source")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            self.add(
                f"'applications.count' must be a whole number >= 0, found {count!r}.",
                here,
                self._where(node, "applications"),
                hint=hint,
            )
            return {}
        if not isinstance(source, str) or not source.strip():
            self.add(
                "'applications.source' must say where the count comes from.",
                here,
                self._where(node, "applications"),
                hint=hint,
            )
            return {}
        extra = [k for k in value if k not in ("count", "source")]
        if extra:
            self.add(f"unknown key '{extra[0]}' in 'applications'.", here, self._where(node, "applications"), hint=hint)
            return {}
        return {"applications": count, "applications_source": source.strip()}

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
        for node, field, tid in self.scale_checks:
            scale, order = self.scale(node, field, self.themes[tid])
            self.themes[tid] = dataclasses.replace(self.themes[tid], scale=scale, order=order)
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
        appendix = doc.get("appendix") if isinstance(doc, CommentedMap) else None
        return Codebook(
            themes=self.themes,
            codes=self.codes,
            cross_cutting=self.cross,
            title=str(title) if isinstance(title, str) else "",
            appendix=_plain(appendix) if isinstance(appendix, CommentedMap) else {},
        )
