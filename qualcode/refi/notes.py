"""Notes: coding memos, the framework matrix's summaries, document, code and project memos."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ..frames import AnalysisData, is_missing
from ..model import Codebook
from .common import stable_guid, to_xsd_datetime
from .guids import GuidMap
from .qdc import _sub
from .variables import _clean


@dataclass
class _NoteRecord:
    guid: str
    name: str
    text: str
    creator: str
    description: str | None = None
    created: str | None = None  # xsd:dateTime
    modifier: str | None = None  # user GUID
    modified: str | None = None


def framework_note_guid(participant: str, theme: str) -> str:
    return stable_guid("framework_summary", participant, theme)


def _framework_authors(summaries: Sequence[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for record in summaries:
        for key in ("created_by", "updated_by"):
            name = str(record.get(key) or "")
            if name and name not in names:
                names.append(name)
    return names


def _framework_note_records(
    root: etree._Element, ns: str, codebook: Codebook, summaries: Sequence[Mapping[str, Any]], ids: GuidMap
) -> list[_NoteRecord]:
    """The framework matrix's summaries as Notes, each referred to (NoteRef) by its theme's Code.
    A Case cannot refer to a Note in REFI-QDA 1.5, so the participant is in the Note's name and
    Description ("participant: A; theme: t")."""
    records: list[_NoteRecord] = []
    theme_codes = {el.get("guid"): el for el in root.iter(f"{{{ns}}}Code") if el.get("isCodable") == "false"}
    for summary in summaries:
        participant, theme = str(summary["participant"]), str(summary["theme"])
        guid = framework_note_guid(participant, theme)
        label = str(summary.get("participant_label") or participant)
        theme_label = str(summary.get("theme_label") or theme)
        records.append(
            _NoteRecord(
                guid,
                f"Framework summary: {label} – {theme_label}",
                str(summary["text"]),
                ids("user", str(summary.get("created_by") or "unknown")),
                description=f"participant: {participant}; theme: {theme} (qualcode framework matrix)",
                created=to_xsd_datetime(summary.get("created_at")),
                modifier=ids("user", str(summary.get("updated_by") or summary.get("created_by") or "unknown")),
                modified=to_xsd_datetime(summary.get("updated_at")),
            )
        )
        code = theme_codes.get(ids("theme", theme)) if theme in codebook.themes else None
        if code is not None:
            # CodeType: Description?, NoteRef*, Code* — the NoteRef goes before the child codes.
            children = [c for c in code if isinstance(c.tag, str)]
            after = [c for c in children if c.tag in (f"{{{ns}}}Description", f"{{{ns}}}NoteRef")]
            position = (
                code.index(after[-1]) + 1
                if after
                else next((code.index(c) for c in children if c.tag == f"{{{ns}}}Code"), len(code))
            )
            ref = etree.Element(f"{{{ns}}}NoteRef", {"targetGUID": guid})
            code.insert(position, ref)
    return records


def _notes_element(root: etree._Element, ns: str, notes: list[_NoteRecord]) -> None:
    if notes:
        notes_el = _sub(root, ns, "Notes")
        for record in notes:
            attributes = {
                "guid": record.guid,
                "name": record.name,
                "creatingUser": record.creator,
                "creationDateTime": record.created,
                "modifyingUser": record.modifier,
                "modifiedDateTime": record.modified,
            }
            note = _sub(notes_el, ns, "Note", attributes)
            if record.description:
                _sub(note, ns, "Description", text=record.description)
            _sub(note, ns, "PlainTextContent", text=record.text)


@dataclass(frozen=True)
class _MemoRef:
    """Where a memo's NoteRef goes: the element with ``guid`` (a TextSource or Code), or the
    Project itself (``guid`` None)."""

    guid: str | None
    note: str


def _memo_authors(data: AnalysisData, names: list[str]) -> list[str]:
    """``names`` and then every memo author not among them (each Note's creatingUser is a User)."""
    authors = [str(a) for a in data.memos["author"]] if len(data.memos) else []
    return names + [a for a in dict.fromkeys(authors) if a not in names]


def _memo_notes(data: AnalysisData, notes: list[_NoteRecord], ids: GuidMap) -> list[_MemoRef]:
    """Document, code and project memos as Notes (appended to ``notes``), each with the item its
    NoteRef goes on: the TextSource of its interview, the Code of its code or theme, the Project.
    A memo whose interview or code is not in the export (removed since) is still written, as a
    Note without NoteRef."""
    cb = data.codebook
    refs: list[_MemoRef] = []
    for memo in data.memos.itertuples(index=False):
        kind, target = str(memo.kind), None if is_missing(memo.target) else str(memo.target)
        guid = ids("memo", memo.memo_id)
        where: str | None
        if kind == "document":
            where = ids("source", target) if target in data.texts else None
            about = f"interview {target}"
        elif kind == "code":
            where = ids("code", target) if target in cb.codes else ids("theme", target) if target in cb.themes else None
            item = cb.codes.get(target or "") or cb.themes.get(target or "")
            about = f"code {item.label if item is not None else target}"
        else:
            where, about = None, "the project"
        title = "" if is_missing(memo.title) else str(memo.title)
        notes.append(
            _NoteRecord(
                guid,
                title or f"Memo on {about}",
                str(memo.text),
                ids("user", str(memo.author)),
                created=to_xsd_datetime(_clean(memo.created_at)),
                modified=to_xsd_datetime(_clean(memo.updated_at)),
            )
        )
        if kind == "project":
            refs.append(_MemoRef(None, guid))
        elif where is not None:
            refs.append(_MemoRef(where, guid))
    return refs


def _memo_note_refs(root: etree._Element, ns: str, refs: list[_MemoRef]) -> None:
    """The NoteRefs of the memos, each where the schema puts it: a Code's after its Description
    (before its sub-codes), a TextSource's after its selections and codings (before its
    VariableValues), the Project's last."""
    if not refs:
        return
    by_guid = {el.get("guid"): el for el in root.iter(f"{{{ns}}}Code", f"{{{ns}}}TextSource")}
    for ref in refs:
        if ref.guid is None:
            _sub(root, ns, "NoteRef", {"targetGUID": ref.note})
            continue
        element = by_guid.get(ref.guid)
        if element is None:
            continue
        before = "Code" if element.tag == f"{{{ns}}}Code" else "VariableValue"
        note_ref = etree.Element(f"{{{ns}}}NoteRef", {"targetGUID": ref.note})
        first = next((child for child in element if child.tag == f"{{{ns}}}{before}"), None)
        if first is None:
            element.append(note_ref)
        else:
            first.addprevious(note_ref)
