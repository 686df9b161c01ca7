"""Text sources and their selections: every coded span once, each annotator's code on it a Coding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from lxml import etree

from ..frames import AnalysisData
from ..model import Codebook
from .common import stable_guid, to_xsd_datetime
from .guids import GuidMap, coding_guid, selection_guid
from .notes import _NoteRecord
from .options import ExportOptions
from .qdc import _sub
from .variables import _clean, _variable_value

_SELECTION_NAME_CHARS = 100


def _sources_element(
    root: etree._Element,
    ns: str,
    data: AnalysisData,
    codings: pd.DataFrame,
    notes: list[_NoteRecord],
    options: ExportOptions,
    ids: GuidMap,
    kinds: dict[str, str],
) -> dict[str, str]:
    """One TextSource per document with its selections; returns the internal text files."""
    files: dict[str, str] = {}
    documents = [str(d) for d in data.documents["document"]]
    documents += [d for d in data.texts if d not in documents]
    by_doc = {doc: group for doc, group in codings.groupby("document", sort=False)}
    sources_el = _sub(root, ns, "Sources")
    for document in documents:
        text = data.texts.get(document)
        if text is None:
            continue
        guid = ids("source", document)
        written, position = options.convert(text)
        file = guid.strip("{}") + ".txt"
        files[f"sources/{file}"] = written
        source = _sub(
            sources_el, ns, "TextSource", {"guid": guid, "name": document, "plainTextPath": f"internal://{file}"}
        )
        group = by_doc.get(document)
        if group is not None:
            for (start, end), span in group.groupby(["start", "end"], sort=True):
                where = _Span(document, text, int(start), int(end), position(int(start)), position(int(end)))
                _selection_element(source, ns, data.codebook, where, span, notes, ids)
        for name, value in options.source_variables.get(document, {}).items():
            if _clean(value) is not None:
                _variable_value(source, ns, name, kinds[name], _clean(value), ids)
    if not len(sources_el):
        root.remove(sources_el)
    return files


@dataclass
class _Span:
    document: str
    text: str
    start: int  # code points in qualcode's text (GUIDs and names use these)
    end: int
    written_start: int  # as the export counts them (startPosition/endPosition)
    written_end: int


def _selection_element(
    source: etree._Element,
    ns: str,
    codebook: Codebook,
    where: _Span,
    span: pd.DataFrame,
    notes: list[_NoteRecord],
    ids: GuidMap,
) -> None:
    """One PlainTextSelection for a span; one Coding per (annotator, code) on it, memos as Notes."""
    document, text, start, end = where.document, where.text, where.start, where.end
    span = span.assign(when_xsd=span["created_at"].map(to_xsd_datetime))
    first = span.sort_values("when_xsd", na_position="last", kind="stable").iloc[0]
    quote = text[start:end]
    name = quote if len(quote) <= _SELECTION_NAME_CHARS else quote[: _SELECTION_NAME_CHARS - 1] + "…"
    selection = _sub(
        source,
        ns,
        "PlainTextSelection",
        {
            "guid": selection_guid(document, start, end),
            "name": name,
            "startPosition": str(where.written_start),
            "endPosition": str(where.written_end),
            "creatingUser": ids("user", str(first["annotator"])),
            "creationDateTime": first["when_xsd"],
        },
    )
    # Exact duplicates (same annotator and code) become one Coding, memos joined.
    memos: dict[tuple[str, str], list[str]] = {}
    when: dict[tuple[str, str], Any] = {}
    for row in span.itertuples(index=False):
        key = (str(row.annotator), str(row.code))
        found = memos.setdefault(key, [])
        when.setdefault(key, row.when_xsd)
        memo = _clean(row.memo)
        if memo and str(memo) not in found:
            found.append(str(memo))
    for (annotator, code), found in memos.items():
        guid_c = coding_guid(document, start, end, code, annotator)
        coding = _sub(
            selection,
            ns,
            "Coding",
            {"guid": guid_c, "creatingUser": ids("user", annotator), "creationDateTime": when[(annotator, code)]},
        )
        _sub(coding, ns, "CodeRef", {"targetGUID": ids("code", code)})
        if found:
            note_guid = stable_guid("note", guid_c)
            _sub(coding, ns, "NoteRef", {"targetGUID": note_guid})
            label = codebook.codes[code].label
            name = f"Memo: {label} ({document} {start}-{end})"
            notes.append(_NoteRecord(note_guid, name, "\n\n".join(found), ids("user", annotator)))
