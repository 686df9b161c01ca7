"""Write REFI-QDA codebooks (``.qdc``) and projects (``.qdpx``).

The project's steps are here (:func:`project_xml`, :func:`export_qdpx`); the codebook XML is in
:mod:`.qdc`, GUIDs in :mod:`.guids`, tool presets in :mod:`.options`, cases and variables in
:mod:`.variables`, sources and selections in :mod:`.selections`, notes and memos in :mod:`.notes`.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping

import pandas as pd
from lxml import etree

from ..errors import CodingError, Problem
from ..frames import AnalysisData
from .common import PROJECT_NS
from .guids import (
    GuidMap,
    case_guid,
    code_guid,
    coding_guid,
    selection_guid,
    set_guid,
    source_guid,
    theme_guid,
    user_guid,
    variable_guid,
)
from .notes import (
    _framework_authors,
    _framework_note_records,
    _memo_authors,
    _memo_note_refs,
    _memo_notes,
    _NoteRecord,
    _notes_element,
    framework_note_guid,
)
from .options import TOOL_OPTIONS, ExportOptions
from .qdc import ORIGIN as ORIGIN
from .qdc import _codes_element, _sets_element, _sub, _write_atomically, codebook_xml, export_qdc
from .qdc import code_description as code_description
from .qdc import code_fields as code_fields
from .qdc import cross_cut_description as cross_cut_description
from .qdc import theme_description as theme_description
from .qdc import theme_fields as theme_fields
from .qdc import xml_safe as xml_safe
from .selections import _sources_element
from .variables import _cases_elements, _variables_element, variable_type

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so exporting the same data twice gives the same bytes


def _check_codings(data: AnalysisData, codings: pd.DataFrame) -> None:
    problems: list[Problem] = []
    for row in codings.itertuples(index=False):
        where = f"coding {row.coding_id}"
        if row.code not in data.codebook.codes:
            problems.append(
                Problem(
                    f"refers to code '{row.code}', which is not in the codebook",
                    field=where,
                    hint="Fix the coding or add the code.",
                )
            )
        text = data.texts.get(row.document)
        if text is None:
            problems.append(
                Problem(
                    f"refers to document '{row.document}', whose text is missing",
                    field=where,
                    hint="Sync the project first.",
                )
            )
        elif not 0 <= int(row.start) < int(row.end) <= len(text):
            problems.append(
                Problem(
                    f"span {row.start}-{row.end} lies outside document '{row.document}' (length {len(text)})",
                    field=where,
                    hint="Re-anchor the coding.",
                )
            )
    if problems:
        raise CodingError(problems)


def project_xml(
    data: AnalysisData,
    *,
    users: list[str] | None = None,
    project_name: str = "qualcode project",
    options: ExportOptions | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The ``project.qde`` bytes and the internal text files (``sources/<guid>.txt`` → text)."""
    options = options or ExportOptions()
    codings = data.codings if users is None else data.codings.loc[data.codings["annotator"].isin(list(users))]
    codings = codings.sort_values(["document", "start", "end", "annotator", "code"], kind="stable")
    _check_codings(data, codings)
    ns = PROJECT_NS
    root = etree.Element(f"{{{ns}}}Project", {"name": project_name, "origin": options.origin}, nsmap={None: ns})
    ids = GuidMap(options.guids, qualcode_block=options.qualcode_block)
    names = _user_names(codings, users, options.guids)
    if users is None:
        names += [n for n in _framework_authors(options.framework_notes) if n not in names]
    _users_element(root, ns, _memo_authors(data, names), ids)
    codebook_el = _sub(root, ns, "CodeBook")
    if _codes_element(codebook_el, ns, data.codebook, ids) is None:
        root.remove(codebook_el)
    kinds = _variables_element(root, ns, data, options, ids)
    _cases_elements(root, ns, data, ids, kinds)
    notes: list[_NoteRecord] = []
    files = _sources_element(root, ns, data, codings, notes, options, ids, kinds)
    if users is None:  # a summary describes everyone's codings: not in an export of chosen users
        notes += _framework_note_records(root, ns, data.codebook, options.framework_notes, ids)
    memo_refs = _memo_notes(data, notes, ids)
    _notes_element(root, ns, notes)
    _sets_element(root, ns, data.codebook, "targetGUID", ids)
    if data.codebook.title:
        _sub(root, ns, "Description", text=data.codebook.title)
    _memo_note_refs(root, ns, memo_refs)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml, files


def _user_names(codings: pd.DataFrame, users: list[str] | None, known: Mapping[tuple[str, str], str]) -> list[str]:
    """The users asked for (in order), then everyone else who coded; without a choice of
    users also those an imported REFI-QDA file had (``known``), coded or not."""
    names = list(users) if users is not None else []
    for name in codings["annotator"].astype(str):
        if name not in names:
            names.append(name)
    if users is None:
        names += [item for kind, item in known if kind == "user" and item not in names]
    return names


def _users_element(root: etree._Element, ns: str, names: list[str], ids: GuidMap) -> None:
    if names:
        users_el = _sub(root, ns, "Users")
        for name in names:
            _sub(users_el, ns, "User", {"guid": ids("user", name), "name": name})


def export_qdpx(
    data: AnalysisData,
    path: str | os.PathLike[str],
    *,
    users: list[str] | None = None,
    project_name: str = "qualcode project",
    options: ExportOptions | None = None,
) -> None:
    """Write a REFI-QDA project (``.qdpx``): ``project.qde`` plus ``sources/<guid>.txt``.

    ``users`` limits the export to those annotators' codings (None: everyone); each
    annotator becomes a User and codes their own Coding on the shared selection.
    ``options`` (default: the standard's code points, LF texts) chooses how positions are
    counted for the tool that will read the file (see :data:`TOOL_OPTIONS`).
    Raises CodingError (nothing written) if a coding points at an unknown code or
    document or lies outside its text.
    """
    xml, files = project_xml(data, users=users, project_name=project_name, options=options)

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(zipfile.ZipInfo("project.qde", _ZIP_DATE), xml, compress_type=zipfile.ZIP_DEFLATED)
            for name, text in files.items():
                archive.writestr(
                    zipfile.ZipInfo(name, _ZIP_DATE), text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED
                )

    _write_atomically(path, write)


__all__ = [
    "ExportOptions",
    "TOOL_OPTIONS",
    "GuidMap",
    "export_qdc",
    "export_qdpx",
    "codebook_xml",
    "project_xml",
    "variable_type",
    "code_guid",
    "theme_guid",
    "set_guid",
    "user_guid",
    "source_guid",
    "selection_guid",
    "coding_guid",
    "case_guid",
    "variable_guid",
    "framework_note_guid",
]
