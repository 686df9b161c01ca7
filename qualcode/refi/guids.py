"""Stable GUIDs of what qualcode writes (uuid5 of a typed key), and the map that keeps the
GUIDs an imported project gave its items."""

from __future__ import annotations

from collections.abc import Mapping

from .common import guid_key, stable_guid


def theme_guid(theme_id: str) -> str:
    return stable_guid("theme", theme_id)


def code_guid(code_id: str) -> str:
    return stable_guid("code", code_id)


def set_guid(cross_cut_id: str) -> str:
    return stable_guid("set", cross_cut_id)


def user_guid(name: str) -> str:
    return stable_guid("user", name)


def source_guid(document: str) -> str:
    return stable_guid("source", document)


def selection_guid(document: str, start: int, end: int) -> str:
    return stable_guid("selection", document, start, end)


def coding_guid(document: str, start: int, end: int, code: str, annotator: str) -> str:
    return stable_guid("coding", document, start, end, code, annotator)


class GuidMap:
    """The GUID of each exported item: the other tool's where qualcode kept one (so a file
    sent back updates that tool's items instead of duplicating them), else qualcode's own
    stable GUID.  A foreign GUID is used once; a second item claiming it gets its own."""

    def __init__(self, foreign: Mapping[tuple[str, str], str] | None = None, *, qualcode_block: bool = False) -> None:
        self.foreign = dict(foreign or {})
        self.qualcode_block = qualcode_block  # qualcode's fields in the Description (see _definition)
        self.given: dict[tuple[str, str], str] = {}
        self.taken: set[str] = set()

    def __call__(self, kind: str, item: object) -> str:
        key = (kind, str(item))
        if key not in self.given:
            guid = self.foreign.get(key)
            if not guid or guid_key(guid) in self.taken:
                guid = stable_guid(kind, item)
            self.taken.add(guid_key(guid))
            self.given[key] = guid
        return self.given[key]


def case_guid(participant: str) -> str:
    return stable_guid("case", participant)


def variable_guid(name: str) -> str:
    return stable_guid("variable", name)
