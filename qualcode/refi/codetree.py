"""Map a REFI-QDA code tree and its code sets onto qualcode themes, codes and cross-cuts.

A REFI code **with children** becomes a theme; if it is codable and text was coded with
it directly, a code of the same name under that theme holds those codings.  A codable
code without children becomes a code under its parent's theme (top level without a
parent); a non-codable one an empty theme.  Ids come from a ``[qualcode]`` block in the
Description when present, else from the name as a slug, unique across everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..model import Code, Codebook, CrossCut, Theme
from .common import (
    ID_PATTERN,
    RGB_PATTERN,
    comment_fields,
    guid_key,
    plural,
    quoted_list,
    slugify,
    split_description,
    unique_id,
    were,
)


@dataclass
class _Node:
    guid: str
    name: str
    codable: bool
    color: str | None
    description: str
    children: list[_Node] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # from a ``qualcode {json}`` comment

    def definition(self) -> tuple[str, dict[str, Any]]:
        """(description, qualcode fields): a ``[qualcode]`` block in the Description, then the comment."""
        description, fields = split_description(self.description)
        return description, {**fields, **self.fields}


def normalise_color(color: str | None) -> str | None:
    """``#rrggbb`` as qualcode codebooks require (REFI also allows ``#rgb``); None if invalid.

    >>> normalise_color("#F0a"), normalise_color("#4E79A7"), normalise_color("red")
    ('#FF00aa', '#4E79A7', None)
    """
    if not color or not RGB_PATTERN.match(color.strip()):
        return None
    digits = color.strip()[1:]
    return "#" + ("".join(ch * 2 for ch in digits) if len(digits) == 3 else digits)


def _nodes(codes_el: etree._Element | None) -> list[_Node]:
    if codes_el is None:
        return []
    result = []
    for element in codes_el.findall("Code"):
        description = element.findtext("Description") or ""
        name = element.get("name") or ""
        node = _Node(
            guid_key(element.get("guid")),
            name if name.strip() else "",
            (element.get("isCodable") or "true").strip().lower() in {"true", "1"},
            normalise_color(element.get("color")),
            description,
            _nodes(element),
            comment_fields(element),
        )
        result.append(node)
    return result


def nest_path_names(nodes: list[_Node]) -> list[_Node]:
    """Taguette writes its tag hierarchy as flat codes named ``parent\\child``: nest them.

    Only a flat list is reorganised (a tool that nests its codes means what it wrote); a
    missing parent becomes a non-codable folder, an existing code of that name the parent.
    """
    if any(node.children for node in nodes) or not any("\\" in node.name for node in nodes):
        return nodes
    by_path: dict[str, _Node] = {}
    roots: list[_Node] = []
    order = {id(n): i for i, n in enumerate(nodes)}
    for node in sorted(nodes, key=lambda n: n.name.count("\\")):  # parents before children
        parts = [p.strip() for p in node.name.split("\\")]
        if not all(parts):
            roots.append(node)
            continue
        parent: _Node | None = None
        for depth in range(1, len(parts)):
            path = "\\".join(parts[:depth])
            if path not in by_path:
                folder = _Node(f"path:{path}", parts[depth - 1], False, None, "")
                order[id(folder)] = order[id(node)]
                (parent.children if parent else roots).append(folder)
                by_path[path] = folder
            parent = by_path[path]
        node.name = parts[-1]
        by_path.setdefault("\\".join(parts), node)
        (parent.children if parent else roots).append(node)
    roots.sort(key=lambda n: order[id(n)])
    return roots


@dataclass
class CodebookBuild:
    codebook: Codebook
    code_of_guid: dict[str, str]
    theme_of_guid: dict[str, str]
    set_of_guid: dict[str, str] = field(default_factory=dict)


def build_codebook(
    codes_el: etree._Element | None,
    set_elements: list[etree._Element],
    coded_guids: set[str],
    warnings: list[str],
    title: str = "",
) -> CodebookBuild:
    """Map the REFI code tree onto qualcode themes and codes (see the package docstring)."""
    builder = _Builder(Codebook(title=title), coded_guids)
    for node in nest_path_names(_nodes(codes_el)):
        builder.walk(node, None, None)
    for element in set_elements:
        builder.add_set(element)
    builder.warn(warnings)
    return CodebookBuild(builder.codebook, builder.code_of, builder.theme_of, builder.set_of)


class _Builder:
    """The state of one mapping: ids used, which GUID became what, and what was lost."""

    def __init__(self, codebook: Codebook, coded_guids: set[str]) -> None:
        self.codebook = codebook
        self.coded_guids = coded_guids
        self.code_of: dict[str, str] = {}
        self.theme_of: dict[str, str] = {}
        self.set_of: dict[str, str] = {}
        self.used: set[str] = set()
        self.lost_colours: list[str] = []
        self.codable_parents: list[str] = []
        self.empty_sets: list[str] = []
        self.source_sets: list[str] = []
        self.unresolved = 0

    def choose_id(self, fields: dict[str, Any], name: str) -> str:
        wanted = fields.get("id")
        if isinstance(wanted, str) and ID_PATTERN.match(wanted) and wanted not in self.used:
            self.used.add(wanted)
            return wanted
        return unique_id(slugify(name), self.used)

    def add_code(self, node: _Node, theme: str | None, inherited: str | None, *, own_id: bool = True) -> None:
        description, fields = node.definition()
        label = node.name or node.guid
        code_id = self.choose_id(fields if own_id else {}, label)
        self.codebook.codes[code_id] = Code(
            id=code_id,
            label=label,
            theme=theme,
            description=description,
            include=str(fields.get("include", "") or ""),
            exclude=str(fields.get("exclude", "") or ""),
            examples=tuple(str(e) for e in fields.get("examples", [])),
            aliases=tuple(str(a) for a in fields.get("aliases", [])) if own_id else (),
            patterns=tuple(fields.get("patterns", [])) if own_id else (),
        )
        self.code_of[node.guid] = code_id
        if node.color and (inherited or "").lower() != node.color.lower():
            self.lost_colours.append(label)

    def walk(self, node: _Node, parent: str | None, inherited: str | None) -> None:
        label = node.name or node.guid
        if node.codable and not node.children:
            self.add_code(node, parent, inherited)
            return
        description, fields = node.definition()
        theme_id = self.choose_id(fields, label)
        self.codebook.themes[theme_id] = Theme(
            id=theme_id,
            label=label,
            parent=parent,
            description=description,
            color=node.color,
            aliases=tuple(str(a) for a in fields.get("aliases", [])),
        )
        self.theme_of[node.guid] = theme_id
        if node.codable:
            if node.guid in self.coded_guids:
                # Text coded with the parent code itself keeps a home: a code of the same name.
                self.add_code(node, theme_id, node.color or inherited, own_id=False)
            else:
                self.codable_parents.append(label)
        for child in node.children:
            self.walk(child, theme_id, node.color or inherited)

    def add_set(self, element: etree._Element) -> None:
        """A Set of codes becomes a cross-cutting theme; sets of sources or notes are reported."""
        name = element.get("name") or ""
        name = name if name.strip() else guid_key(element.get("guid"))
        description, fields = split_description(element.findtext("Description"))
        fields = {**fields, **comment_fields(element)}
        members: list[str] = []
        for member in element.findall("MemberCode"):
            key = guid_key(member.get("targetGUID") or member.get("guid"))
            if key in self.code_of:
                ids = [self.code_of[key]]
            elif key in self.theme_of:  # a whole folder in the set: take every code under it
                ids = self.codebook.codes_in(self.theme_of[key])
            else:
                self.unresolved += 1
                ids = []
            members += [i for i in ids if i not in members]
        other = len(element.findall("MemberSource")) + len(element.findall("MemberNote"))
        if members or (not other and "id" in fields):
            set_id = self.choose_id(fields, name)
            self.codebook.cross_cutting[set_id] = CrossCut(set_id, name, tuple(members), description)
            self.set_of[guid_key(element.get("guid"))] = set_id
        if other:
            self.source_sets.append(name)
        elif not members and "id" not in fields:
            self.empty_sets.append(name)

    def warn(self, warnings: list[str]) -> None:
        if self.codable_parents:
            n = len(self.codable_parents)
            warnings.append(
                f"{plural(n, 'codable code')} with sub-codes ({quoted_list(self.codable_parents)}) became themes; "
                "they had no text codings of their own."
            )
        if self.lost_colours:
            n = len(self.lost_colours)
            warnings.append(
                f"{plural(n, 'code colour')} ({quoted_list(self.lost_colours)}) {were(n)} not carried over: qualcode "
                "colours themes, and codes inherit their theme's colour."
            )
        if self.source_sets:
            n = len(self.source_sets)
            warnings.append(
                f"{plural(n, 'set')} of documents or memos ({quoted_list(self.source_sets)}) {were(n)} not carried "
                "over: qualcode sets (cross-cutting themes) only hold codes."
            )
        if self.empty_sets:
            n = len(self.empty_sets)
            warnings.append(f"{plural(n, 'empty set')} ({quoted_list(self.empty_sets)}) {were(n)} skipped.")
        if self.unresolved:
            n = self.unresolved
            warnings.append(f"{plural(n, 'set member')} pointed at codes that do not exist and {were(n)} skipped.")


__all__ = ["CodebookBuild", "build_codebook"]
